r"""The learning coefficient from the slope of the exact free energy in log n.

Watanabe's asymptotic expansion (2009, ch. 6)

    F_n − n L_n(w0) = λ log n − (m − 1) log log n + c + O(1/log n)

is fitted to exact free energies (grid quadrature) over a sweep of n by least squares in the
regressors (log n, 1, 1/log n) after adding (m − 1) log log n, for each candidate m = 1..d. The
1/log n column absorbs the leading correction, which is large for m > 1 (e.g. for K = (ab)² the
exact Z_n ∝ (log n + c')/√n). m̂ is the candidate with the smallest residual — chosen by fit
quality, not from theory. The fit is deterministic, so its uncertainty is model error, not noise:
the interval for λ is the range of λ̂ over the fits that drop part of the sweep — every
sub-window of at least three consecutive n, every leave-one-out sweep, and (with ≥ 4 values) the
fit with and without the 1/log n column. With fewer than five values of n that range is crude and
the result says so in ``warnings``.

For a potential L_n(w0) = K_min (the minimum of K on the grid); for a data model it is
L_n(w0) at the true parameter on the same nested data the posterior used.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from .. import _validate as v
from .._results import fields_dict
from .._warnings import FitWarning, emit
from ..models.base import Data, Model
from ..posterior.exact import exact_posterior


@dataclass(frozen=True)
class FreeEnergySlope:
    """λ̂ and m̂ from exact free energies (see module docstring).

    Attributes:
      lam_hat, lam_ci, m_hat: the estimate, its sub-window interval and the chosen m.
      intercept, correction: fitted c and the coefficient e of the 1/log n term.
      rss: residual sum of squares per candidate m (index m − 1).
      ns, free_energy, excess: the sweep, F_n and F_n − n L_n(w0).
      lam, m: theory values when the model knows them.
      warnings: plain-language notes on the fit (too few n values for an interval, …).
    """

    model_name: str
    lam_hat: float
    lam_ci: tuple[float, float]
    m_hat: int
    intercept: float
    correction: float
    rss: tuple[float, ...]
    ns: np.ndarray
    free_energy: np.ndarray
    excess: np.ndarray
    lam: float | None
    m: int | None
    warnings: tuple[str, ...] = ()

    def fitted(self, ns) -> np.ndarray:
        """The fitted law λ̂ log n − (m̂ − 1) log log n + c + e/log n at ``ns``."""
        t = np.log(np.asarray(ns, dtype=float))
        return (self.lam_hat * t - (self.m_hat - 1) * np.log(t) + self.intercept
                + self.correction / t)

    def as_dict(self) -> dict:
        """The fields as plain Python (for JSON; λ spelled ``lambda``) plus ``method``."""
        return {**fields_dict(self), "method": "free-energy"}


#: fewer values of n than this give only a crude interval (and a warning)
MIN_NS_FOR_INTERVAL = 5


def _fit(log_n: np.ndarray, y: np.ndarray, m: int,
         correction: bool = True) -> tuple[np.ndarray, float]:
    cols = [log_n, np.ones_like(log_n)]
    if correction and len(log_n) >= 4:
        cols.append(1.0 / log_n)
    x = np.stack(cols, axis=1)
    target = y + (m - 1) * np.log(log_n)
    coef, *_ = np.linalg.lstsq(x, target, rcond=None)
    return coef, float(np.sum((x @ coef - target) ** 2))


def fit_free_energy_slope(ns, excess, *, m: int | None = None, max_m: int = 3):
    """Fit λ (and m unless given) to F_n − nL_n(w0) values.

    Returns (λ̂, m̂, c, e, rss per candidate m, (ci_lo, ci_hi)) for the law
    F_n − nL_n(w0) ≈ λ log n − (m − 1) log log n + c + e / log n.
    """
    ns = v.data_counts("ns", ns)
    excess = v.as_float_array("excess", excess)
    if len(ns) != len(excess):
        raise ValueError(f"ns and excess must have the same length ({len(ns)} vs {len(excess)})")
    if len(ns) < 3:
        raise ValueError(f"ns needs at least 3 values to fit a slope, got {len(ns)}")
    if np.any(ns <= np.e):
        raise ValueError(f"ns must all be > e (log log n is used), got {ns.min():g}")
    log_n = np.log(ns)
    cands = range(1, max_m + 1) if m is None else [v.as_int("m", m, lo=1)]
    fits = {mm: _fit(log_n, excess, mm) for mm in cands}
    m_hat = min(fits, key=lambda mm: fits[mm][1])
    coef, _ = fits[m_hat]
    ci = _interval(log_n, excess, m_hat, float(coef[0]))
    rss = tuple(fits[mm][1] for mm in sorted(fits))
    corr = float(coef[2]) if len(coef) > 2 else 0.0
    return float(coef[0]), int(m_hat), float(coef[1]), corr, rss, ci


def _interval(log_n: np.ndarray, excess: np.ndarray, m: int, lam_hat: float):
    """Range of λ̂ over sub-windows, leave-one-out sweeps and the correction column on/off."""
    k = len(log_n)
    width = max(3, k // 2 + 1)
    fits = [_fit(log_n[i:i + width], excess[i:i + width], m)[0][0]
            for i in range(0, k - width + 1)]
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[:] = True
        keep[i] = False
        fits.append(_fit(log_n[keep], excess[keep], m)[0][0])
    if k >= 4:
        fits.append(_fit(log_n, excess, m, correction=False)[0][0])
    fits.append(lam_hat)
    return float(min(fits)), float(max(fits))


def interval_warnings(count: int) -> tuple[str, ...]:
    """The warning for a sweep too short for a trustworthy interval (empty when long enough)."""
    if count >= MIN_NS_FOR_INTERVAL:
        return ()
    return (f"only {count} values of n: the λ interval is a crude leave-one-out range; pass at "
            f"least {MIN_NS_FOR_INTERVAL} values spanning three or more decades (e.g. "
            f"1e2,1e3,...,1e6) for an interval you can trust",)


def free_energy_lambda(model: Model, ns=None, *, m: int | None = None, data: Data | None = None,
                       key: jax.Array | None = None, grid=None) -> FreeEnergySlope:
    r"""Estimate λ (and m) from the slope of the exact free energy F_n against log n.

    Args:
      model: a model with ``dim ≤ 3`` (grid quadrature).
      ns: the sweep (default: 9 values log-spaced over 1e2..1e6 for potentials — which also
        take n up to 1e12, where the asymptotics are cleaner — and 7 over 1e2..1e4 for data
        models, whose single data set makes the slope noisy: average over data seeds).
      m: fix the multiplicity instead of choosing it by fit quality.
      data, key: for data models (see :func:`~slt_sim.posterior.exact.exact_posterior`).
      grid: quadrature grid.
    """
    v.model(model)
    if ns is None:
        ns = np.logspace(2, 6, 9) if model.is_potential else np.round(np.logspace(2, 4, 7))
    ns = np.sort(v.data_counts("ns", ns))
    post = exact_posterior(model, ns, data=data, key=key, grid=grid, keep_density=False,
                           marginals_2d=False)
    if model.is_potential:
        loss0 = ns * post.loss_min
    else:
        d = post.data
        per = np.asarray(model.per_sample_loss(model.true_param, d))
        loss0 = np.cumsum(per)[ns.astype(int) - 1]
    excess = post.free_energy - loss0
    lam_hat, m_hat, c, e, rss, ci = fit_free_energy_slope(ns, excess, m=m, max_m=model.dim)
    notes = interval_warnings(len(ns))
    emit(notes, FitWarning, stacklevel=2)
    notes += tuple(post.warnings)          # the quadrature's own (already warned by the engine)
    return FreeEnergySlope(model.name, lam_hat, ci, m_hat, c, e, rss, ns, post.free_energy,
                           excess, model.lam_float, model.m, notes)
