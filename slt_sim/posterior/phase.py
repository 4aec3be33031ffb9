r"""Bayesian phase changes in n: region masses against n, the exact and the predicted critical n.

The posterior mass of a region W_α is exp(−F_n(W_α)) / Σ_β exp(−F_n(W_β)) with the local free
energy F_n(W_α) = −log ∫_{W_α} φ e^{−nβL_n}. Asymptotically (Watanabe 2009)

    F_n(W_α) ≈ n L_α + λ_α log n − (m_α − 1) log log n + c_α,

so the dominant region switches where two of these cross: a Bayesian phase change. This module
finds that n exactly (root of the exact log-mass difference, by quadrature) and puts the
free-energy-formula prediction beside it, with and without the O(1) constants c_α (which are
fitted on exact free energies at n at least 10× below the crossing only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .. import theory
from .._results import fields_dict
from ..models.base import Model
from .exact import ExactPosterior, exact_posterior


@dataclass(frozen=True)
class PhaseSweep:
    """Region masses against n and the critical n of the phase change.

    Attributes:
      ns: the sweep of n; posterior: the :class:`ExactPosterior` over it.
      region_names, region_masses: mass of each region per n, shape (R, len(ns)).
      dominant: the region with most mass, per n.
      pair: (region before, region after) the switch, or None when no switch happens.
      critical_n_exact: n where the pair's masses are equal (exact quadrature + root finding).
      critical_n_predicted: free-energy-formula crossing with fitted constants c_α.
      critical_n_predicted_no_const: the same with c_α = 0 (pure nL + λ log n − (m−1) log log n).
      constants: {region: fitted c_α}; fit_ns: the n values used to fit them.
    """

    model_name: str
    ns: np.ndarray
    posterior: ExactPosterior
    region_names: tuple[str, ...]
    region_masses: np.ndarray
    dominant: list
    pair: tuple[str, str] | None
    critical_n_exact: float | None
    critical_n_predicted: float | None
    critical_n_predicted_no_const: float | None
    constants: dict
    fit_ns: np.ndarray | None

    def as_dict(self, posterior: bool = False) -> dict:
        """The fields as plain Python (for JSON); ``region_masses`` is (R, len(ns)) in the order
        of ``region_names``. ``posterior=True`` keeps the exact posterior's own
        :meth:`ExactPosterior.as_dict`."""
        return fields_dict(self, skip=() if posterior else ("posterior",))


def _log_mass_gap(model, n, a, b, beta, grid):
    post = exact_posterior(model, [n], beta=beta, grid=grid, keep_density=False,
                           marginals_2d=False)
    ia, ib = model.region_names.index(a), model.region_names.index(b)
    return float(post.region_log_masses[ib, 0] - post.region_log_masses[ia, 0])


def region_constants(model: Model, ns, *, beta: float = 1.0, grid=None) -> dict[str, float]:
    r"""Fit c_α = mean over ``ns`` of F_n(W_α) − nβL_α − λ_α log n + (m_α − 1) log log n.

    Uses each region's loss, λ and m (``models.Region``); exact F_n(W_α) from quadrature.
    """
    v.model(model)
    ns = v.data_counts("ns", ns)
    post = exact_posterior(model, ns, beta=beta, grid=grid, keep_density=False,
                           marginals_2d=False)
    out = {}
    for r in model.regions:
        law = theory.FreeEnergyLaw(beta * float(r.loss), r.lam, int(r.m))
        resid = post.region_free_energy(r.name) - law.free_energy(ns)
        out[r.name] = float(np.mean(resid))
    return out


def phase_sweep(model: Model, ns=None, *, beta: float = 1.0, grid=None,
                fit_factor: float = 10.0, n_fit: int = 5) -> PhaseSweep:
    r"""Region masses over a sweep of n, with the exact and predicted critical n.

    Args:
      model: a potential model (d ≤ 3) with at least two regions carrying (loss, λ, m), e.g.
        :func:`~slt_sim.models.two_basins_1d` or :func:`~slt_sim.models.two_basins_2d`.
      ns: the sweep (default: 61 values log-spaced over 10..1e7).
      beta: inverse temperature.
      grid: quadrature grid (default: graded toward the model's focus points).
      fit_factor: the O(1) constants are fitted only on n ≤ critical_n_exact / fit_factor.
      n_fit: how many n values (log-spaced over one decade below that bound) to fit them on.

    Returns:
      :class:`PhaseSweep`. The exact critical n is a root of log mass_b − log mass_a in log n
      (Brent's method on exact quadrature, relative tolerance 1e-9), bracketed by the sweep.
    """
    from scipy import optimize

    v.model(model)
    if len(model.regions) < 2:
        raise ValueError(f"phase_sweep needs a model with at least two regions; {model.name} "
                         f"has {len(model.regions)}")
    if not model.is_potential:
        raise ValueError(f"phase_sweep works on potential models; {model.name} is a data model "
                         f"(use exact_posterior(model, ns, key=...) for its region masses)")
    ns = np.logspace(1, 7, 61) if ns is None else np.sort(v.data_counts("ns", ns))
    fit_factor = v.as_float("fit_factor", fit_factor, lo=1.0)
    n_fit = v.as_int("n_fit", n_fit, lo=1)
    post = exact_posterior(model, ns, beta=beta, grid=grid, keep_density=False)
    masses = np.exp(post.region_log_masses)
    dominant = post.dominant_region
    names = model.region_names

    pair = None
    crit = None
    for i in range(len(ns) - 1):
        if dominant[i] != dominant[i + 1]:
            pair = (dominant[i], dominant[i + 1])
            a, b = pair
            lo, hi = math.log(ns[i]), math.log(ns[i + 1])
            t = optimize.brentq(lambda t, a=a, b=b: _log_mass_gap(model, math.exp(t), a, b,
                                                                   beta, grid),
                                lo, hi, xtol=1e-10, rtol=1e-10)
            crit = math.exp(t)
            break

    pred = pred0 = None
    consts: dict = {}
    fit_ns = None
    if pair is not None:
        ra, rb = model.region(pair[0]), model.region(pair[1])
        if all(getattr(r, f) is not None for r in (ra, rb) for f in ("loss", "lam", "m")):
            law_a0 = theory.FreeEnergyLaw(beta * float(ra.loss), ra.lam, int(ra.m))
            law_b0 = theory.FreeEnergyLaw(beta * float(rb.loss), rb.lam, int(rb.m))
            pred0 = theory.critical_n(law_a0, law_b0)
            hi_fit = crit / fit_factor
            lo_fit = max(hi_fit / 10.0, math.e * 1.01)
            if hi_fit > lo_fit:
                fit_ns = np.logspace(math.log10(lo_fit), math.log10(hi_fit), n_fit)
                consts = region_constants(model, fit_ns, beta=beta, grid=grid)
                law_a = theory.FreeEnergyLaw(law_a0.loss, ra.lam, int(ra.m), consts[pair[0]])
                law_b = theory.FreeEnergyLaw(law_b0.loss, rb.lam, int(rb.m), consts[pair[1]])
                pred = theory.critical_n(law_a, law_b)
    return PhaseSweep(model.name, ns, post, names, masses, dominant, pair, crit, pred, pred0,
                      consts, fit_ns)
