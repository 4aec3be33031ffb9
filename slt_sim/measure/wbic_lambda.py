r"""WBIC and Watanabe's multi-temperature estimator of the learning coefficient λ, by NUTS.

Watanabe (2013, JMLR 14:867) shows that for β = β₀ / log n the posterior mean of the energy is

    E_β[n L_n(w)] = n L_n(w₀) + λ/β + U_n √(λ/(2β)) + O_p(1),

so at β* = 1/log n the *widely applicable Bayesian information criterion*

    WBIC = E_{β*}[n L_n(w)] = n L_n(w₀) + λ log n + O_p(√log n)

approximates the free energy F_n (without its −(m−1) log log n term), and the slope of
E_β[n L_n] against 1/β over a few temperatures estimates λ: the multi-temperature estimator,
regressing over β ∈ [1 − 1/√(2 log n), 1 + 1/√(2 log n)] / log n (REFERENCE.md §2).

**Multiplicity.** With multiplicity m > 1 the partition function behaves like
Z(t) ∝ t^{−λ} (log t)^{m−1} (t = nβ), so E_β[n L_n] = n L_n(w₀) + [λ − (m−1)/log(nβ)]/β + …
and the plain slope is biased low by about (m−1)(1/log(nβ) + 1/log²(nβ)): −0.16 at n = 10⁴,
i.e. −30 % for the tanh network with H = 1 (λ = 1/2, m = 2). Passing ``multiplicity=m``
regresses E_β[n L_n] + (m−1)/(β log(nβ)) on 1/β instead, which removes that leading term (the
remainder is O(1/log² n) and model dependent). ``multiplicity=1`` is Watanabe's estimator.

All temperatures — and all data sets when several are given — run as one compiled NUTS program
(:func:`slt_sim.posterior.tempered_nuts.tempered_draws`); on a CPU its chains run one after
the other inside that program, each paying only for its own NUTS trees (``chain_method``).

**Cost on singular networks.** NUTS on a singular posterior builds long trees: on the tanh
network with H = 3 at n = 5000 the mean tree holds about 71 leapfrog steps at max_tree_depth 8
and most chains hit the cap of 255, each step a pass over all n data points. The
functions here keep Watanabe's five temperatures and depth 8 by default; the command line picks
a cheaper default for data models (docs/mcmc.md has the measured times and λ̂).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jax
import numpy as np
from scipy import stats as sps

from .. import _validate as v
from .._results import AsDict
from .._warnings import ConvergenceWarning, emit
from ..models.base import Data, Model
from ..posterior.energy import energy_function, model_data
from ..posterior.mcmc import RHAT_MAX
from ..posterior.tempered_nuts import TemperedDraws, tempered_draws


@dataclass(frozen=True)
class WBICResult(AsDict):
    """WBIC = E_{β*}[n L_n(w)] at β* = 1/log n (Watanabe 2013).

    Attributes:
      wbic: the posterior mean of n L_n at β*, per data set (shape (S,)); ``value`` is the mean.
      mcse: its Monte Carlo standard error per data set (from the energy's ESS).
      reference_energy: n L_n(w₀) (data models: at the true parameter; potentials: n·min K of
        the model's regions), or None when unknown.
      lam_hat: (WBIC − n L_n(w₀)) / log n per data set, a one-temperature λ estimate with
        O(1/√log n) error, or None when n L_n(w₀) is unknown.
      n, beta: data count and β* = 1/log n.
      rhat_max, divergences: NUTS diagnostics of the energy.
      seconds: wall time.
      tree_steps: leapfrog steps per NUTS iteration over the kept draws ("mean_steps",
        "max_steps", "mean_of_chain_max"; see ``TemperedDraws.tree_stats``).
    """

    wbic: np.ndarray
    mcse: np.ndarray
    reference_energy: np.ndarray | None
    lam_hat: np.ndarray | None
    n: float
    beta: float
    rhat_max: float
    divergences: int
    seconds: float
    tree_steps: dict | None = None

    @property
    def value(self) -> float:
        return float(np.mean(self.wbic))


@dataclass(frozen=True)
class MultiTemperatureResult(AsDict):
    r"""λ̂ from the slope of E_β[n L_n] against 1/β (Watanabe 2013).

    Attributes:
      lam_hat: the estimate (mean over data sets).
      lam_ci: 95 % interval: over ≥ 2 data sets a Student-t interval from their spread (data
        and Monte Carlo variation together); for one data set the regression's Monte Carlo
        interval (weighted least squares on the per-temperature MCSEs, inflated by the residual
        scatter when it exceeds them).
      lam_hats: λ̂ per data set, shape (S,); lam_ses: their Monte Carlo standard errors.
      intercepts: fitted n L_n(w₀) per data set.
      betas: the temperatures, shape (T,).
      mean_energy, energy_mcse: E_β[n L_n] and its MCSE, shape (S, T).
      multiplicity: m used in the (m−1) log-log correction (1: Watanabe's plain estimator).
      n: data count.
      rhat_max, divergences: NUTS diagnostics (max energy R̂, total divergent transitions).
      seconds: wall time.
      tree_steps: leapfrog steps per NUTS iteration ("mean_steps", "max_steps",
        "mean_of_chain_max"); chain_method: how the chains ran ("vectorized"/"sequential").
    """

    lam_hat: float
    lam_ci: tuple[float, float]
    lam_hats: np.ndarray
    lam_ses: np.ndarray
    intercepts: np.ndarray
    betas: np.ndarray
    mean_energy: np.ndarray
    energy_mcse: np.ndarray
    multiplicity: int
    n: float
    rhat_max: float
    divergences: int
    seconds: float
    tree_steps: dict | None = None
    chain_method: str | None = None


def default_betas(n: float, num: int = 5) -> np.ndarray:
    r"""``num`` temperatures evenly spaced on [1 − 1/√(2 log n), 1 + 1/√(2 log n)] / log n."""
    n = v.as_float("n", n, lo=1.0, lo_open=True)
    num = v.as_int("num", num, lo=2)
    ln = math.log(n)
    half = 1.0 / math.sqrt(2.0 * ln)
    return np.linspace(1.0 - half, 1.0 + half, num) / ln


def _datasets(model: Model, key, n, data, num_datasets) -> tuple[float, list[Data] | None]:
    """n and the list of data sets (None for potentials)."""
    if model.is_potential:
        if num_datasets != 1:
            raise ValueError(f"{model.name} is a potential (no data): num_datasets must be 1")
        return model_data(model, key=None, n=n, data=None)[0], None
    if data is not None:
        datas = list(data) if isinstance(data, (list, tuple)) and not isinstance(data, Data) \
            else [data]
        out = [model_data(model, key=None, n=n, data=d, name=f"data[{i}]")[1]
               for i, d in enumerate(datas)]
        sizes = {d.n for d in out}
        if len(sizes) != 1:
            raise ValueError(f"all data sets must have the same size, got sizes {sorted(sizes)}")
        return float(out[0].n), out
    keys = jax.random.split(key, num_datasets)
    out = [model_data(model, key=k, n=n, data=None)[1] for k in keys]
    return float(out[0].n), out


def reference_energy(model: Model, n: float, datas) -> np.ndarray | None:
    """n L_n(w₀) per data set (data models) or n · min_region loss (potentials); None if unknown."""
    if model.is_potential:
        losses = [r.loss for r in model.regions if r.loss is not None]
        return None if not losses else np.array([n * min(losses)])
    if model.true_param is None:
        return None
    efn = energy_function(model)
    return np.array([float(efn.energy(model.true_param, efn.prepare(d, n))) for d in datas])


def _diagnose(draws: TemperedDraws, what: str) -> tuple[float, int]:
    rhat = float(np.nanmax(draws.energy_rhat)) if draws.energy.shape[1] >= 2 else float("nan")
    div = int(draws.divergences.sum())
    if np.isfinite(rhat) and rhat > RHAT_MAX:
        emit(f"{what}: energy R-hat = {rhat:.3f} > {RHAT_MAX}; raise num_warmup and "
             f"num_samples (or num_chains)", ConvergenceWarning, stacklevel=3)
    if div:
        emit(f"{what}: {div} divergent transitions; raise target_accept (e.g. 0.95)",
             ConvergenceWarning, stacklevel=3)
    return rhat, div

def _energy_table(model: Model, key, n, betas: np.ndarray, datas, what: str,
                  return_draws: bool = False, **sampler):
    """E_β[nL_n] and its MCSE for every (data set, β) pair, from one tempered NUTS run.

    Returns (energy, mcse, rhat, divergences) with energy and mcse of shape (data sets, len(β)),
    and the :class:`TemperedDraws` last when ``return_draws``.
    """
    s = 1 if datas is None else len(datas)
    t = len(betas)
    all_datas = None if datas is None else [d for d in datas for _ in range(t)]
    draws = tempered_draws(model, key=key, n=n, betas=np.tile(betas, s), datas=all_datas,
                           **sampler)
    rhat, div = _diagnose(draws, what)
    out = draws.mean_energy.reshape(s, t), draws.energy_mcse.reshape(s, t), rhat, div
    return out + (draws,) if return_draws else out



def wbic(model: Model, *, key: jax.Array, n=None, data=None, num_datasets: int = 1,
         num_chains: int = 4, num_warmup: int = 300, num_samples: int = 500,
         target_accept: float = 0.8, max_tree_depth: int = 8, dense_mass: bool = False,
         chain_method: str = "auto", progress: bool = False) -> WBICResult:
    r"""WBIC = E_{β*}[n L_n(w)], β* = 1/log n, by NUTS (Watanabe 2013).

    Args:
      model: a catalogue model.
      key: ``jax.random`` key (data sets, when sampled, and NUTS).
      n: data count (potentials: the scale of K; data models: samples to draw from the truth).
      data: a data set, or a list of data sets of equal size (data models).
      num_datasets: data sets to sample when ``data`` is not given.
      num_chains, num_warmup, num_samples, target_accept, max_tree_depth, dense_mass: NUTS
        settings.
      chain_method: ``"auto"`` (sequential chains on a CPU, vectorised on a GPU),
        ``"vectorized"`` or ``"sequential"``
        (:func:`~slt_sim.posterior.tempered_nuts.tempered_draws`).
      progress: print progress and the estimated time left to stderr.

    Returns:
      :class:`WBICResult`.
    """
    v.model(model)
    k_data, k_mcmc = jax.random.split(v.prng_key(key))
    n, datas = _datasets(model, k_data, n, data, v.as_int("num_datasets", num_datasets, lo=1))
    if n <= 1:
        raise ValueError(f"n must be > 1 for β* = 1/log n, got {n:g}")
    t0 = time.perf_counter()
    beta = 1.0 / math.log(n)
    s = 1 if datas is None else len(datas)
    draws = tempered_draws(model, key=k_mcmc, n=n, betas=np.full(s, beta), datas=datas,
                           num_chains=num_chains, num_warmup=num_warmup,
                           num_samples=num_samples, target_accept=target_accept,
                           max_tree_depth=max_tree_depth, dense_mass=dense_mass,
                           chain_method=chain_method, progress=progress)
    rhat, div = _diagnose(draws, "wbic")
    ref = reference_energy(model, n, datas)
    w = draws.mean_energy
    lam = None if ref is None else (w - ref) / math.log(n)
    return WBICResult(wbic=w, mcse=draws.energy_mcse, reference_energy=ref, lam_hat=lam, n=n,
                      beta=beta, rhat_max=rhat, divergences=div,
                      seconds=time.perf_counter() - t0, tree_steps=draws.tree_stats)


def slope_fit(inv_beta: np.ndarray, energy: np.ndarray, se: np.ndarray, n: float,
              multiplicity: int = 1) -> tuple[float, float, float]:
    r"""Weighted least-squares fit E_β[nL_n] + (m−1)/(β log nβ) = A + λ/β.

    Returns (λ̂, its standard error, A). The standard error comes from the per-point standard
    errors ``se`` and is inflated by √(χ²/dof) when the residuals scatter more than they say.
    """
    s = np.asarray(inv_beta, dtype=float)
    y = np.asarray(energy, dtype=float) + (multiplicity - 1) * s / np.log(n / s)
    wts = 1.0 / np.maximum(np.asarray(se, dtype=float), 1e-12) ** 2
    x = np.stack([np.ones_like(s), s], axis=1)
    xtw = x.T * wts
    cov = np.linalg.inv(xtw @ x)
    coef = cov @ (xtw @ y)
    resid = y - x @ coef
    dof = max(len(s) - 2, 1)
    chi2 = float(np.sum(wts * resid ** 2)) / dof
    se_slope = math.sqrt(cov[1, 1] * max(1.0, chi2)) if len(s) > 2 else math.sqrt(cov[1, 1])
    return float(coef[1]), se_slope, float(coef[0])


def resolve_multiplicity(model: Model, multiplicity, *, key: jax.Array) -> int:
    """An integer m ≥ 1, or ``"volume"``: m̂ from :func:`~slt_sim.measure.volume.volume_scaling`."""
    if isinstance(multiplicity, str):
        if multiplicity != "volume":
            raise ValueError(f"multiplicity must be an integer >= 1 or 'volume', got "
                             f"{multiplicity!r}")
        from .volume import volume_scaling

        return int(volume_scaling(model, key=jax.random.fold_in(key, 1)).m_hat)
    return v.as_int("multiplicity", multiplicity, lo=1)


def multi_temperature_lambda(model: Model, *, key: jax.Array, n=None, data=None,
                             betas=None, num_betas: int = 5, num_datasets: int = 1,
                             multiplicity: int | str = 1, num_chains: int = 4,
                             num_warmup: int = 300, num_samples: int = 500,
                             target_accept: float = 0.8, max_tree_depth: int = 8,
                             dense_mass: bool = False, chain_method: str = "auto",
                             progress: bool = False) -> MultiTemperatureResult:
    r"""λ̂ = slope of E_β[n L_n] against 1/β over a few temperatures (Watanabe 2013).

    For each data set, NUTS gives E_β[n L_n] at every β (all temperatures and data sets in one
    vectorised run) and a weighted least-squares line through (1/β, E_β[n L_n]) gives λ̂
    (slope) and n L_n(w₀) (intercept). See the module docstring for the multiplicity
    correction.

    Args:
      model: a catalogue model.
      key: ``jax.random`` key (data sets, when sampled, and NUTS).
      n: data count (potentials: the scale of K; data models: samples drawn from the truth).
      data: a data set, or a list of equal-size data sets (data models).
      betas: the temperatures (default :func:`default_betas` with ``num_betas`` points).
      num_datasets: data sets to sample from the truth when ``data`` is not given (λ̂ is their
        mean, the interval comes from their spread).
      multiplicity: m for the (m−1)/(β log nβ) correction; 1 (default) is Watanabe's plain
        estimator, which is biased low by ≈ (m−1)/log(nβ) when m > 1. ``"volume"`` estimates m
        first as ``volume_scaling(model).m_hat`` (volume scaling of the population loss K; no
        theory used) and reports it in ``multiplicity``.
      num_chains, num_warmup, num_samples, target_accept, max_tree_depth, dense_mass: NUTS
        settings.
      chain_method: ``"auto"`` (sequential chains on a CPU, vectorised on a GPU),
        ``"vectorized"`` or ``"sequential"``
        (:func:`~slt_sim.posterior.tempered_nuts.tempered_draws`;
        the same draws either way, the CPU time differs).
      progress: print progress and the estimated time left to stderr.

    Returns:
      :class:`MultiTemperatureResult`.
    """
    v.model(model)
    k_data, k_mcmc = jax.random.split(v.prng_key(key))
    multiplicity = resolve_multiplicity(model, multiplicity, key=k_data)
    n, datas = _datasets(model, k_data, n, data, v.as_int("num_datasets", num_datasets, lo=1))
    if n <= 1:
        raise ValueError(f"n must be > 1, got {n:g}")
    betas = default_betas(n, num_betas) if betas is None else \
        np.sort(v.as_float_array("betas", betas, lo=0.0, lo_open=True))
    if len(np.unique(betas)) < 2:
        raise ValueError(f"betas must hold at least 2 distinct temperatures, got {betas}")
    if np.any(n * betas <= 1.0):
        raise ValueError(f"n·β must exceed 1 for every β (the (m−1)/log(nβ) term), got "
                         f"n·β = {n * betas.min():g}")
    t0 = time.perf_counter()
    energy, mcse, rhat, div, draws = _energy_table(
        model, k_mcmc, n, betas, datas, "multi_temperature_lambda", return_draws=True,
        num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples,
        target_accept=target_accept, max_tree_depth=max_tree_depth, dense_mass=dense_mass,
        chain_method=chain_method, progress=progress)
    s = len(energy)
    fits = [slope_fit(1.0 / betas, energy[i], mcse[i], n, multiplicity) for i in range(s)]
    lams = np.array([f[0] for f in fits])
    ses = np.array([f[1] for f in fits])
    lam = float(lams.mean())
    if s >= 2:
        half = sps.t.ppf(0.975, s - 1) * lams.std(ddof=1) / math.sqrt(s)
    else:
        half = 1.96 * float(ses[0])
    return MultiTemperatureResult(
        lam_hat=lam, lam_ci=(lam - half, lam + half), lam_hats=lams, lam_ses=ses,
        intercepts=np.array([f[2] for f in fits]), betas=betas, mean_energy=energy,
        energy_mcse=mcse, multiplicity=multiplicity, n=n, rhat_max=rhat, divergences=div,
        seconds=time.perf_counter() - t0, tree_steps=draws.tree_stats,
        chain_method=draws.chain_method)


__all__ = ["MultiTemperatureResult", "WBICResult", "default_betas", "multi_temperature_lambda",
           "reference_energy", "resolve_multiplicity", "slope_fit", "wbic"]
