r"""Free energy F_n by thermodynamic integration over a β ladder (NUTS per rung, vectorised).

With the prior normalised, Z(β) = ∫ φ(w) e^{−β n L_n(w)} dw has Z(0) = 1 and
d(−log Z)/dβ = E_β[n L_n], so the Bayes free energy is

    F_n = −log Z(1) = ∫_0^1 E_β[n L_n(w)] dβ.

**Quadrature.** E_β[n L_n] runs from n E_φ[L_n] at β = 0 down to ≈ n L_n(w₀) + λ/β: it changes on
the scale β ~ 1/n near 0 and like 1/β above it, so the ladder must be dense near β = 0. We
subtract a constant c (n L_n(w₀) when known, else the smallest energy seen) and integrate in
u = log β, where the integrand g(u) = β E_β[n L_n − c] is smooth and bounded (→ λ for large nβ):

    F_n = c + G(β₀) + ∫_{log β₀}^{0} g(u) du,     G(β₀) = −log E_φ[e^{−β₀ (n L_n − c)}].

* G(β₀), the part of the path next to the prior, is an importance-sampling estimate from
  ``num_prior`` prior draws; β₀ is chosen (bisection) as the largest β whose importance weights
  keep an effective sample size of half the draws, so this piece is accurate by construction.
* The rest uses a geometric ladder β_k = β₀^{1 − k/(K−1)}, k = 0 … K−1 (equal steps h in log β;
  this is the "dense near 0" ladder), one NUTS run per rung — all rungs in one vectorised
  program — and composite Simpson's rule in u (K odd).
* Errors reported: the Monte Carlo standard error (Simpson weights × each rung's MCSE, plus the
  importance-sampling error of G(β₀)), and a quadrature error estimate |Simpson − trapezoid|
  (the trapezoid's error is O(h²), Simpson's O(h⁴), so the difference bounds Simpson's error
  generously).

The NUTS chains cannot jump between well-separated basins: on a multimodal landscape whose mass
moves between basins along the ladder (a phase change in nβ) the rungs near the change are
wrong. Use it on unimodal posteriors, or check with :func:`~slt_sim.posterior.exact` for d ≤ 3.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jax
import numpy as np

from .. import _validate as v
from .._results import AsDict
from ..models.base import Model
from ..posterior.energy import energy_function
from .wbic_lambda import _datasets, _energy_table, reference_energy, resolve_multiplicity


@dataclass(frozen=True)
class ThermoResult(AsDict):
    """F_n by thermodynamic integration.

    Attributes:
      free_energy: F_n = −log ∫ φ e^{−n L_n} (prior normalised), per data set, shape (S,).
      mc_se: Monte Carlo standard error of F_n per data set.
      quad_error: quadrature error estimate |Simpson − trapezoid| per data set.
      n: data count.
      betas: the ladder β₀ … 1, shape (K,) (its first rung β₀ is where the prior piece ends).
      mean_energy, energy_mcse: E_β[n L_n] and its MCSE on each rung, shape (S, K).
      prior_piece: G(β₀) per data set (importance sampling from the prior).
      offset: the constant c subtracted from the energy, per data set.
      rhat_max, divergences: NUTS diagnostics.
      seconds: wall time.
    """

    free_energy: np.ndarray
    mc_se: np.ndarray
    quad_error: np.ndarray
    n: float
    betas: np.ndarray
    mean_energy: np.ndarray
    energy_mcse: np.ndarray
    prior_piece: np.ndarray
    offset: np.ndarray
    rhat_max: float
    divergences: int
    seconds: float

    @property
    def value(self) -> float:
        """Mean of F_n over the data sets."""
        return float(np.mean(self.free_energy))


def _simpson_weights(k: int, h: float) -> np.ndarray:
    w = np.ones(k)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return w * h / 3.0


def _trapezoid_weights(k: int, h: float) -> np.ndarray:
    w = np.full(k, h)
    w[0] = w[-1] = h / 2.0
    return w


def _prior_piece(energies: np.ndarray, min_ess_fraction: float) -> tuple[float, float, float]:
    """(β₀, G(β₀), its standard error) from prior-draw energies (already minus c)."""
    e = energies[np.isfinite(energies)]
    if e.size < 16:
        raise ValueError("too few finite prior energies for the prior piece")

    def ess_fraction(beta):
        lw = -beta * e
        w = np.exp(lw - lw.max())
        return (w.sum() ** 2) / (w ** 2).sum() / e.size

    lo, hi = 0.0, 1.0
    if ess_fraction(hi) >= min_ess_fraction:
        beta0 = hi
    else:
        lo = 1e-300
        for _ in range(200):                       # bisection in log β
            mid = math.sqrt(max(lo, 1e-300) * hi) if lo > 0 else hi * 1e-12
            if ess_fraction(mid) >= min_ess_fraction:
                lo = mid
            else:
                hi = mid
            if hi / max(lo, 1e-300) < 1.01:
                break
        beta0 = lo
    lw = -beta0 * e
    m = lw.max()
    w = np.exp(lw - m)
    g = -(m + math.log(w.mean()))
    # delta method: sd(mean w)/mean w
    se = float(w.std(ddof=1) / math.sqrt(e.size) / w.mean())
    return beta0, g, se


def thermodynamic_free_energy(model: Model, *, key: jax.Array, n=None, data=None,
                              num_datasets: int = 1, num_rungs: int = 17,
                              num_prior: int = 8192, num_chains: int = 4,
                              num_warmup: int = 300, num_samples: int = 500,
                              target_accept: float = 0.8,
                              max_tree_depth: int = 8) -> ThermoResult:
    r"""F_n = ∫_0^1 E_β[n L_n] dβ by NUTS on a geometric β ladder (see the module docstring).

    Args:
      model: a catalogue model (any dimension).
      key: ``jax.random`` key (data, prior draws, NUTS).
      n: data count (potentials: the scale of K; data models: samples drawn from the truth).
      data: a data set or a list of equal-size data sets (data models).
      num_datasets: data sets to sample when ``data`` is not given.
      num_rungs: K, the ladder's rungs from β₀ to 1 (made odd for Simpson's rule).
      num_prior: prior draws for the piece [0, β₀] next to the prior.
      num_chains, num_warmup, num_samples, target_accept, max_tree_depth: NUTS settings per rung.

    Returns:
      :class:`ThermoResult` with F_n, its Monte Carlo and quadrature errors, and the ladder.
    """
    v.model(model)
    key = v.prng_key(key)
    num_rungs = v.as_int("num_rungs", num_rungs, lo=3)
    num_rungs += 1 - num_rungs % 2
    num_prior = v.as_int("num_prior", num_prior, lo=64)
    k_data, k_prior, k_mcmc = jax.random.split(key, 3)
    n, datas = _datasets(model, k_data, n, data, v.as_int("num_datasets", num_datasets, lo=1))
    t0 = time.perf_counter()
    efn = energy_function(model)
    s = 1 if datas is None else len(datas)
    stats = [efn.prepare(None if datas is None else d, n) for d in (datas or [None])]
    ref = reference_energy(model, n, datas)

    prior_w = model.sample_prior(k_prior, (num_prior,))
    batched = jax.jit(jax.vmap(efn.energy, in_axes=(0, None)))
    prior_e = [np.asarray(batched(prior_w, st)) for st in stats]

    offsets, beta0s, g0s, g0_ses = [], [], [], []
    for i in range(s):
        c = float(ref[i]) if ref is not None and np.isfinite(ref[i]) else float(
            np.min(prior_e[i][np.isfinite(prior_e[i])]))
        b0, g0, se0 = _prior_piece(prior_e[i] - c, 0.5)
        offsets.append(c)
        beta0s.append(b0)
        g0s.append(g0)
        g0_ses.append(se0)
    # one ladder for all data sets: start at the smallest β₀ (still accurate for the others)
    beta0 = min(beta0s)
    if beta0 >= 1.0:
        # the prior alone is an accurate importance sampler all the way to β = 1
        f = np.array(offsets) + np.array(g0s)
        return ThermoResult(
            free_energy=f, mc_se=np.array(g0_ses), quad_error=np.zeros(s), n=n,
            betas=np.array([1.0]), mean_energy=np.zeros((s, 0)), energy_mcse=np.zeros((s, 0)),
            prior_piece=np.array(g0s), offset=np.array(offsets), rhat_max=float("nan"),
            divergences=0, seconds=time.perf_counter() - t0)
    if beta0 != max(beta0s):
        g0s, g0_ses = [], []
        for i in range(s):
            lw = -beta0 * (prior_e[i] - offsets[i])
            lw = lw[np.isfinite(lw)]
            mx = lw.max()
            w = np.exp(lw - mx)
            g0s.append(-(mx + math.log(w.mean())))
            g0_ses.append(float(w.std(ddof=1) / math.sqrt(w.size) / w.mean()))
    u = np.linspace(math.log(beta0), 0.0, num_rungs)
    betas = np.exp(u)
    betas[-1] = 1.0
    h = u[1] - u[0]
    energy, mcse, rhat, div = _energy_table(
        model, k_mcmc, n, betas, datas, "thermodynamic_free_energy", num_chains=num_chains,
        num_warmup=num_warmup, num_samples=num_samples, target_accept=target_accept,
        max_tree_depth=max_tree_depth)
    ws, wt = _simpson_weights(num_rungs, h), _trapezoid_weights(num_rungs, h)
    f, se, qerr = [], [], []
    for i in range(s):
        g = betas * (energy[i] - offsets[i])
        simpson, trap = float(ws @ g), float(wt @ g)
        f.append(offsets[i] + g0s[i] + simpson)
        se.append(math.sqrt(float(np.sum((ws * betas * mcse[i]) ** 2)) + g0_ses[i] ** 2))
        qerr.append(abs(simpson - trap))
    return ThermoResult(
        free_energy=np.array(f), mc_se=np.array(se), quad_error=np.array(qerr), n=n,
        betas=betas, mean_energy=energy, energy_mcse=mcse, prior_piece=np.array(g0s),
        offset=np.array(offsets), rhat_max=rhat, divergences=div,
        seconds=time.perf_counter() - t0)


@dataclass(frozen=True)
class ThermoLambdaResult(AsDict):
    """λ̂ from the slope of TI free energies against log n.

    Attributes:
      lam_hat, lam_ci: the estimate and its 95 % interval (weighted least squares).
      ns: the data counts; excess: F_n − n L_n(w₀) per n (mean over data sets); excess_se: its
        standard error (Monte Carlo and quadrature errors combined).
      multiplicity: m used in the −(m−1) log log n term of the fit.
      seconds: wall time.
    """

    lam_hat: float
    lam_ci: tuple[float, float]
    ns: np.ndarray
    excess: np.ndarray
    excess_se: np.ndarray
    multiplicity: int
    seconds: float


def thermo_lambda(model: Model, ns, *, key: jax.Array, num_datasets: int = 1,
                  multiplicity: int | str = 1, **kwargs) -> ThermoLambdaResult:
    r"""λ̂ from F_n − n L_n(w₀) = λ log n − (m − 1) log log n + c over several n, by TI.

    Each F_n comes from :func:`thermodynamic_free_energy` (keyword arguments are passed on);
    a weighted least-squares line of F_n − n L_n(w₀) + (m − 1) log log n against log n gives λ̂.
    ``multiplicity=1`` fits the plain λ log n + c form, which is biased low by about
    (m − 1)/log n when the true multiplicity is m > 1; ``"volume"`` uses m̂ from volume scaling.

    Needs n L_n(w₀): data models with a true parameter, or potentials whose regions state their
    minimum loss.
    """
    v.model(model)
    key = v.prng_key(key)
    ns = v.data_counts("ns", ns)
    multiplicity = resolve_multiplicity(model, multiplicity, key=key)
    if len(ns) < 2 or np.any(ns <= 1):
        raise ValueError(f"ns must hold at least 2 data counts > 1, got {list(ns)}")
    if (model.is_potential and not any(r.loss is not None for r in model.regions)) or \
            (not model.is_potential and model.true_param is None):
        raise ValueError(f"{model.name} does not state its minimum loss n L_n(w0), which the "
                         f"free-energy slope needs")
    t0 = time.perf_counter()
    keys = jax.random.split(key, len(ns))
    y, se = [], []
    for k, n in zip(keys, ns):
        r = thermodynamic_free_energy(model, key=k, n=n if model.is_potential else int(n),
                                      num_datasets=num_datasets, **kwargs)
        y.append(float(np.mean(r.free_energy - r.offset)))
        se.append(float(np.sqrt(np.mean(r.mc_se ** 2 + r.quad_error ** 2) / len(r.mc_se))))
    x = np.log(ns)
    yy = np.asarray(y) + (multiplicity - 1) * np.log(x)
    wts = 1.0 / np.maximum(np.asarray(se), 1e-9) ** 2
    design = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv((design.T * wts) @ design)
    coef = cov @ ((design.T * wts) @ yy)
    lam, lam_se = float(coef[1]), math.sqrt(cov[1, 1])
    return ThermoLambdaResult(lam_hat=lam, lam_ci=(lam - 1.96 * lam_se, lam + 1.96 * lam_se),
                              ns=ns, excess=np.asarray(y), excess_se=np.asarray(se),
                              multiplicity=multiplicity, seconds=time.perf_counter() - t0)


__all__ = ["ThermoLambdaResult", "ThermoResult", "thermo_lambda", "thermodynamic_free_energy"]
