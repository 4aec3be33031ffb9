r"""Broken neural scaling laws: fit and extrapolate scaling curves with sharp breaks.

Caballero, Gupta, Rish, Krueger, "Broken Neural Scaling Laws", ICLR 2023 (arXiv:2210.14891),
model a performance metric y against a scaled quantity x (data, parameters, compute, steps) by a
smoothly broken power law with k breaks,

    y = a + b · x^(−c0) · Π_{i=1..k} (1 + (x/d_i)^(1/f_i))^(−c_i · f_i).

On a log-log plot of y − a it is a chain of k + 1 straight segments with slopes −c0,
−(c0 + c1), …, −(c0 + … + ck); d_i is where the i-th break sits, f_i > 0 its width (small f_i:
a sharp corner; large f_i: a long bend), and a negative c_i turns the curve upward (double
descent). k = 0 is the plain power law a + b x^(−c0).

The factor (1 + (x/d)^(1/f))^(−c f) overflows as written once (x/d)^(1/f) passes 1e308, which
for f = 0.01 happens already at x = 1.03 d. :func:`bnsl` evaluates it as
exp(−c f · softplus((log x − log d)/f)) with softplus(z) = log(1 + e^z) (``logaddexp``), which is
finite for every f > 0.

Fitting follows the authors' recipe (their code release fits 4-digit addition this way): a
coarse grid over all constants, then local least squares started from the best grid points,
both minimising the squared error of log(y + 1). Here the grid is one chunked, vectorised JAX
computation (:mod:`._scaling_grid`): the grid is never materialised, each chunk evaluates all its
points on all data at once and keeps its best few. The refinement runs
``scipy.optimize.least_squares`` in (a, b, c0, c_i, log d_i, log f_i) with a JAX Jacobian.
Reported errors are RMSLE = √(mean (log ŷ − log y)²), the measure the authors print for train
and extrapolation points.

The limit of predictability (the paper's §6): a break leaves no trace in data taken well before
it, so no fit can forecast it; data reaching its onset can.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._warnings import FitWarning, emit
from ._scaling_grid import grid_search, log_shape, msle_log1p, padded

#: a break is "collapsed" when its factor departs from a straight line in log-log by less than
#: this (in log y) anywhere on the fitted x range: it is then invisible in the data.
COLLAPSE_TOL = 1e-3
_GRID_MEMORY = 2 ** 22          # floats of one grid chunk's (points × data) loss array
_DEFAULT_MAX_GRID = 50_000_000


@dataclass(frozen=True)
class BNSLParams:
    """Constants of a broken power law y = a + b x^(−c0) Π (1 + (x/d_i)^(1/f_i))^(−c_i f_i).

    Attributes:
      a: the limit of y as the power-law part vanishes.
      b: scale of the power-law part.
      c0: slope (in log-log) of y − a before the first break.
      c, d, f: per break: change of slope, location (> 0) and width (> 0).
    """

    a: float
    b: float
    c0: float
    c: tuple[float, ...] = ()
    d: tuple[float, ...] = ()
    f: tuple[float, ...] = ()

    def __post_init__(self):
        for name in ("a", "b", "c0"):
            object.__setattr__(self, name, v.as_float(name, getattr(self, name)))
        for name in ("c", "d", "f"):
            arr = v.as_float_array(name, getattr(self, name), allow_empty=True,
                                   lo=0.0 if name != "c" else None, lo_open=True)
            object.__setattr__(self, name, tuple(float(t) for t in arr))
        if not len(self.c) == len(self.d) == len(self.f):
            raise ValueError(f"c, d and f must have one entry per break, got lengths "
                             f"{len(self.c)}, {len(self.d)}, {len(self.f)}")

    @property
    def breaks(self) -> int:
        return len(self.c)

    def slopes(self) -> tuple[float, ...]:
        """Log-log slopes of y − a on the k + 1 segments: −c0, −(c0 + c1), …"""
        return tuple(-float(s) for s in np.cumsum((self.c0,) + self.c))

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "c0": self.c0, "c": list(self.c), "d": list(self.d),
                "f": list(self.f)}

    def _vector(self) -> np.ndarray:
        """(a, b, c0, c_1, log d_1, log f_1, …): the refinement's coordinates."""
        per = np.stack([self.c, np.log(self.d), np.log(self.f)], axis=-1).reshape(-1) \
            if self.breaks else np.zeros(0)
        return np.concatenate([[self.a, self.b, self.c0], per])

    @classmethod
    def _from_vector(cls, theta) -> BNSLParams:
        theta = np.asarray(theta, dtype=float)
        per = theta[3:].reshape(-1, 3)
        return cls(theta[0], theta[1], theta[2], tuple(per[:, 0]), tuple(np.exp(per[:, 1])),
                   tuple(np.exp(per[:, 2])))


def bnsl(x, params: BNSLParams) -> np.ndarray:
    r"""The broken power law y = a + b x^(−c0) Π_i (1 + (x/d_i)^(1/f_i))^(−c_i f_i) at ``x``.

    Evaluated as a + b · exp(−c0 log x − Σ_i c_i f_i softplus((log x − log d_i)/f_i)), finite for
    any f_i > 0 (see the module docstring); equal to the direct form wherever that is finite.

    Args:
      x: positive values of the scaled quantity (any shape).
      params: a :class:`BNSLParams` with any number of breaks (0 is a plain power law).
    """
    if not isinstance(params, BNSLParams):
        raise TypeError(f"params must be a BNSLParams, got {type(params).__name__}")
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("x must be finite and > 0, got "
                         f"{x[~(np.isfinite(x) & (x > 0))].reshape(-1)[0]!r}")
    log_x = np.log(x)
    g = -params.c0 * log_x
    for c, d, f in zip(params.c, params.d, params.f):
        g = g - c * f * np.logaddexp(0.0, (log_x - math.log(d)) / f)
    return params.a + params.b * np.exp(g)


def rmsle(y_pred, y) -> float:
    """√(mean (log ŷ − log y)²); +inf when a prediction is ≤ 0."""
    y_pred, y = np.asarray(y_pred, dtype=float), np.asarray(y, dtype=float)
    if not np.all(y_pred > 0):
        return float("inf")
    return float(np.sqrt(np.mean((np.log(y_pred) - np.log(y)) ** 2)))


# ----------------------------------------------------------------------------- grids
_PER_BREAK_DEFAULTS = {   # breaks -> (c values, number of d values, f values)
    1: ((-2.0, -1.0, -0.5, 0.25, 0.5, 1.0, 2.0, 4.0), 8, (0.05, 0.15, 0.4, 1.0)),
    2: ((-2.0, -1.0, -0.5, 0.5, 1.0, 3.0), 6, (0.05, 0.2, 0.6)),
    3: ((-1.0, 0.5, 1.0, 3.0), 5, (0.1, 0.5)),
    4: ((-1.0, 1.0), 4, (0.2,)),
}


def default_grid(x, y, breaks: int = 1) -> dict[str, np.ndarray]:
    r"""The coarse grid :func:`fit_bnsl` searches by default, scaled to the data.

    a: min(y) × (0, ¼, ½, ¾, 0.95); b: 13 values log-spaced over
    [0.01 max(y), 10 max(y) min(x)^(max c0)] (b = (y − a) x^(c0) before any break); c0: 0, ¼, ½,
    1. Per break (fewer values for more breaks, so the product stays near 1e5–1e7 points up to
    five breaks):
    c_i from −2 (an upturn, double descent) to 4; d_i log-spaced over [min x, max x]; f_i from
    0.05 (sharp) to 1 (a bend over about a decade). Returns a dict of 1-D arrays keyed
    ``a, b, c0, c, d, f``; ``c, d, f`` apply to every break. Edit it and pass it back as
    ``fit_bnsl(..., grid=...)`` (``c, d, f`` may also be lists of one array per break).
    """
    x = v.as_float_array("x", x, lo=0.0, lo_open=True)
    y = v.as_float_array("y", y, lo=0.0, lo_open=True)
    breaks = v.as_int("breaks", breaks, lo=0)
    c0 = np.array([0.0, 0.25, 0.5, 1.0])
    grid = {"a": float(np.min(y)) * np.array([0.0, 0.25, 0.5, 0.75, 0.95]),
            "b": np.geomspace(0.01 * np.max(y), 10.0 * np.max(y) * np.min(x) ** c0.max(), 13),
            "c0": c0}
    if breaks:
        c, nd, f = _PER_BREAK_DEFAULTS[min(breaks, 4)]
        grid.update(c=np.array(c), d=np.geomspace(np.min(x), np.max(x), nd), f=np.array(f))
    return grid


def _grid_axes(grid: dict, breaks: int) -> tuple[list[np.ndarray], list[str]]:
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict of axes (see default_grid), got "
                        f"{type(grid).__name__}")
    need = ["a", "b", "c0"] + (["c", "d", "f"] if breaks else [])
    missing = [k for k in need if k not in grid]
    if missing:
        raise ValueError(f"grid is missing the axes {missing}; it needs {need}")
    axes = [np.sort(v.as_float_array(f"grid['{k}']", grid[k])) for k in ("a", "b", "c0")]
    names = ["a", "b", "c0"]
    for i in range(breaks):
        for k in ("c", "d", "f"):
            val = grid[k]
            if isinstance(val, (list, tuple)) and len(val) == breaks and np.ndim(val[0]) == 1:
                val = val[i]
            axes.append(np.sort(v.as_float_array(f"grid['{k}']", val,
                                                 lo=None if k == "c" else 0.0, lo_open=True)))
            names.append(f"{k}{i + 1}")
    return axes, names


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class BNSLFit:
    """A broken-power-law fit, its error on the data and its extrapolation.

    Attributes:
      params: the fitted :class:`BNSLParams`.
      x, y, y_fit: the fitted data and the curve at those x.
      fit_rmsle: RMSLE on the fitted data.
      x_test, y_test_pred, y_test: held-out x, the extrapolated values and the held-out y
        (None when not given).
      extrapolation_rmsle: RMSLE of the extrapolation (None without ``y_test``).
      grid_params, grid_loss: the best grid point and its mean squared log(y + 1) error;
        loss: the same error after refinement.
      grid_points: how many grid points were searched.
      warnings: plain-language diagnostics (a collapsed break, a grid-edge optimum).
      settings: the arguments that produced the fit.
    """

    params: BNSLParams
    x: np.ndarray
    y: np.ndarray
    y_fit: np.ndarray
    fit_rmsle: float
    x_test: np.ndarray
    y_test_pred: np.ndarray
    y_test: np.ndarray | None
    extrapolation_rmsle: float | None
    grid_params: BNSLParams
    grid_loss: float
    loss: float
    grid_points: int
    warnings: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    @property
    def breaks(self) -> int:
        return self.params.breaks

    def predict(self, x) -> np.ndarray:
        """The fitted curve at ``x``."""
        return bnsl(x, self.params)

    def as_dict(self) -> dict:
        extra = [{"x": float(xx), "y_pred": float(yp),
                  "y": None if self.y_test is None else float(self.y_test[i])}
                 for i, (xx, yp) in enumerate(zip(self.x_test, self.y_test_pred))]
        return {"params": self.params.as_dict(), "breaks": self.breaks,
                "fit_rmsle": self.fit_rmsle, "extrapolation": extra,
                "extrapolation_rmsle": self.extrapolation_rmsle,
                "warnings": list(self.warnings), "n_fit": int(len(self.x)),
                "grid_points": self.grid_points, "grid_params": self.grid_params.as_dict(),
                "settings": dict(self.settings)}


# ----------------------------------------------------------------------------- fitting
def _residuals(theta, log_x, log1p_y, weight):
    per = theta[3:].reshape(-1, 3)
    g = log_shape(log_x, theta[2], per[:, 0], per[:, 1], jnp.exp(per[:, 2]))
    y_hat = theta[0] + theta[1] * jnp.exp(g)
    return weight * (jnp.log1p(jnp.maximum(y_hat, -1.0 + 1e-12)) - log1p_y)


@jax.jit
def _residuals_and_jacobian(theta, log_x, log1p_y, weight):
    r = _residuals(theta, log_x, log1p_y, weight)
    jac = jax.jacfwd(_residuals)(theta, log_x, log1p_y, weight)
    return r, jnp.nan_to_num(jac, nan=0.0, posinf=1e300, neginf=-1e300)


def _refine(start: BNSLParams, x, y, max_nfev):
    """Least squares from ``start``; residuals and Jacobian come from one compiled call (cached
    for the Jacobian request that follows at the same point)."""
    from scipy.optimize import least_squares

    data = padded(x, y)
    cache: dict = {}

    def evaluate(t):
        key = t.tobytes()
        if key not in cache:
            cache.clear()
            r, jac = _residuals_and_jacobian(jnp.asarray(t), *data)
            cache[key] = (np.asarray(r), np.asarray(jac))
        return cache[key]

    try:
        sol = least_squares(lambda t: evaluate(t)[0], start._vector(),
                            jac=lambda t: evaluate(t)[1], method="trf", max_nfev=max_nfev)
    except ValueError:          # residuals left the finite range: keep the grid point
        return start, float("inf")
    if not np.all(np.isfinite(sol.x)):
        return start, float("inf")
    try:
        params = BNSLParams._from_vector(sol.x)
    except ValueError:          # log d or log f overflowed
        return start, float("inf")
    return params, float(np.sum(sol.fun ** 2) / len(x))


def collapsed_breaks(params: BNSLParams, x_lo: float, x_hi: float,
                     tol: float = COLLAPSE_TOL) -> list[int]:
    """Breaks whose factor is a straight line in log-log (within ``tol``) on [x_lo, x_hi].

    Such a break changes nothing a power law could not: it sits wholly outside the range, or
    its c_i ≈ 0. Returns their indices (0-based).
    """
    t = np.linspace(math.log(x_lo), math.log(x_hi), 256)
    out = []
    for i, (c, d, f) in enumerate(zip(params.c, params.d, params.f)):
        term = -c * f * np.logaddexp(0.0, (t - math.log(d)) / f)
        resid = term - np.polyval(np.polyfit(t, term, 1), t)
        if np.max(np.abs(resid)) < tol:
            out.append(i)
    return out


def _check_data(x, y, breaks):
    x = v.as_float_array("x", x)
    y = v.as_float_array("y", y)
    v.same_length(("x", "y"), x, y)
    if np.any(x <= 0):
        raise ValueError(f"x must all be > 0 (the law uses log x), got {x[x <= 0][0]:g}")
    if np.any(y <= 0):
        raise ValueError(f"y must all be > 0 (errors are measured in log y), got "
                         f"{y[y <= 0][0]:g}")
    n_par = 3 + 3 * breaks
    if len(x) < n_par:
        raise ValueError(f"a law with {breaks} break(s) has {n_par} constants; it needs at "
                         f"least {n_par} points to fit, got {len(x)}")
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def fit_bnsl(x, y, breaks: int = 1, *, x_test=None, y_test=None, grid: dict | None = None,
             starts: int = 4, refine: bool = True, chunk_size: int | None = None,
             max_nfev: int = 500, max_grid_points: int = _DEFAULT_MAX_GRID) -> BNSLFit:
    r"""Fit a broken neural scaling law with ``breaks`` breaks and extrapolate it.

    The authors' recipe (Caballero et al. 2023, code release for 4-digit addition): minimise
    mean (log(ŷ + 1) − log(y + 1))² first over a coarse grid of all 3 + 3k constants, then by
    local least squares from the ``starts`` best grid points, keeping the best result.

    Args:
      x, y: the curve to fit (x > 0, y > 0; any order, sorted internally).
      breaks: the number k of breaks (0: a plain power law a + b x^(−c0)).
      x_test, y_test: held-out x to extrapolate to, and optionally their y (which gives
        ``extrapolation_rmsle``).
      grid: the coarse grid, a dict like :func:`default_grid` returns (default: that).
      starts: how many of the best grid points start a local refinement.
      refine: False keeps the best grid point (for comparisons of the grid search alone).
      chunk_size: grid points per chunk (default: about 4 M floats of work array per chunk).
      max_nfev: cap on residual evaluations per refinement.
      max_grid_points: refuse grids with more points than this (pass a coarser grid).

    Returns:
      :class:`BNSLFit`. Its ``warnings`` (also issued as ``FitWarning``) say when a break
      is invisible on the fitted range — the fit is then a plain power law there and says
      nothing about breaks beyond the data — and when the best grid point lies on the edge of
      the grid (widen the grid).

    Example:
      >>> import slt_sim as slt
      >>> data = slt.load_scaling_curve("four_digit_addition")
      >>> fit = slt.fit_bnsl(data.x[:14], data.y[:14], breaks=1,
      ...                    x_test=data.x[14:], y_test=data.y[14:])
      >>> fit.extrapolation_rmsle < 0.02
      True
    """
    breaks = v.as_int("breaks", breaks, lo=0)
    x, y = _check_data(x, y, breaks)
    starts = v.as_int("starts", starts, lo=1)
    max_nfev = v.as_int("max_nfev", max_nfev, lo=1)
    if x_test is None:
        if y_test is not None:
            raise ValueError("y_test needs x_test (the held-out x it belongs to)")
        x_test = np.zeros(0)
    else:
        x_test = v.as_float_array("x_test", x_test, lo=0.0, lo_open=True, allow_empty=True)
    if y_test is not None:
        y_test = v.as_float_array("y_test", y_test, lo=0.0, lo_open=True, allow_empty=True)
        v.same_length(("x_test", "y_test"), x_test, y_test)
    grid = default_grid(x, y, breaks) if grid is None else grid
    axes, names = _grid_axes(grid, breaks)
    total = math.prod(len(ax) for ax in axes)
    if total > v.as_int("max_grid_points", max_grid_points, lo=1):
        raise ValueError(f"grid has {total:,} points, more than max_grid_points = "
                         f"{max_grid_points:,}; pass a coarser grid (fewer values per axis)")
    if chunk_size is None:
        per_point = len(x) * (breaks + 1)
        chunk_size = 2 ** int(np.clip(math.floor(math.log2(_GRID_MEMORY / per_point)), 8, 16))
    chunk_size = v.as_int("chunk_size", chunk_size, lo=1)

    losses, _, per_axis = grid_search(axes, x, y, breaks, chunk_size=chunk_size, top=starts)
    if not np.isfinite(losses[0]):
        raise ValueError("no point of the grid gives finite predictions above −1 on the data; "
                         "pass a grid whose a and b suit the data")

    def point(idx) -> BNSLParams:
        vals = [ax[j] for ax, j in zip(axes, idx)]
        per = np.asarray(vals[3:]).reshape(-1, 3)
        return BNSLParams(vals[0], vals[1], vals[2], tuple(per[:, 0]), tuple(per[:, 1]),
                          tuple(per[:, 2]))

    grid_best = point(per_axis[0])
    best, best_loss = grid_best, float(losses[0])
    if refine:
        for loss, idx in zip(losses, per_axis):
            if not np.isfinite(loss):
                continue
            cand, cand_loss = _refine(point(idx), x, y, max_nfev)
            if cand_loss < best_loss:
                best, best_loss = cand, cand_loss

    notes = []
    for i in collapsed_breaks(best, x[0], x[-1]):
        notes.append(
            f"break {i + 1} (d = {best.d[i]:.4g}, c = {best.c[i]:.3g}, f = {best.f[i]:.3g}) is a "
            f"straight line in log-log on the fitted range x = {x[0]:g}..{x[-1]:g}: the fit "
            f"collapsed to a plain power law there, and its shape beyond the data is not a "
            f"forecast of a break")
    refined = best._vector()
    for p, (name, ax, j) in enumerate(zip(names, axes, per_axis[0])):
        if len(ax) < 3 or 0 < j < len(ax) - 1 or (name == "a" and ax[j] == 0):
            continue
        value = float(np.exp(refined[p]) if name[0] in "df" else refined[p])
        geometric = name[0] in "df" or (name == "b" and ax[0] > 0 and value > 0)
        tr = np.log if geometric else (lambda t: t)
        inner = ax[1] if j == 0 else ax[-2]
        step = abs(tr(ax[j]) - tr(inner))
        beyond = (tr(ax[j]) - tr(value)) if j == 0 else (tr(value) - tr(ax[j]))
        if beyond > step:
            side = "smallest" if j == 0 else "largest"
            key = "c0" if name == "c0" else name.rstrip("0123456789")
            notes.append(f"{name} sits on the edge of its grid: the best grid point has the "
                         f"{side} value {ax[j]:.4g} and the refined fit went more than a grid "
                         f"step beyond it ({value:.4g}); widen grid['{key}'] and fit again")
    emit(notes, FitWarning, stacklevel=2)

    y_fit = bnsl(x, best)
    y_pred = bnsl(x_test, best) if len(x_test) else np.zeros(0)
    settings = {"breaks": breaks, "starts": starts, "refine": bool(refine),
                "chunk_size": int(chunk_size), "max_nfev": max_nfev,
                "grid": {k: np.asarray(g).tolist() if not isinstance(g, list)
                         else [np.asarray(t).tolist() for t in g] for k, g in grid.items()},
                "objective": "mean (log(y_hat + 1) - log(y + 1))^2"}
    return BNSLFit(best, x, y, y_fit, rmsle(y_fit, y), x_test, y_pred, y_test,
                   None if y_test is None or not len(y_test) else rmsle(y_pred, y_test),
                   grid_best, float(losses[0]), best_loss, int(total), tuple(notes), settings)


def fit_power_law(x, y, **kwargs) -> BNSLFit:
    """The baseline: fit a plain power law y = a + b x^(−c0) (a BNSL with no break).

    Same arguments and result as :func:`fit_bnsl` with ``breaks=0``.
    """
    if "breaks" in kwargs:
        raise TypeError("fit_power_law has no breaks argument (it is fit_bnsl with breaks=0)")
    return fit_bnsl(x, y, 0, **kwargs)


def grid_loss(x, y, params: BNSLParams) -> float:
    """The fitting objective mean (log(ŷ + 1) − log(y + 1))² of ``params`` on (x, y)."""
    y_hat = jnp.asarray(bnsl(x, params))
    return float(msle_log1p(y_hat, jnp.log1p(jnp.asarray(y, dtype=float))))
