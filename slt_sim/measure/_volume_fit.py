r"""Fitting the volume-scaling law V(ε) ≈ ε^λ P_{m−1}(log 1/ε) and choosing the multiplicity m.

The zeta function ζ(z) = ∫ K(w)^z φ(w) dw has its largest pole at z = −λ with order m, so its
Mellin pair, the volume V(ε) = ∫_{K<ε} φ, has the expansion (Watanabe 2009, ch. 2 and 6)

    V(ε) = ε^λ Σ_{k=0}^{m−1} c_k (log 1/ε)^k + O(ε^{λ'} (log 1/ε)^{m'−1}),   λ' > λ.

The leading term c_{m−1} ε^λ (log 1/ε)^{m−1} is the familiar V ≈ c ε^λ (−log ε)^{m−1}; the lower
powers c_0 … c_{m−2} belong to the same pole and are *not* small: for (ab)² on [−1, 1]² the exact
volume is √ε (1 + ½ log 1/ε), whose "+1" changes the local slope by 3% even at ε = 1e−12. So
every fit here uses the whole pole, m coefficients c_0 … c_{m−1} (linear) and λ (profiled).

Residuals are relative, r_j = (V_j − ε_j^λ P(L_j)) / (σ_j V_j) with
σ_j² = (se_j / V_j)² + τ²: the volume's own standard error plus a tolerance τ for what the pole
does not describe (the next pole, O(ε^{λ'−λ}) relative). Multiplicity: for m = 1 … m_max,
χ²_m = min over λ, c of Σ r_j², over the λ where the fit is admissible: the leading coefficient
c_{m−1} is positive, the fitted volume is positive on the whole range, and at the smallest ε the
lower terms Σ_{k<m−1} |c_k| L^k are at most 25% of the fitted volume (a genuine pole of order m
is dominated by its leading term there; without this rule a quadratic P with large cancelling
c_0, c_1 imitates the cusp's slowly decaying ε^{1/12} correction). The chosen m minimises the
Bayesian information criterion χ²_m + (m + 1) log(#points). A larger m always fits at least as
well, so the penalty keeps m̂ at the smallest order the data need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

_DELTA_CHI2_95 = 3.841458820694124  # 95% quantile of χ²_1


@dataclass(frozen=True)
class PoleFit:
    """One fit of V(ε) = ε^λ Σ_k c_k (log 1/ε)^k with m coefficients."""

    lam: float
    m: int
    coefficients: tuple[float, ...]  # c_0 … c_{m−1}
    chi2: float
    n_points: int
    criterion: float

    @property
    def leading(self) -> float:
        return self.coefficients[-1]

    def volume(self, eps) -> np.ndarray:
        eps = np.asarray(eps, dtype=float)
        big_l = np.log(1.0 / eps)
        poly = sum(c * big_l ** k for k, c in enumerate(self.coefficients))
        return eps ** self.lam * poly


class _Problem:
    """Pre-scaled data for fast profiling over λ (all in float64 NumPy)."""

    def __init__(self, eps, volume, rel_sigma, lower_share=0.25):
        self.lower_share = lower_share
        self.log_eps = np.log(eps)
        self.log_v = np.log(volume)
        self.big_l = -self.log_eps
        self.l_ref = float(np.mean(self.big_l))
        self.u = self.big_l / self.l_ref
        self.log_eps_ref = float(np.mean(self.log_eps))
        self.log_v_ref = float(np.mean(self.log_v))
        self.w = 1.0 / rel_sigma
        self.n = len(eps)

    def design(self, lam: np.ndarray, m: int) -> np.ndarray:
        """X[l, j, k] = ε_j^λ u_j^k / (σ_j V_j), scaled by the reference point."""
        lam = np.atleast_1d(lam)[:, None]
        base = np.exp(lam * (self.log_eps - self.log_eps_ref) - (self.log_v - self.log_v_ref))
        powers = self.u[None, :, None] ** np.arange(m)[None, None, :]
        return base[:, :, None] * powers * self.w[None, :, None]

    def solve(self, lam: np.ndarray, m: int):
        """Least squares for every λ: returns χ², scaled coefficients, admissibility."""
        x = self.design(lam, m)
        y = np.broadcast_to(self.w, x.shape[:2])
        q, r = np.linalg.qr(x)
        qty = np.einsum("ljk,lj->lk", q, y)
        diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
        singular = np.any(diag < 1e-13 * np.max(diag, axis=1, keepdims=True), axis=1)
        r_safe = r + np.where(singular, 1.0, 0.0)[:, None, None] * np.eye(m)[None]
        coef = np.linalg.solve(r_safe, qty[..., None])[..., 0]
        resid = y - np.einsum("ljk,lk->lj", x, coef)
        chi2 = np.sum(resid ** 2, axis=1)
        fitted = np.einsum("ljk,lk->lj", x, coef)  # = model / (σ V)
        ok = (coef[:, -1] > 0) & np.all(fitted > 0, axis=1) & ~singular
        if m > 1:
            # leading-term dominance at the smallest ε (largest u): lower powers ≤ share
            j = int(np.argmax(self.u))
            terms = coef * self.u[j] ** np.arange(m)[None, :]
            lower = np.sum(np.abs(terms[:, :-1]), axis=1)
            ok &= lower <= self.lower_share * np.sum(terms, axis=1)
        return chi2, coef, ok

    def coefficients(self, lam: float, scaled: np.ndarray) -> tuple[float, ...]:
        """Undo the scaling: c_k multiplies ε^λ L^k."""
        factor = np.exp(self.log_v_ref - lam * self.log_eps_ref)
        return tuple(float(c * factor / self.l_ref ** k) for k, c in enumerate(scaled))


def _profile(problem: _Problem, m: int, lam_grid: np.ndarray):
    chi2, coef, ok = problem.solve(lam_grid, m)
    return np.where(ok, chi2, np.inf), coef


def fit_pole(problem: _Problem, m: int, lam_bounds: tuple[float, float],
             n_grid: int = 2001) -> tuple[PoleFit | None, np.ndarray, np.ndarray]:
    """Best fit with m coefficients; also returns the λ grid and its profile χ²(λ)."""
    lam_grid = np.linspace(lam_bounds[0], lam_bounds[1], n_grid)
    prof, _ = _profile(problem, m, lam_grid)
    if not np.any(np.isfinite(prof)):
        return None, lam_grid, prof
    i = int(np.argmin(prof))
    lo = lam_grid[max(i - 1, 0)]
    hi = lam_grid[min(i + 1, n_grid - 1)]

    def objective(lam):
        value = _profile(problem, m, np.array([lam]))[0][0]
        return value if np.isfinite(value) else 1e300

    lam_hat = float(lam_grid[i])
    if hi > lo:
        res = minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-10})
        if res.fun <= prof[i]:
            lam_hat = float(res.x)
    chi2, coef, ok = problem.solve(np.array([lam_hat]), m)
    if not ok[0]:
        lam_hat = float(lam_grid[i])
        chi2, coef, ok = problem.solve(np.array([lam_hat]), m)
    crit = float(chi2[0]) + (m + 1) * np.log(problem.n)
    fit = PoleFit(lam=lam_hat, m=m, coefficients=problem.coefficients(lam_hat, coef[0]),
                  chi2=float(chi2[0]), n_points=problem.n, criterion=crit)
    return fit, lam_grid, prof


def profile_interval(problem: _Problem, fit: PoleFit,
                     lam_bounds: tuple[float, float]) -> tuple[float, float]:
    """95% profile-likelihood interval for λ, with χ² inflated by the reduced χ² when > 1.

    {λ : χ²(λ) − χ²_min ≤ 3.84 · max(1, χ²_min / dof)}, dof = #points − (m + 1), where χ²(λ) is
    minimised over the coefficients (and is +∞ where the order-m fit is inadmissible). Each end
    is bracketed by doubling steps away from λ̂ and then located by bisection.
    """
    dof = max(fit.n_points - fit.m - 1, 1)
    level = fit.chi2 + _DELTA_CHI2_95 * max(1.0, fit.chi2 / dof)

    def above(lam: float) -> bool:
        return not _profile(problem, fit.m, np.array([lam]))[0][0] <= level

    ends = []
    for direction, bound in ((-1.0, lam_bounds[0]), (1.0, lam_bounds[1])):
        inner, step = fit.lam, max(1e-6, 1e-4 * abs(fit.lam))
        outer = None
        while outer is None:
            trial = fit.lam + direction * step
            if (trial - bound) * direction >= 0:
                if above(bound):
                    outer = bound
                else:
                    inner = outer = bound
                break
            if above(trial):
                outer = trial
            else:
                inner, step = trial, 2.0 * step
        for _ in range(60):
            if abs(outer - inner) <= 1e-9 * max(1.0, abs(fit.lam)):
                break
            mid = 0.5 * (inner + outer)
            if above(mid):
                outer = mid
            else:
                inner = mid
        ends.append(0.5 * (inner + outer))
    return float(min(ends[0], fit.lam)), float(max(ends[1], fit.lam))


@dataclass(frozen=True)
class MultiplicityChoice:
    best: PoleFit
    fits: dict[int, PoleFit]
    problem: _Problem


def choose_multiplicity(eps, volume, rel_sigma, m_max: int,
                        lam_bounds: tuple[float, float]) -> MultiplicityChoice:
    """Fit m = 1 … m_max and keep the smallest BIC (see module docstring)."""
    problem = _Problem(np.asarray(eps), np.asarray(volume), np.asarray(rel_sigma))
    fits = {}
    for m in range(1, m_max + 1):
        if problem.n < m + 2:
            break
        fit, _, _ = fit_pole(problem, m, lam_bounds)
        if fit is not None:
            fits[m] = fit
    if not fits:
        raise ValueError("no admissible fit V(ε) = ε^λ P(log 1/ε) with a positive leading "
                         "coefficient: the volume curve is not a power law over these ε")
    best = min(fits.values(), key=lambda f: (f.criterion, f.m))
    return MultiplicityChoice(best=best, fits=fits, problem=problem)


def fit_fixed_m(eps, volume, rel_sigma, m: int, lam_bounds: tuple[float, float],
                n_grid: int = 801) -> PoleFit | None:
    """Fit with a given m (used inside the bootstrap)."""
    problem = _Problem(np.asarray(eps), np.asarray(volume), np.asarray(rel_sigma))
    fit, _, _ = fit_pole(problem, m, lam_bounds, n_grid=n_grid)
    return fit
