r"""Local learning coefficient (LLC) by stochastic-gradient MCMC, with diagnostics.

The LLC of a point w* (Lau et al. 2023; AISTATS 2025) is estimated by

    λ̂(w*) = nβ · ( E_w[L_n(w)] − L_n(w*) ),

the expectation taken over the localised tempered posterior

    p(w) ∝ exp( −nβ L_n(w) − (γ/2) ‖w − w*‖² ),

by default at nβ = n / log n (β = 1/log n, the WBIC temperature of Watanabe 2013). Chains start
at w*, are vectorised with ``jax.vmap``, run with ``jax.lax.scan`` and are sharded over all local
devices. E_w[L_n] is the mean over chains and draws of the loss at each step (the minibatch loss
for the SGLD family, an unbiased estimate of L_n at that point).

**Temperature slope (``nbeta_factors``).** With data, the single-temperature estimate carries an
offset of order β: Watanabe (2013, Thm 4) gives E_β[nL_n] = nL_n(w0) + λ/β + U_n √(λ/2β) + O_p(1),
and the O_p(1) term does not depend on β. For the DLN 4-3-4 at n = 10⁴ it costs several percent
at a trained w* even with exact (MALA) sampling (docs/llc.md, "Accuracy"). Running the chains
at a few inverse temperatures nβ·f_j and taking λ̂ = the least-squares slope of
n(E_j[L_n] − L_n(w*)) against 1/β_j removes it — Watanabe's multi-temperature idea
(:mod:`slt_sim.measure.wbic_lambda`) applied to the localised posterior; on the same DLN it
removes most of the offset (measured in docs/llc.md). For a quadratic loss the slope is exact
at any w*, not only at the minimum.

**nβ convention.** devinterp's ``default_nbeta`` uses the *batch size* b: nβ = b / log b. We use
the data count n (nβ = n / log n), as in the WBIC/LLC theory, so the estimate does not change
when only the batch size changes. Pass ``nbeta=`` to use any other value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import fields_dict
from .._sharding import chain_sharding, devices_used, shard_keys, to_host
from .._warnings import LLCWarning, emit
from ..models.base import Model
from . import _diagnostics as diag
from . import _llc_engine as engine
from . import _step_bias as step_bias
from ._llc_engine import (
    DEFAULT_LOCALIZATION,
    DEFAULT_NUM_BURNIN,
    DEFAULT_NUM_DRAWS,
    DEFAULT_STEP_SIZE,
)

Array = jax.Array



@dataclass(frozen=True)
class LLCResult:
    r"""An LLC estimate, its traces and its diagnostics.

    Attributes:
      llc_mean: λ̂, the mean of the per-chain estimates.
      llc_std: standard error of ``llc_mean`` (std of the per-chain estimates / √chains).
      llc_per_chain: λ̂_c = nβ (mean_t L_t^c − L_n(w*)) for each chain, shape (chains,).
      loss_trace: L at every kept draw, shape (chains, draws).
      burnin_trace: L during burn-in, shape (chains, burn-in steps) (not used in λ̂).
      init_loss: L_n(w*) on the full data (or subset).
      nbeta: nβ used; n: the data count n (or the subset's size).
      acceptance_rate: mean Metropolis acceptance (MALA only, else None).
      settings: the run settings — ``sampler``, ``step_size`` (ε), ``localization`` (γ),
        ``num_chains``, ``num_draws``, ``num_burnin``, ``batch_size`` (None: full batch),
        ``nbeta_factors`` (None: one temperature), ``sampler_options``, ``shared_batches``.
      diagnostics: numbers behind the warnings (``rhat``, ``drift``, ``negative``,
        ``diverged_chains`` ...); for SGLD also the step-size check: ``max_curvature`` (the
        largest curvature h = nβμ + γ of the localised potential at w*), ``step_bias`` (the
        predicted upward bias of λ̂; ``inf`` where εh ≥ 4), ``step_bias_directions`` and,
        when it warns, ``suggested_step_size``.
      warnings: plain-language problems, each with what to change; empty when all is well
        (also issued as :class:`~slt_sim.LLCWarning`).
      seconds: wall time of the call (including compilation); sampling_seconds: the sampling
        alone; compile_seconds: compilation (0 when cached).
      draws_per_second: chains × (burn-in + draws) / sampling_seconds, i.e. sampler steps per
        second over all chains.
      devices: number of devices the chains were sharded over.
      llc_by_nbeta: with ``settings["nbeta_factors"]`` (a temperature-slope estimate), the plain
        single-temperature λ̂ at each nβ·f_j, shape (factors,); else None. Then ``llc_mean`` is
        the slope estimate, ``llc_per_chain`` the per-chain slopes and ``loss_trace`` /
        ``diagnostics`` those of the factor closest to 1.
    """

    llc_mean: float
    llc_std: float
    llc_per_chain: np.ndarray
    loss_trace: np.ndarray
    burnin_trace: np.ndarray
    init_loss: float
    nbeta: float
    n: int
    acceptance_rate: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    sampling_seconds: float = 0.0
    compile_seconds: float = 0.0
    draws_per_second: float = 0.0
    devices: int = 1
    llc_by_nbeta: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        """True when no diagnostic raised a warning."""
        return not self.warnings

    @property
    def estimator(self) -> str:
        """``"single-temperature"`` or ``"temperature-slope"`` (with ``nbeta_factors``)."""
        return "single-temperature" if self.settings.get("nbeta_factors") is None \
            else "temperature-slope"

    def as_dict(self, traces: bool = False) -> dict:
        """The fields as plain Python (for JSON) plus ``estimator``; ``traces=True`` keeps the
        loss traces (left out by default: chains × draws numbers)."""
        out = fields_dict(self, skip=() if traces else ("loss_trace", "burnin_trace"))
        out["estimator"] = self.estimator
        return out

    def summary(self) -> str:
        """A few human-readable lines."""
        st = self.settings
        head = (f"λ̂ = {self.llc_mean:.4g} ± {self.llc_std:.2g} (s.e., {st['num_chains']} chains "
                f"× {st['num_draws']} draws, {st['sampler']}, ε={st['step_size']:g}, "
                f"γ={st['localization']:g}, nβ={self.nbeta:.5g})")
        speed = (f"  {self.draws_per_second:,.0f} steps/s on {self.devices} device(s), "
                 f"{self.seconds:.2f} s in all")
        lines = [head, speed]
        factors = st.get("nbeta_factors")
        if factors is not None:
            plain = ", ".join(f"{f:g}·nβ: {x:.4g}" for f, x in zip(factors, self.llc_by_nbeta))
            lines.insert(1, f"  temperature slope over nβ × {list(factors)}; "
                            f"plain λ̂ at each: {plain}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


#: one worker thread that prepares the SGLD step-size check while the chains run
_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slt_sim-step-check")


# ------------------------------------------------------------------------ public API
def estimate_llc(model_or_loss: Model | Callable, w_star: Any = None, *, key: Array,
                 data: Any = None, n: int | None = None, sampler: str = "sgld",
                 num_chains: int = 4, num_draws: int = DEFAULT_NUM_DRAWS,
                 num_burnin: int = DEFAULT_NUM_BURNIN, step_size: float = DEFAULT_STEP_SIZE,
                 localization: float = DEFAULT_LOCALIZATION, nbeta: float | None = None,
                 batch_size: int | None = None, param_mask: Any = None,
                 data_subset: Any = None, sampler_options: dict | None = None,
                 shared_batches: bool = False, devices: Any = None,
                 nbeta_factors: Any = None) -> LLCResult:
    r"""Estimate the local learning coefficient λ(w*) by SG-MCMC.

        λ̂(w*) = nβ · ( E_w[L_n(w)] − L_n(w*) ),   w ~ exp(−nβ L_n(w) − (γ/2)‖w − w*‖²).

    For a regular minimum λ = d/2; at a singular point λ < d/2 and it measures how much
    parameter volume is nearly as good as w* (V(ε) ≈ c ε^λ (−log ε)^{m−1}).

    **Bias, and what to expect.** Three effects separate λ̂ from the theoretical λ: (i) step
    size: unadjusted Langevin at step ε over-disperses, biasing λ̂ *up* roughly in proportion to
    ε. For SGLD the result predicts this bias from the Hessian at w*: along a direction of
    curvature h of the localised potential the variance grows by 1/(1 − εh/4), and
    ``diagnostics["step_bias"]`` sums that over the sharpest directions; above 10% of λ̂ a
    warning names a step size that brings it to 3% (:mod:`slt_sim.measure._step_bias`; exact for
    a quadratic loss). Other samplers: check with ``sampler="mala"`` at the same ε (an
    acceptance rate well below 0.9 means this bias matters); (ii) localisation: γ pulls chains
    back towards w*, biasing λ̂ *down* once γ is comparable to nβ times the flat directions'
    curvature; (iii) finite nβ with multiplicity m > 1: even exact sampling gives E[nβ K] ≈ λ −
    (m − 1)/log(nβ) + …, because the posterior mass near a normal crossing grows like
    (nβ)^{−λ}(log nβ)^{m−1}; at n = 10⁴ (nβ ≈ 1086) the normal crossing a²b² (λ = 1/2, m = 2)
    gives E[nβK] = 0.39 at γ = 1 by quadrature — about 22% low — and no sampler setting removes
    this (smaller γ helps only logarithmically). At w* = the true parameter w0 of a data model,
    L_n(w0) is not the minimum of L_n; this shifts λ̂ by −β·n(L_n(w0) − min L_n), i.e. by
    O(1/log n).

    Args:
      model_or_loss: a catalogue :class:`~slt_sim.models.Model` (its per-sample loss, or its
        potential K with L_n = K), or any ``loss_fn(params, batch) -> scalar`` mean loss over a
        pytree ``params``.
      w_star: the point (a flat vector for a Model, a pytree for a loss function). For a Model
        it defaults to the true parameter (or the centre of its first region for potentials).
      key: a ``jax.random`` key; the same key gives the same numbers.
      data: the data set (a :class:`~slt_sim.models.Data` for a Model; any pytree of arrays
        with a leading sample axis for a loss function; ``None`` for potentials). For a data
        Model without ``data``, n samples are drawn from its true parameter with a key derived
        from ``key``.
      n: the data count; required for potentials and data-free losses (it sets nβ).
      sampler: ``"sgld"``, ``"rmsprop-sgld"``, ``"sgnht"`` or ``"mala"`` (full batch, exact
        accept/reject: the reference, and an acceptance-rate check of ε).
      num_chains, num_draws, num_burnin: chains, kept draws per chain, discarded steps.
      step_size: ε, the Langevin step (see :mod:`slt_sim.posterior.sgmcmc`).
      localization: γ > 0.
      nbeta: nβ (default n / log n).
      batch_size: minibatch size b (default: full batch). Batches come from a fresh random
        permutation each epoch. Ignored (full batch) for ``"mala"`` and for potentials.
      param_mask: restricted LLC over a subset of weights: 0/1 entries with the shape of
        ``w_star``; parameters with 0 stay at w*.
      data_subset: restricted LLC over a subset of data: sample indices or a boolean mask;
        L_n is then the mean loss on that subset and n its size (so nβ defaults to
        n_sub / log n_sub).
      shared_batches: give every chain the same minibatch order (devinterp's default). The
        shuffles are then computed once instead of once per chain — several times faster on a
        CPU with many chains — but the chains share their minibatch noise, so ``llc_std``
        understates the error a little. Default False: each chain has its own order.
      sampler_options: extra options of the sampler (e.g. ``{"diffusion": 0.1}`` for SGNHT,
        ``{"decay": 0.999, "eps_stability": 1.0}`` for RMSProp-SGLD).
      devices: devices to shard the chains over (default: all of ``jax.devices()``).
      nbeta_factors: ``None`` (one temperature, the estimator above), or ≥ 2 distinct positive
        factors f_j, e.g. ``(0.5, 1, 2)``: the chains are run at nβ·f_j with step size ε/f_j
        (so the drift ε·nβ·∇L, and with it the discretisation bias, stays the same) and λ̂ is
        the slope of n(E_j[L_n] − L_n(w*)) against 1/β_j, per chain (each rung has its own
        chain keys). It removes the β-independent offset of finite-n data (module docstring).
        Costs one run per factor; use it with an exact sampler (``"mala"``) and chains long
        enough to mix along the flat directions (docs/llc.md).

    Returns:
      :class:`LLCResult` with λ̂, its standard error, the per-chain values, the loss traces and
      diagnostics (split R-hat of the loss trace, drift between halves, negative-estimate and
      divergence flags, MALA acceptance), each problem also as a plain-language warning.

    Example:
      >>> import jax, slt_sim as slt
      >>> m = slt.models.deep_linear_network((4, 3, 4), rank=1)
      >>> r = slt.estimate_llc(m, m.true_param, key=jax.random.key(0), n=10_000)
      >>> r.llc_mean   # theory: λ = 6
    """
    t_start = time.perf_counter()
    num_chains = v.as_int("num_chains", num_chains, lo=1)
    num_draws = v.as_int("num_draws", num_draws, lo=4)
    num_burnin = v.as_int("num_burnin", num_burnin, lo=0)
    eps = v.as_float("step_size", step_size, lo=0.0, lo_open=True)
    gamma = v.as_float("localization", localization, lo=0.0)
    prob = engine.prepare(model_or_loss, w_star, key=key, data=data, n=n, data_subset=data_subset,
                   nbeta=nbeta, param_mask=param_mask, batch_size=batch_size, sampler=sampler)
    loss_fn, w_star, data, n_eff, nb, mask, bsz = prob[:7]
    options = tuple(sorted((sampler_options or {}).items()))

    factors = _nbeta_factors(nbeta_factors)

    sharding = chain_sharding(num_chains, devices)
    dtype = jnp.result_type(float)
    batch_key = jax.random.fold_in(key, 2) if shared_batches and bsz is not None else None
    config = (loss_fn, sampler, options, num_burnin, num_draws, bsz)
    init_loss = prob.init_loss
    runs, compile_s, sampling_s = [], 0.0, 0.0
    for j, f in enumerate(factors or (1.0,)):
        # one temperature: the classical key stream; a ladder: its own keys per rung
        chain_key = jax.random.fold_in(key, 1) if factors is None else \
            jax.random.fold_in(jax.random.fold_in(key, 3), j)
        keys = shard_keys(jax.random.split(chain_key, num_chains), sharding)
        args = (keys, batch_key, w_star, data, mask, jnp.asarray(eps / f, dtype),
                jnp.asarray(gamma, dtype), jnp.asarray(nb * f, dtype))
        fn, c_s = engine.compiled(config, args)
        compile_s += c_s
        t0 = time.perf_counter()
        losses, acc = fn(*args)         # dispatched: the chains run while Python goes on
        if j == 0 and sampler == "sgld":
            # the step-size check compiles beside the chains, in a worker thread, so it
            # neither adds wall time nor lands on the sampling clock
            checking = _BESIDE.submit(step_bias.curvature_probe, loss_fn, w_star, data, mask)
        losses = to_host(jax.block_until_ready(losses))
        runs.append((losses, to_host(acc)))
        sampling_s += time.perf_counter() - t0
        if j == 0 and sampler == "sgld":
            curvatures = checking.result()

    # the rung closest to nβ itself carries the traces and the diagnostics
    base = 0 if factors is None else int(np.argmin(np.abs(np.log(factors))))
    f_base = 1.0 if factors is None else factors[base]
    losses, acc = runs[base]
    burn, trace = losses[:, :num_burnin], losses[:, num_burnin:]
    report = diag.diagnose(trace, init_loss, nb * f_base, prob.free_parameters,
                           acceptance=acc if sampler == "mala" else None, step_size=eps / f_base,
                           localization=gamma, sampler=sampler)
    llc_mean, llc_std, per_chain = report.llc_mean, report.llc_std, report.llc_per_chain
    by_nbeta, warnings, numbers = None, report.warnings, dict(report.numbers)
    if factors is not None:
        llc_mean, llc_std, per_chain, by_nbeta, extra = _temperature_slope(
            [r[0][:, num_burnin:] for r in runs], factors, init_loss, nb, n_eff,
            prob.free_parameters)
        warnings = warnings + extra
    if sampler == "sgld":       # unadjusted: its discretisation bias, from the curvature at w*
        mu = curvatures()
        extra_numbers, extra = step_bias.step_bias_check(mu, eps / f_base, nb * f_base, gamma,
                                                         llc_mean)
        numbers.update(extra_numbers)
        warnings = warnings + extra
    warnings = emit(warnings, LLCWarning, stacklevel=2)
    settings = {"sampler": sampler, "step_size": eps, "localization": gamma,
                "num_chains": num_chains, "num_draws": num_draws, "num_burnin": num_burnin,
                "batch_size": bsz, "nbeta_factors": factors,
                "sampler_options": dict(options), "shared_batches": bool(shared_batches)}
    return LLCResult(
        llc_mean=llc_mean, llc_std=llc_std, llc_per_chain=per_chain,
        loss_trace=trace, burnin_trace=burn, init_loss=init_loss, nbeta=nb, n=n_eff,
        acceptance_rate=float(np.mean(acc)) if sampler == "mala" else None,
        settings=settings, diagnostics=numbers, warnings=warnings,
        seconds=time.perf_counter() - t_start, sampling_seconds=sampling_s,
        compile_seconds=compile_s,
        draws_per_second=len(runs) * num_chains * (num_burnin + num_draws)
        / max(sampling_s, 1e-12),
        devices=devices_used(sharding), llc_by_nbeta=by_nbeta)


def _nbeta_factors(factors) -> tuple[float, ...] | None:
    if factors is None:
        return None
    arr = np.atleast_1d(np.asarray(factors, dtype=float))
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)) or np.any(arr <= 0) \
            or len(np.unique(arr)) != arr.size:
        raise ValueError(f"nbeta_factors must be None or at least 2 distinct positive finite "
                         f"numbers, e.g. (0.5, 1, 2); got {factors!r}")
    return tuple(float(x) for x in arr)


def _temperature_slope(traces, factors, init_loss, nbeta, n, d_free):
    """Per-chain slope of n(E_j[L] − L(w*)) against 1/β_j = n/(nβ f_j).

    Chains that diverged at any rung are left out. Returns the mean and standard error of the
    slopes, the per-chain slopes, the plain λ̂ at each rung and extra warnings.
    """
    nb = nbeta * np.asarray(factors)
    excess = np.stack([t.mean(axis=1) - init_loss for t in traces])           # (T, C)
    # least-squares line per chain through (1/β_j, n(E_j[L] − L*)), 1/β_j = n/(nβ f_j)
    slopes = np.polyfit(n / nb, n * excess, 1)[0]                             # (C,)
    bad = np.zeros(excess.shape[1], bool)
    for t, nb_j in zip(traces, nb):
        bad |= diag.diverged_chains(t, init_loss, nb_j, d_free)
    kept = slopes[~bad]
    mean, se = diag.mean_and_se(kept)
    by_nbeta = (nb[:, None] * excess[:, ~bad]).mean(axis=1) if kept.size else \
        np.full(len(factors), np.nan)
    extra = ()
    if bad.any():
        extra = (f"{int(bad.sum())} chain(s) diverged at some temperature of the nβ ladder and "
                 f"were left out of the slope; lower step_size",)
    return mean, se, slopes, by_nbeta, extra


__all__ = ["DEFAULT_LOCALIZATION", "DEFAULT_NUM_BURNIN", "DEFAULT_NUM_DRAWS", "DEFAULT_STEP_SIZE",
           "LLCResult", "estimate_llc"]
