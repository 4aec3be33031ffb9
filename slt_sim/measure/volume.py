r"""Volume scaling: λ and m from the prior mass of near-optimal parameters.

The learning coefficient λ and its multiplicity m are the exponents of the volume of the
sublevel sets of the population loss (Watanabe 2009, ch. 2 and 6; see ``REFERENCE`` §0):

    V(ε) = ∫_{K(w) − K_min < ε} φ(w) dw  ≈  c ε^λ (log 1/ε)^{m−1}     (ε → 0).

:func:`volume_curve` computes V(ε) on a list of ε; :func:`volume_scaling` also fits the law and
returns λ̂, m̂, c and a confidence interval for λ, next to the theory's λ and m where the model
knows them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import AsDict, fields_dict
from .._warnings import VolumeWarning, emit
from ..models.base import Model
from . import _volume_fit as fit_mod
from ._prior_axes import axis_prior, interval_mass
from ._volume_grid import choose_inner_axis, default_decades, grid_volume
from ._volume_splitting import default_eps, key_seed, run_splitting, volumes_per_run

METHODS = ("auto", "grid", "splitting")
GRID_MAX_DIM = 3
_GRID_EPS_DECADES = (-24.0, -12.0)     # default ε / scale range of the grid method
_GRID_MIN_DECADES = 8.0                # the default ε range never spans fewer decades
_GRID_EPS_PER_DECADE = {1: 2, 2: 2, 3: 1}
_GRID_RESOLUTION = {1: 8, 2: 8, 3: 4}   # outer nodes per decade (3-D: 74k lines)
_GRID_TOLERANCE = 0.001
_SPLITTING_TOLERANCE = 0.03
_SPLITTING_MAX_FIT_VOLUME = 1e-3       # sets holding > 0.1% of the prior are pre-asymptotic


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class VolumeCurve(AsDict):
    """V(ε) on a list of ε, with its standard error and how it was computed.

    Attributes:
      eps: the ε values (decreasing), thresholds on K − K_min.
      volume: V(ε), prior mass of {w (in the region) : K(w) − K_min < ε}.
      volume_se: standard error of ``volume`` — grid: the quadrature error estimated from a
        second, interleaved grid (d ≤ 2: half the difference of two full-resolution grids whose
        mean is ``volume``; d = 3: the difference to a half-resolution grid / 7); splitting: the
        standard deviation over independent runs divided by √runs.
      method: ``"grid"`` or ``"splitting"``.
      k_min: the K_min subtracted from K (see :func:`volume_curve`).
      seconds: wall-clock time.
      evaluations: number of evaluations of K (both grids, or all particles and steps).
      settings: the engine settings and diagnostics.
      runs: splitting only, V(ε) of every independent run (runs × len(eps)).
    """

    eps: np.ndarray
    volume: np.ndarray
    volume_se: np.ndarray
    method: str
    k_min: float
    seconds: float
    evaluations: int
    settings: dict[str, Any] = field(default_factory=dict)
    runs: np.ndarray | None = None


@dataclass(frozen=True)
class VolumeScalingResult:
    r"""λ̂ and m̂ from V(ε) ≈ ε^λ Σ_{k<m} c_k (log 1/ε)^k, with the curve they came from.

    Attributes:
      lam_hat: the fitted learning coefficient λ̂.
      lam_ci: 95% interval for λ: ``ci_method`` says how it was obtained.
      m_hat: the chosen multiplicity m̂ (smallest BIC among m = 1 … m_max).
      c: the leading coefficient c = c_{m̂−1} of ε^λ (log 1/ε)^{m̂−1}.
      coefficients: all pole coefficients c_0 … c_{m̂−1}.
      eps, volume, volume_se: the curve (see :class:`VolumeCurve`).
      fit_mask: which curve points entered the fit.
      lam, m: the model's (or region's) theoretical λ and m, ``None`` if unknown.
      method: ``"grid"`` or ``"splitting"``; ci_method: ``"profile"`` or ``"bootstrap"``.
      fits: for every admissible m: λ̂ at that m, its χ² and its BIC.
      fit_tolerance: τ in the fit's relative error √((se/V)² + τ²).
      k_min: the K_min subtracted from K; region: the region name or ``None``.
      seconds: total wall-clock time; evaluations: evaluations of K.
      model_name, settings: provenance.
    """

    lam_hat: float
    lam_ci: tuple[float, float]
    m_hat: int
    c: float
    coefficients: tuple[float, ...]
    eps: np.ndarray
    volume: np.ndarray
    volume_se: np.ndarray
    fit_mask: np.ndarray
    lam: float | None
    m: int | None
    method: str
    ci_method: str
    fits: dict[int, dict[str, float]]
    fit_tolerance: float
    k_min: float
    region: str | None
    seconds: float
    evaluations: int
    model_name: str
    settings: dict[str, Any] = field(default_factory=dict)

    def fitted_volume(self, eps) -> np.ndarray:
        """The fitted law ε^λ̂ Σ_k c_k (log 1/ε)^k at ``eps``."""
        eps = np.asarray(eps, dtype=float)
        big_l = np.log(1.0 / eps)
        poly = sum(c * big_l ** k for k, c in enumerate(self.coefficients))
        return eps ** self.lam_hat * poly

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain Python (for JSON; λ spelled ``lambda``: ``lambda_hat``,
        ``lambda_ci``, ``lambda``)."""
        return fields_dict(self)


# ----------------------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=64)
def _restricted_loss(model: Model, region: str | None, k_min: float):
    """w ↦ K(w) − K_min inside the region, +inf outside; any batch shape (..., d)."""
    pop = model.population_loss
    contains = model.region(region).contains if region is not None else None
    dim = model.dim

    def single(w):
        val = pop(w) - k_min
        if contains is not None:
            val = jnp.where(contains(w), val, jnp.inf)
        return val

    @jax.jit
    def kfun(w):
        flat = w.reshape((-1, dim))
        return jax.vmap(single)(flat).reshape(w.shape[:-1])

    return kfun


def _resolve_k_min(model: Model, region: str | None, k_min) -> float:
    if k_min is not None:
        return v.as_float("k_min", k_min)
    if region is not None:
        loss = model.region(region).loss
        if loss is None:
            raise ValueError(f"region {region!r} of {model.name} has no known minimum loss: "
                             f"pass k_min")
        return float(loss)
    losses = [r.loss for r in model.regions if r.loss is not None]
    if losses:
        return float(min(losses))
    return 0.0


def _rounding_floor(k_min: float) -> float:
    """Smallest ε at which K − K_min is still resolved: 1e4 ulps of K_min (0 when K_min = 0)."""
    return 1e4 * float(np.finfo(np.float64).eps) * abs(k_min)


def _theory(model: Model, region: str | None) -> tuple[float | None, int | None]:
    if region is not None:
        r = model.region(region)
        return (None if r.lam is None else float(r.lam)), r.m
    return model.lam_float, model.m


def _validate_common(model, region, method):
    v.model(model)
    if model.population_loss is None:
        raise ValueError(f"model {model.name} has no closed-form population loss K(w): "
                         f"volume scaling needs one")
    if region is not None:
        if not isinstance(region, str):
            raise TypeError(f"region must be a region name (str) or None, got {region!r}")
        model.region(region)  # raises with the list of names
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    prior_ok = axis_prior(model.prior, model.dim) is not None
    if method == "auto":
        method = "grid" if model.dim <= GRID_MAX_DIM and prior_ok else "splitting"
    if method == "grid":
        if model.dim > GRID_MAX_DIM:
            raise ValueError(f"grid method needs dim ≤ {GRID_MAX_DIM}, model has {model.dim} "
                             f"parameters: use method='splitting'")
        if not prior_ok:
            raise ValueError(f"grid method needs a product prior (uniform_box, gaussian or "
                             f"SymmetricPowerPrior), {model.name} has "
                             f"{type(model.prior).__name__}: use method='splitting'")
    return method


def _validate_eps(eps) -> np.ndarray | None:
    if eps is None:
        return None
    arr = v.as_float_array("eps", eps, lo=0.0, lo_open=True)
    return np.sort(np.unique(arr))[::-1]


def _prior_median_loss(kfun, model: Model, prior_axes, n_per_axis: int) -> float:
    """Weighted median of K − K_min on a midpoint tensor grid (scale for the default ε)."""
    mids, weights = [], []
    for j in range(model.dim):
        lo, hi = prior_axes.support(j, model.box[j])
        edges = np.linspace(lo, hi, n_per_axis + 1)
        mids.append(0.5 * (edges[:-1] + edges[1:]))
        weights.append(interval_mass(prior_axes.kind, prior_axes.p1[j], prior_axes.p2[j],
                                     edges[:-1], edges[1:], xp=np))
    pts = np.stack([g.ravel() for g in np.meshgrid(*mids, indexing="ij")], axis=1)
    w = np.prod(np.stack([g.ravel() for g in np.meshgrid(*weights, indexing="ij")], 1), 1)
    k = np.asarray(kfun(jnp.asarray(pts)))
    ok = np.isfinite(k)
    if not np.any(ok):
        raise ValueError(f"K is not finite anywhere on {model.name}'s box (empty region?)")
    order = np.argsort(k[ok])
    cw = np.cumsum(w[ok][order])
    med = float(k[ok][order][np.searchsorted(cw, 0.5 * cw[-1])])
    if not med > 0:
        positive = k[ok][k[ok] > 0]
        med = float(np.min(positive)) if positive.size else 1.0
    return med


# ----------------------------------------------------------------------------- the curve
def volume_curve(model: Model, *, region: str | None = None, eps=None, method: str = "auto",
                 key=None, k_min=None, resolution: int | None = None,
                 inner_axis: int | None = None,
                 n_particles: int = 2000, n_runs: int = 8, n_steps: int = 20,
                 level_fraction: float = 0.2, volume_floor: float = 1e-12) -> VolumeCurve:
    r"""V(ε) = prior mass of {w in ``region`` : K(w) − K_min < ε} for a list of ε.

    K is ``model.population_loss`` (for potentials, the potential itself). K_min: ``k_min`` if
    given; else the region's ``loss`` when ``region`` is named; else the smallest ``loss`` among
    the model's regions; else 0 (data models: K = L − L(w0) ≥ 0 vanishes at the truth). With
    ``region``, w outside it never counts (K is +∞ there), so V is the region's own volume law.

    Methods:

    * ``"grid"`` (d ≤ 3, product prior; float64, deterministic): exact sublevel masses along
      lines of axis ``inner_axis`` (default: the axis whose lines cross the fewest critical
      points of K; critical points by bisection, crossings by safeguarded Newton steps, so
      arbitrarily thin sets are measured), summed over an outer tensor grid graded toward
      ``model.focus`` with ``resolution`` nodes per decade (default 8; 4 in 3-D) and two-point
      Gauss–Legendre cells; the error from a second, interleaved grid (see ``_volume_grid``).
      Integrates over ``model.box`` (prior mass outside the box is not counted).
    * ``"splitting"`` (any d; explicit ``key``): subset simulation under the prior with
      Metropolis moves restricted to {K < ε_k} (multiplicative one-coordinate moves and
      whole-vector moves with the kept cloud's covariance; see ``_volume_splitting``):
      ``n_runs`` independent runs of ``n_particles`` particles, ``level_fraction`` p₀ kept per
      level, ``n_steps`` moves per level, levels until V ≈ ``volume_floor``. With ``eps`` given,
      the levels stop at min(eps).
    * ``"auto"``: grid when d ≤ 3 and the prior is a product, else splitting.

    Args:
      model: any catalogue :class:`~slt_sim.models.Model` with a population loss.
      region: name of one of ``model.regions`` or ``None`` (the whole prior).
      eps: ε values > 0. Default: grid — ``scale · 10^{−24 … −12}`` (2 per decade; 1 per
        decade in 3-D), with ``scale`` the prior median of K − K_min: deep enough that the next
        pole's correction is ≲ 1% (the cusp's ∝ ε^{1/12} is 0.5% at 1e−24), shallow enough that
        a K = ½‖f − f₀‖² is not at its rounding floor. When K_min ≠ 0, K − K_min is only
        resolved down to ~1e4 ulps of K_min, so the range starts there instead (and spans at
        least 8 decades). Splitting — the levels' thresholds, 2 points per level, from V ≈ p₀
        to V ≈ ``volume_floor`` (or that rounding floor).
      key: ``jax.random`` key, required for ``"splitting"``.
    Returns:
      :class:`VolumeCurve`.
    """
    t0 = time.perf_counter()
    method = _validate_common(model, region, method)
    eps_arr = _validate_eps(eps)
    kmin = _resolve_k_min(model, region, k_min)
    kfun = _restricted_loss(model, region, kmin)
    if method == "grid":
        curve = _grid_curve(model, kfun, eps_arr, kmin, resolution, inner_axis)
    else:
        curve = _splitting_curve(model, kfun, eps_arr, kmin, key, n_particles, n_runs, n_steps,
                                 level_fraction, volume_floor)
    return dataclasses.replace(curve, seconds=time.perf_counter() - t0)


def _grid_curve(model, kfun, eps, kmin, resolution, inner_axis) -> VolumeCurve:
    d = model.dim
    resolution = _GRID_RESOLUTION[d] if resolution is None else \
        v.as_int("resolution", resolution, lo=2, hi=64)
    prior_axes = axis_prior(model.prior, d)
    scale = _prior_median_loss(kfun, model, prior_axes, {1: 4001, 2: 201, 3: 41}[d])
    if eps is None:
        lo, hi = _GRID_EPS_DECADES
        floor = _rounding_floor(kmin)
        lo = max(lo, math.log10(floor / scale)) if floor > 0 else lo
        hi = max(hi, lo + _GRID_MIN_DECADES)
        eps = scale * np.logspace(hi, lo, int(round(_GRID_EPS_PER_DECADE[d] * (hi - lo))) + 1)
    decades = default_decades(float(np.min(eps)) / scale)
    focus = model.focus if model.focus is not None else tuple((0.0,) for _ in range(d))
    if inner_axis is None:
        axis = choose_inner_axis(kfun, d, prior_axes, model.box, focus, decades=decades)
    else:
        axis = v.as_int("inner_axis", inner_axis, lo=0, hi=d - 1)
    kw = dict(axis=axis, decades=decades)
    # two interleaved grids (the second shifted by half a step on the log scale): where the
    # outer integrand has singularities at ε-dependent places, their disagreement is the
    # quadrature error. d ≤ 2: both at full resolution, V is their mean, se half their
    # difference; d = 3: the second at half resolution (¼ of the lines), V is the fine one
    # and se = difference / 7 (measured on exact cases: Gauss–Legendre converges like h³–h⁴).
    vol, stats = grid_volume(kfun, d, prior_axes, model.box, focus, eps, per_decade=resolution,
                             **kw)
    second_res = resolution if d <= 2 else max(1, resolution // 2)
    other, stats_c = grid_volume(kfun, d, prior_axes, model.box, focus, eps,
                                 per_decade=second_res, phase=0.5, **kw)
    if d <= 2:
        se = 0.5 * np.abs(vol - other)
        vol = 0.5 * (vol + other)
    else:
        se = np.abs(vol - other) / 7.0
    if stats["nonmonotone_pieces"] > 0:
        emit(f"volume grid: {stats['nonmonotone_pieces']} line pieces of {model.name} "
             f"were not monotone (more than one critical point between nodes); "
             f"volumes may be off — raise resolution or change inner_axis",
             VolumeWarning, stacklevel=3)
    settings = dict(resolution=resolution, inner_axis=axis, decades=decades, scale=scale,
                    lines=stats["lines"], inner_nodes=stats["inner_nodes"],
                    max_crossings=stats["max_crossings"],
                    nonmonotone_pieces=stats["nonmonotone_pieces"])
    return VolumeCurve(eps=np.asarray(eps), volume=vol, volume_se=se, method="grid",
                       k_min=kmin, seconds=0.0,
                       evaluations=int(stats["evaluations"] + stats_c["evaluations"]),
                       settings=settings)


def _splitting_curve(model, kfun, eps, kmin, key, n_particles, n_runs, n_steps, p0,
                     volume_floor) -> VolumeCurve:
    if key is None:
        raise ValueError("method='splitting' is Monte Carlo: pass an explicit key, e.g. "
                         "key=jax.random.key(0)")
    n_particles = v.as_int("n_particles", n_particles, lo=100)
    n_runs = v.as_int("n_runs", n_runs, lo=2)
    n_steps = v.as_int("n_steps", n_steps, lo=1)
    p0 = v.as_float("level_fraction", p0, lo=0.0, hi=0.5, lo_open=True)
    if p0 * n_particles < 10:
        raise ValueError(f"level_fraction × n_particles must keep ≥ 10 particles per level, got "
                         f"{p0:g} × {n_particles} = {p0 * n_particles:g}")
    volume_floor = v.as_float("volume_floor", volume_floor, lo=1e-300, hi=0.5)
    n_levels = max(1, math.ceil(math.log(volume_floor) / math.log(p0)) - 1)
    eps_floor = _rounding_floor(kmin) if eps is None else float(np.min(eps))
    levels = run_splitting(kfun, model.prior.log_prob, model.prior.sample, model.dim, key,
                           n_particles=n_particles, n_runs=n_runs, n_levels=n_levels,
                           n_steps=n_steps, p0=p0, eps_floor=eps_floor)
    if eps is None:
        eps = default_eps(levels, p0)
    runs = volumes_per_run(levels, eps)
    unreached = np.any(~np.isfinite(runs), axis=0)
    if np.any(unreached):
        emit(f"volume splitting: {int(unreached.sum())} of the ε values lie below the "
             f"volume the runs reached (V ≈ {volume_floor:g}); they are NaN — lower "
             f"volume_floor to reach them", VolumeWarning, stacklevel=3)
    vol = np.mean(runs, axis=0)
    se = np.std(runs, axis=0, ddof=1) / math.sqrt(n_runs)
    settings = dict(n_particles=n_particles, n_runs=n_runs, n_steps=n_steps, level_fraction=p0,
                    n_levels=n_levels, volume_floor=volume_floor,
                    thresholds=np.median(levels["thresholds"], axis=0),
                    acceptance=np.mean(levels["acceptance"], axis=0))
    return VolumeCurve(eps=np.asarray(eps), volume=vol, volume_se=se, method="splitting",
                       k_min=kmin, seconds=0.0, evaluations=int(levels["evaluations"]),
                       settings=settings, runs=runs)


# ----------------------------------------------------------------------------- the fit
def volume_scaling(model: Model, *, region: str | None = None, eps=None, method: str = "auto",
                   key=None, k_min=None, m_max: int | None = None,
                   fit_tolerance: float | None = None, fit_range=None,
                   max_fit_volume: float | None = None, n_bootstrap: int = 200,
                   **engine) -> VolumeScalingResult:
    r"""Learning coefficient λ and multiplicity m from the volume law V(ε) ≈ c ε^λ (log 1/ε)^{m−1}.

    Computes V(ε) (see :func:`volume_curve` for K_min, regions, methods and the default ε) and
    fits the whole pole of order m,

        V(ε) = ε^λ Σ_{k=0}^{m−1} c_k (log 1/ε)^k,

    for m = 1 … ``m_max`` (default min(d, 4)): c_k by weighted least squares in relative error
    σ² = (se/V)² + τ², λ by profiling. The lower coefficients c_0 … c_{m−2} matter: for (ab)²
    the exact volume is √ε (1 + ½ log 1/ε), and fitting only c ε^λ log(1/ε) would bias λ̂ by a few
    percent at any attainable ε. An order m is admissible only if c_{m−1} > 0, the fitted V is
    positive, and at the smallest ε the lower terms carry ≤ 25% of the fitted volume (a genuine
    order-m pole is dominated by its leading term there; fits that need large cancelling lower
    terms are imitating a higher-order power correction). m̂ minimises the BIC
    χ²_m + (m + 1) log(#points) — never the theory. τ (``fit_tolerance``, default 0.001 for the
    grid) is the relative deviation attributed to the next pole: the cusp (a² − b³)² has a
    correction ∝ ε^{1/12} that is still ≈ 0.5% at ε = 1e−24, which is why the grid's default ε
    goes that deep. Splitting reaches only V ≈ 1e−12, and its errors are correlated across ε
    (a level's luck carries to all smaller ε), so there τ = 0.03 and only points with
    V ≤ ``max_fit_volume`` = 1e−3 are fitted (sets holding more of the prior are
    pre-asymptotic: with them a deep linear network (2,2,2), r = 1, got m̂ = 4, without them
    m̂ = 2 as theory says).

    Confidence interval for λ: grid — profile likelihood at m̂, {λ : χ²(λ) − χ²_min ≤ 3.84·s²},
    s² = max(1, χ²_min/dof), so misfit widens it; splitting — percentile bootstrap over the
    independent runs (``n_bootstrap`` resamples, m fixed at m̂), which carries the correlation of
    the volumes across ε that a pointwise error model would miss.

    Args:
      model, region, eps, method, key, k_min: as in :func:`volume_curve`.
      m_max: largest multiplicity tried.
      fit_tolerance: τ above.
      fit_range: optional (ε_lo, ε_hi): fit only the curve points inside it.
      max_fit_volume: fit only points with V ≤ this (default 1e−3 for splitting, 1 for grid).
      n_bootstrap: bootstrap resamples (splitting).
      **engine: engine settings passed to :func:`volume_curve` (``resolution``, ``inner_axis``,
        ``n_particles``, ``n_runs``, ``n_steps``, ``level_fraction``, ``volume_floor``).
    Returns:
      :class:`VolumeScalingResult` with λ̂, its interval, m̂, c, the curve, the theory λ and m,
      the method and the seconds taken.

    Example::

        import slt_sim as slt
        res = slt.volume_scaling(slt.models.polynomial("(a^2-b^3)^2"))
        res.lam_hat, res.m_hat, res.lam   # ≈ 0.415, 1, 0.41666 (λ = 5/12)
    """
    t0 = time.perf_counter()
    method = _validate_common(model, region, method)
    tau = v.as_float("fit_tolerance",
                     fit_tolerance if fit_tolerance is not None else
                     (_GRID_TOLERANCE if method == "grid" else _SPLITTING_TOLERANCE),
                     lo=0.0, lo_open=True)
    m_max = min(model.dim, 4) if m_max is None else v.as_int("m_max", m_max, lo=1, hi=8)
    n_bootstrap = v.as_int("n_bootstrap", n_bootstrap, lo=10)
    vmax = (_SPLITTING_MAX_FIT_VOLUME if method == "splitting" else 1.0) \
        if max_fit_volume is None else \
        v.as_float("max_fit_volume", max_fit_volume, lo=0.0, hi=1.0, lo_open=True)
    window = None
    if fit_range is not None:
        window = tuple(v.as_float(f"fit_range[{i}]", x, lo=0.0, lo_open=True)
                       for i, x in enumerate(fit_range))
        if len(window) != 2 or not window[0] < window[1]:
            raise ValueError(f"fit_range must be (eps_lo, eps_hi) with eps_lo < eps_hi, "
                             f"got {fit_range!r}")
    eps_arr = _validate_eps(eps)
    if eps_arr is not None and len(eps_arr) < 4:
        raise ValueError(f"eps must hold at least 4 distinct values to fit λ and m (need ≥ 4), "
                         f"got {len(eps_arr)}")
    curve = volume_curve(model, region=region, eps=eps_arr, method=method, key=key,
                         k_min=k_min, **engine)
    mask = np.isfinite(curve.volume) & (curve.volume > 0) & (curve.volume <= vmax)
    if window is not None:
        mask &= (curve.eps >= window[0]) & (curve.eps <= window[1])
    if mask.sum() < 4:
        raise ValueError(f"only {int(mask.sum())} ε values with a positive volume to fit "
                         f"(need ≥ 4): widen eps or fit_range")
    e, vol, se = curve.eps[mask], curve.volume[mask], curve.volume_se[mask]
    rel = np.sqrt((se / vol) ** 2 + tau ** 2)
    lam_bounds = (1e-3, max(2.0, float(model.dim)))
    choice = fit_mod.choose_multiplicity(e, vol, rel, m_max, lam_bounds)
    best = choice.best
    if method == "grid":
        ci = fit_mod.profile_interval(choice.problem, best, lam_bounds)
        ci_method = "profile"
    else:
        ci = _bootstrap_ci(e, curve.runs[:, mask], rel, best.m, lam_bounds, n_bootstrap, key)
        ci_method = "bootstrap"
    lam_th, m_th = _theory(model, region)
    fits = {m: {"lambda_hat": f.lam, "chi2": f.chi2, "bic": f.criterion}
            for m, f in choice.fits.items()}
    return VolumeScalingResult(
        lam_hat=best.lam, lam_ci=ci, m_hat=best.m, c=best.leading,
        coefficients=best.coefficients, eps=curve.eps, volume=curve.volume,
        volume_se=curve.volume_se, fit_mask=mask, lam=lam_th, m=m_th, method=method,
        ci_method=ci_method, fits=fits, fit_tolerance=tau, k_min=curve.k_min, region=region,
        seconds=time.perf_counter() - t0, evaluations=curve.evaluations,
        model_name=model.name, settings=dict(curve.settings, m_max=m_max))


def _bootstrap_ci(eps: np.ndarray, runs: np.ndarray, rel: np.ndarray, m: int, lam_bounds,
                  n_bootstrap: int, key) -> tuple[float, float]:
    """Percentile interval of λ̂ over resampled runs (m fixed)."""
    rng = np.random.default_rng(key_seed(key, 2))
    n_runs = runs.shape[0]
    lams = []
    for _ in range(n_bootstrap):
        pick = rng.integers(0, n_runs, n_runs)
        vol = np.mean(runs[pick], axis=0)
        if not np.all(vol > 0):
            continue
        f = fit_mod.fit_fixed_m(eps, vol, rel, m, lam_bounds)
        if f is not None:
            lams.append(f.lam)
    if len(lams) < 10:
        return (float("nan"), float("nan"))
    return float(np.percentile(lams, 2.5)), float(np.percentile(lams, 97.5))
