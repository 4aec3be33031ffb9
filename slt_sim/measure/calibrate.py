r"""Calibrating the LLC estimator: one vectorised sweep over step size ε and localisation γ.

λ̂ depends on the sampler settings in two predictable ways (Lau et al. 2025, §4 and App. D):

* a larger step ε makes the unadjusted Langevin chain over-disperse, so E_w[L_n] and λ̂ grow
  with ε (until the chain diverges);
* a larger localisation γ confines the chain to a smaller ball around w*, so λ̂ shrinks with γ
  (towards 0 as γ ≫ nβ·curvature).

Between these lies a plateau where λ̂ hardly depends on either. :func:`calibrate_llc` runs every
(ε, γ) pair at once (one jitted ``vmap`` over settings of the ``vmap`` over chains), adds the
acceptance rate of an exact Metropolis-adjusted Langevin (MALA) chain at the same (ε, γ) — a
rate near 1 means ε is small enough for Langevin dynamics to be accurate — and recommends the
setting:

1. keep settings with no divergence, split R-hat ≤ 1.1, no significant drift, chains that left
   w*, λ̂ > 0 and MALA acceptance ≥ 0.9; for SGLD a step-size bias predicted from the Hessian
   at w* (:mod:`slt_sim.measure._step_bias`) of at most 10 % of λ̂ — MALA can accept 94 % of
   proposals at a step where SGLD's variance is 28 % too large; and, where the exact localised
   target is known, a γ whose own target is within 10 % of the unlocalised one (a γ that
   confines the chains measures the localisation, not the landscape);
2. among them take the smallest γ (least downward bias), and for it the largest ε (fastest
   mixing, and any remaining ε-bias is the small one MALA vouches for).

When no setting passes, the calibration has *failed*: ``passed`` is False, there is no
recommendation (``recommended`` is empty), and the table, the plot, the widget and the CLI say
so — a fallback is never presented as a recommendation.

Where a reference exists it reports the bias of every setting: for potentials in ≤ 3 dimensions
the *exact* value of nβ(E[L] − L(w*)) under the same localised posterior (grid quadrature, the
estimator's own target: the difference is pure sampler error) together with the unlocalised
exact value under the model's own prior, for catalogue data models at their true parameter the
theoretical λ, or a number you pass.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import fields_dict
from .._sharding import chain_sharding, shard_keys, to_host
from .._warnings import CalibrationWarning, emit
from ..models.base import Model
from . import _diagnostics as diag
from . import _llc_engine as engine
from . import _step_bias as step_bias

MIN_ACCEPTANCE = 0.9
#: a γ whose exact target differs from the unlocalised one by more than this fraction confines
CONFINEMENT_LIMIT = 0.1
DEFAULT_STEP_SIZES = (1e-5, 3e-5, 1e-4, 3e-4)
DEFAULT_LOCALIZATIONS = (0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class CalibrationResult:
    """λ̂ and its diagnostics on a grid of (step size ε, localisation γ).

    Arrays have shape (len(step_sizes), len(localizations)).

    Attributes:
      step_sizes, localizations: the grid axes.
      llc_mean, llc_std: λ̂ and its standard error per setting.
      rhat, drift: split R-hat of the loss trace and λ̂(second half) − λ̂(first half).
      diverged: True where some chain diverged.
      acceptance: MALA acceptance rate at the same (ε, γ) (None when not computed).
      mala_llc: λ̂ from those MALA chains (exact up to Monte Carlo error and mixing; the
        difference llc_mean − mala_llc is the sampler's discretisation/minibatch bias).
      ok: settings passing every check (see the module docstring).
      warnings: per setting, the plain-language warnings of the estimator (tuples in the
        order of ``np.ndindex(len(step_sizes), len(localizations))``); when no setting passes,
        the failure is also issued as :class:`~slt_sim.CalibrationWarning`.
      reference: the value λ̂ is compared with (per γ for exact quadrature), or None.
      reference_kind: "exact-localized", "theory", "given" or None.
      bias: llc_mean − reference (None without a reference).
      recommended: {"step_size", "localization"} chosen by the rule of the module docstring;
        empty when no setting passed.
      recommended_index: its (i_ε, i_γ), or None when no setting passed.
      reference_unlocalized: for "exact-localized", the exact target under the model's own
        prior (no localisation), else None.
      target_shift: per γ, exact localised target / unlocalised − 1 (None without them).
      step_bias: for SGLD, the step-size bias of λ̂ predicted from the curvature at w*
        (``inf`` where εh ≥ 4); None for other samplers.
      notes: plain-language remarks on the sweep (why the recommendation, what failed).
      nbeta, n: nβ and the data count n used.
      settings: the run settings — ``sampler``, ``num_chains``, ``num_draws``, ``num_burnin``,
        ``batch_size``, ``mala`` (whether the MALA acceptance was computed).
      seconds: wall time.
    """

    step_sizes: np.ndarray
    localizations: np.ndarray
    llc_mean: np.ndarray
    llc_std: np.ndarray
    rhat: np.ndarray
    drift: np.ndarray
    diverged: np.ndarray
    acceptance: np.ndarray | None
    mala_llc: np.ndarray | None
    ok: np.ndarray
    warnings: tuple
    reference: np.ndarray | float | None
    reference_kind: str | None
    bias: np.ndarray | None
    recommended: dict
    recommended_index: tuple[int, int] | None
    notes: tuple[str, ...]
    nbeta: float
    n: int
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    reference_unlocalized: float | None = None
    target_shift: np.ndarray | None = None
    step_bias: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        """True when some setting passed every check (so there is a recommendation)."""
        return self.recommended_index is not None

    def table(self) -> str:
        """The sweep as text: one line per (ε, γ)."""
        head = f"{'ε':>9} {'γ':>8} {'λ̂':>9} {'s.e.':>7} {'R-hat':>6} {'drift':>7}"
        head += f" {'MALA acc':>8} {'MALA λ̂':>8}" if self.acceptance is not None else ""
        head += f" {'bias':>8}" if self.bias is not None else ""
        head += f" {'ε-bias':>8}" if self.step_bias is not None else ""
        lines = [] if self.passed else [
            "CALIBRATION FAILED: no (ε, γ) setting passed every check — there is no "
            "recommendation (see the notes below)."]
        lines.append(head)
        for i, eps in enumerate(self.step_sizes):
            for j, gam in enumerate(self.localizations):
                row = (f"{eps:9.2g} {gam:8.3g} {self.llc_mean[i, j]:9.4g} "
                       f"{self.llc_std[i, j]:7.2g} {self.rhat[i, j]:6.3f} "
                       f"{self.drift[i, j]:7.3f}")
                if self.acceptance is not None:
                    row += f" {self.acceptance[i, j]:8.3f} {self.mala_llc[i, j]:8.4g}"
                if self.bias is not None:
                    row += f" {self.bias[i, j]:8.3f}"
                if self.step_bias is not None:
                    row += f" {self.step_bias[i, j]:8.3f}"
                flags = ("  ← recommended" if self.passed
                         and (i, j) == tuple(self.recommended_index) else "") \
                    + ("" if self.ok[i, j] else "  ✗") + (" diverged" if self.diverged[i, j]
                                                          else "")
                lines.append(row + flags)
        lines += list(self.notes)
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """The fields as plain Python (for JSON) plus ``passed``; ``recommended`` is None when
        the calibration failed."""
        out = fields_dict(self)
        out["passed"] = self.passed
        if not self.passed:
            out["recommended"] = None
        return out


# ------------------------------------------------------------------------ references
def exact_localized_llc(model: Model, w_star, nbeta: float,
                        localization: float | None) -> float:
    r"""nβ (E[K] − K(w*)) under exp(−nβ K(w) − (γ/2)‖w − w*‖²), by grid quadrature.

    For potentials with dim ≤ 3. With the free energy F(t) = −log ∫ exp(−t K) N(w; w*, γ⁻¹ I)
    dw, E[K] = dF/dt, taken by a central difference of :func:`slt_sim.posterior.exact.
    exact_posterior` at t(1 ± 10⁻³) (its error is O(10⁻⁶) relative). With
    ``localization=None`` the same under the model's own prior φ (no localisation): the
    unlocalised target, which tends to the global λ as nβ → ∞ when w* is the only minimum.
    """
    from ..models.priors import gaussian
    from ..posterior.exact import exact_posterior

    if not model.is_potential or model.dim > 3:
        raise ValueError(f"exact_localized_llc needs a potential with dim <= 3, got {model!r}")
    w = np.asarray(w_star, dtype=float).reshape(model.dim)
    t = v.as_float("nbeta", nbeta, lo=0.0, lo_open=True)
    if localization is None:
        local = model
    else:
        gamma = v.as_float("localization", localization, lo=0.0, lo_open=True)
        s = 1.0 / math.sqrt(gamma)
        local = dataclasses.replace(
            model, prior=gaussian(model.dim, s, loc=w),
            box=tuple((float(x - 9 * s), float(x + 9 * s)) for x in w),
            focus=tuple((float(x),) for x in w), regions=())
    h = 1e-3
    ep = exact_posterior(local, [t * (1 - h), t * (1 + h)], keep_density=False,
                         marginals_2d=False)
    e_k = (ep.free_energy[1] - ep.free_energy[0]) / (2 * h * t)
    k_star = float(model.potential(jnp.asarray(w)))
    return float(t * (e_k - k_star))


def _reference(reference, model_or_loss, prob, localizations):
    if reference is None:
        return None, None
    if isinstance(reference, str):
        if isinstance(model_or_loss, Model):
            model = model_or_loss
            if model.is_potential and model.dim <= 3 and prob.mask is None:
                return np.array([exact_localized_llc(model, prob.w_star, prob.nbeta, g)
                                 for g in localizations]), "exact-localized"
            if (not model.is_potential and model.lam is not None
                    and model.true_param is not None
                    and np.allclose(np.asarray(prob.w_star), np.asarray(model.true_param))
                    and prob.mask is None):
                return float(model.lam), "theory"
        return None, None
    return float(reference), "given"


# ------------------------------------------------------------------------ the sweep
def _sweep_builder(loss_fn, sampler, options, num_burnin, num_draws, batch_size):
    chains = engine.chains_fn(loss_fn, sampler, options, num_burnin, num_draws, batch_size)
    return jax.jit(jax.vmap(chains, in_axes=(None, None, None, None, None, 0, 0, None)))


def _recommend(ok, step_sizes, localizations) -> tuple[tuple[int, int] | None, list[str]]:
    if ok.any():
        j = int(np.flatnonzero(ok.any(axis=0))[0])
        i = int(np.flatnonzero(ok[:, j])[-1])
        return (i, j), [f"recommended: ε = {step_sizes[i]:g}, γ = {localizations[j]:g} — the "
                        "smallest γ whose chains pass every check, with its largest passing ε."]
    return None, ["CALIBRATION FAILED: no setting passed every check (divergence, R-hat, drift, "
                  "chains leaving w*, sign, MALA acceptance, SGLD step bias, confinement by γ), "
                  "so there is no recommendation. Run more draws and burn-in, widen the grid "
                  "(larger ε where MALA still accepts and the step bias is small, smaller γ), "
                  "or check that w* is a minimum."]


def calibrate_llc(model_or_loss: Model | Callable, w_star: Any = None, *, key: jax.Array,
                  data: Any = None, n: int | None = None,
                  step_sizes: Sequence[float] = DEFAULT_STEP_SIZES,
                  localizations: Sequence[float] = DEFAULT_LOCALIZATIONS,
                  sampler: str = "sgld", num_chains: int = 4, num_draws: int = 1000,
                  num_burnin: int = 200, nbeta: float | None = None,
                  batch_size: int | None = None, param_mask: Any = None,
                  data_subset: Any = None, mala: bool = True, reference: Any = "auto",
                  sampler_options: dict | None = None, devices: Any = None
                  ) -> CalibrationResult:
    r"""Sweep the LLC estimator over step sizes ε × localisations γ and recommend a setting.

    Every (ε, γ) runs the same ``num_chains`` chains (same keys: common random numbers, so the
    differences between settings are not noise) for ``num_burnin + num_draws`` steps, all in
    one jitted, vectorised call; with ``mala=True`` a second call runs full-batch MALA chains
    at each (ε, γ) for the acceptance rate. λ̂(ε, γ) = nβ(E_w[L_n] − L_n(w*)) as in
    :func:`~slt_sim.measure.llc.estimate_llc`, whose arguments these share.

    Args:
      step_sizes, localizations: the grid (ε > 0, γ ≥ 0).
      mala: also run MALA at each setting for the acceptance diagnostic (ignored when
        ``sampler="mala"``: its own acceptance is used).
      reference: ``"auto"`` (exact localised quadrature for potentials with dim ≤ 3, theory λ
        for a catalogue data model at its true parameter, else none), a number, or None.
      Other arguments: as :func:`~slt_sim.measure.llc.estimate_llc`.

    Returns:
      :class:`CalibrationResult` with λ̂, s.e., R-hat, drift, divergence, MALA acceptance and
      bias per setting, the recommended (ε, γ) and notes; ``.table()`` and
      :func:`slt_sim.viz.plot_calibration` show it.
    """
    t_start = time.perf_counter()
    eps = v.as_float_array("step_sizes", step_sizes, lo=0.0, lo_open=True)
    gam = v.as_float_array("localizations", localizations, lo=0.0)
    num_chains = v.as_int("num_chains", num_chains, lo=1)
    num_draws = v.as_int("num_draws", num_draws, lo=4)
    num_burnin = v.as_int("num_burnin", num_burnin, lo=0)
    if isinstance(reference, str) and reference != "auto":
        raise ValueError(f"reference must be 'auto', None or a number, got {reference!r}")
    if reference is not None and not isinstance(reference, str):
        reference = v.as_float("reference", reference)
    prob = engine.prepare(model_or_loss, w_star, key=key, data=data, n=n,
                        data_subset=data_subset, nbeta=nbeta, param_mask=param_mask,
                        batch_size=batch_size, sampler=sampler)
    options = tuple(sorted((sampler_options or {}).items()))
    grid_e, grid_g = (x.ravel() for x in np.meshgrid(eps, gam, indexing="ij"))
    dtype = jnp.result_type(float)

    keys = jax.random.split(jax.random.fold_in(key, 1), num_chains)
    sharding = chain_sharding(num_chains, devices)
    keys = shard_keys(keys, sharding)
    base = (keys, None, prob.w_star, prob.data, prob.mask)
    rest = (jnp.asarray(grid_e, dtype), jnp.asarray(grid_g, dtype),
            jnp.asarray(prob.nbeta, dtype))
    config = (prob.loss_fn, sampler, options, num_burnin, num_draws, prob.batch_size)
    fn, _ = engine.compiled(config, base + rest, build=_sweep_builder)
    losses, acc = fn(*base, *rest)          # dispatched: the sweep runs while Python goes on
    curvatures = step_bias.curvature_probe(prob.loss_fn, prob.w_star, prob.data,
                                           prob.mask) if sampler == "sgld" else None
    losses, acc = to_host(losses), to_host(acc)
    mu = None if curvatures is None else curvatures()
    unchecked = ()
    if isinstance(mu, str):                 # the loss could not be differentiated twice
        unchecked = (step_bias.unchecked_warning(mu),)
        mu = None

    acceptance = mala_losses = None
    if sampler == "mala":
        acceptance, mala_losses = acc.mean(axis=1), losses
    elif mala:
        m_config = (prob.loss_fn, "mala", (), num_burnin, num_draws, None)
        m_fn, _ = engine.compiled(m_config, base + rest, build=_sweep_builder)
        m_losses, m_acc = m_fn(*base, *rest)
        acceptance, mala_losses = to_host(m_acc).mean(axis=1), to_host(m_losses)
    mala_llc = None
    if mala_losses is not None:
        tail = mala_losses[:, :, num_burnin:]
        with np.errstate(invalid="ignore"):
            mala_llc = (prob.nbeta * (tail.mean(axis=(1, 2)) - prob.init_loss)).reshape(
                eps.size, gam.size)

    shape = (eps.size, gam.size)
    mean, std, rhat, drift = (np.empty(shape) for _ in range(4))
    diverged, ok = np.zeros(shape, bool), np.zeros(shape, bool)
    eps_bias = None if mu is None else np.empty(shape)
    warns = []
    for s in range(grid_e.size):
        i, j = divmod(s, gam.size)
        rep = diag.diagnose(losses[s, :, num_burnin:], prob.init_loss, prob.nbeta,
                            prob.free_parameters, acceptance=None, step_size=float(grid_e[s]),
                            localization=float(grid_g[s]), sampler=sampler)
        mean[i, j], std[i, j] = rep.llc_mean, rep.llc_std
        rhat[i, j], drift[i, j] = rep.numbers["rhat"], rep.numbers["drift"]
        diverged[i, j] = rep.numbers["diverged"]
        acc_ok = acceptance is None or acceptance[s] >= MIN_ACCEPTANCE
        w = list(rep.warnings)
        step_ok = True
        if mu is not None:
            numbers, extra = step_bias.step_bias_check(mu, float(grid_e[s]), prob.nbeta,
                                                       float(grid_g[s]), rep.llc_mean)
            eps_bias[i, j] = np.nan if numbers["step_bias"] is None else numbers["step_bias"]
            step_ok = not extra and math.isfinite(eps_bias[i, j])
            w += extra
        ok[i, j] = (not rep.warnings) and acc_ok and step_ok and math.isfinite(rep.llc_mean)
        if not acc_ok:
            w.append(f"MALA acceptance {acceptance[s]:.0%} < {MIN_ACCEPTANCE:.0%}: ε too large")
        warns.append(tuple(w))

    ref, kind = _reference(reference, model_or_loss, prob, gam)
    bias = None if ref is None else mean - (np.asarray(ref)[None, :] if np.ndim(ref) else ref)
    unloc = shift = None
    if kind == "exact-localized":
        unloc = exact_localized_llc(model_or_loss, prob.w_star, prob.nbeta, None)
        shift = np.asarray(ref) / unloc - 1.0
        for j in np.flatnonzero(np.abs(shift) > CONFINEMENT_LIMIT):
            ok[:, j] = False
            note = (f"γ = {gam[j]:g} confines the chains: its own exact target "
                    f"{np.asarray(ref)[j]:.3g} is {shift[j]:+.0%} from the unlocalised "
                    f"{unloc:.3g} (limit ±{CONFINEMENT_LIMIT:.0%}), so λ̂ there measures the "
                    "localisation more than the landscape; use a smaller γ.")
            for i in range(eps.size):
                warns[i * gam.size + j] += (note,)
    rec, notes = _recommend(ok, eps, gam)
    notes += list(unchecked)
    if rec is None:
        emit(notes[0], CalibrationWarning, stacklevel=2)
    elif bias is not None:
        ri, rj = rec
        rel = bias[ri, rj] / (np.asarray(ref)[rj] if np.ndim(ref) else ref)
        notes.append(f"bias of the recommended setting against the {kind} reference: "
                     f"{bias[ri, rj]:+.4g} ({rel:+.1%}).")
    return CalibrationResult(
        step_sizes=eps, localizations=gam, llc_mean=mean, llc_std=std, rhat=rhat, drift=drift,
        diverged=diverged,
        acceptance=None if acceptance is None else acceptance.reshape(shape),
        mala_llc=mala_llc, ok=ok,
        warnings=tuple(warns), reference=ref, reference_kind=kind, bias=bias,
        recommended={} if rec is None else {"step_size": float(eps[rec[0]]),
                                            "localization": float(gam[rec[1]])},
        recommended_index=rec, notes=tuple(notes), nbeta=prob.nbeta, n=prob.n,
        settings={"sampler": sampler, "num_chains": num_chains, "num_draws": num_draws,
                  "num_burnin": num_burnin, "batch_size": prob.batch_size,
                  "mala": acceptance is not None},
        seconds=time.perf_counter() - t_start,
        reference_unlocalized=unloc, target_shift=shift, step_bias=eps_bias)
