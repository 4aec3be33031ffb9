"""Tensor-product quadrature grids for the exact posterior engine.

A grid is, per axis, a set of nodes x_j with weights q_j so that ∫ f(w) dw ≈ Σ_j f(x_j) Π q.
Two kinds:

* ``graded_grid``: composite Gauss–Legendre panels whose widths grow geometrically away from
  *focus* points (the zero set of K: minima, crossing lines). The posterior near a minimum has
  width ~ n^{−1/(2k)}; geometric grading resolves every such scale down to its smallest panel
  with a few hundred nodes per axis, so one grid serves a whole sweep over n — provided the zero
  set is made of axis-parallel lines/planes through the focus coordinates. A slanted or curved
  zero set falls between the panels; the exact engine's error estimate detects that and switches
  to :mod:`slt_sim.posterior.adaptive`.
* ``uniform_grid``: the midpoint rule on equal cells (simple to plot and reason about).

Weights are kept as logarithms, as everything downstream is done in log space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as v

#: default grading per dimension: (Gauss–Legendre order, growth ratio, smallest panel)
_GRADED_DEFAULTS = {1: (12, 1.3, 1e-9), 2: (8, 2.0, 1e-7), 3: (6, 2.0, 1e-7)}


@dataclass(frozen=True)
class QuadratureGrid:
    """Per-axis nodes and log-weights of a tensor-product rule on a box."""

    nodes: tuple[np.ndarray, ...]
    log_weights: tuple[np.ndarray, ...]
    box: tuple[tuple[float, float], ...]
    kind: str
    #: Gauss–Legendre nodes per panel (graded grids; panels are consecutive runs of this many
    #: nodes), 0 for the midpoint rule — what :func:`marginal_null_error` needs
    panel_order: int = 0

    @property
    def dim(self) -> int:
        return len(self.nodes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(x) for x in self.nodes)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def points(self) -> np.ndarray:
        """All grid points, shape (size, dim) (only for small grids: this materialises them)."""
        mesh = np.meshgrid(*self.nodes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=-1)

    def cell_edges(self, axis: int) -> np.ndarray:
        """Edges around each node of ``axis`` (for pcolormesh / histogram-style plots)."""
        x = self.nodes[axis]
        mids = 0.5 * (x[1:] + x[:-1])
        lo, hi = self.box[axis]
        return np.concatenate([[lo], mids, [hi]])


def _gauss_legendre_panels(breaks: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    t, wt = np.polynomial.legendre.leggauss(order)
    a, b = breaks[:-1, None], breaks[1:, None]
    nodes = 0.5 * (b - a) * t[None, :] + 0.5 * (b + a)
    weights = 0.5 * (b - a) * wt[None, :]
    return nodes.ravel(), weights.ravel()


def _graded_breaks(lo: float, hi: float, foci, ratio: float, min_width: float,
                   max_panels_width: float) -> np.ndarray:
    pts = [lo, hi]
    for f in foci:
        if not lo <= f <= hi:
            continue
        pts.append(f)
        for sign in (1.0, -1.0):
            h = min_width
            while True:
                x = f + sign * h
                if not lo < x < hi:
                    break
                pts.append(x)
                h *= ratio
    pts = np.unique(np.asarray(pts))
    # merge breaks closer than half the smallest panel (from neighbouring foci)
    keep = [pts[0]]
    for x in pts[1:]:
        if x - keep[-1] >= 0.5 * min_width:
            keep.append(x)
    if keep[-1] != pts[-1]:
        keep[-1] = pts[-1]
    pts = np.asarray(keep)
    # split panels wider than max_panels_width so smooth global structure is resolved
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        k = int(np.ceil((b - a) / max_panels_width))
        out.extend(np.linspace(a, b, k + 1)[1:])
    return np.asarray(out)


def graded_grid(box, focus=None, *, order: int | None = None, ratio: float | None = None,
                min_width: float | None = None, coarse_panels: int = 24) -> QuadratureGrid:
    """Composite Gauss–Legendre grid graded geometrically toward ``focus`` points.

    Args:
      box: one (lo, hi) per axis.
      focus: per axis, a sequence of coordinates to refine toward (default: the box centre).
      order: Gauss–Legendre nodes per panel (default by dimension: 12, 8, 6).
      ratio: growth ratio of successive panel widths away from a focus (default 1.3, 2, 2).
      min_width: width of the panels touching a focus (default 1e-9, 1e-7, 1e-7), which sets
        the largest n that is resolved: the posterior of K = w² has width ~ (2n)^{-1/2}.
      coarse_panels: no panel is wider than (hi − lo)/coarse_panels.
    """
    dim = len(box)
    box = v.box("box", box, dim)
    d_order, d_ratio, d_min = _GRADED_DEFAULTS.get(dim, _GRADED_DEFAULTS[3])
    order = d_order if order is None else v.as_int("order", order, lo=1, hi=64)
    ratio = d_ratio if ratio is None else v.as_float("ratio", ratio, lo=1.0, lo_open=True)
    min_width = d_min if min_width is None else v.as_float("min_width", min_width, lo=0.0,
                                                             lo_open=True)
    coarse_panels = v.as_int("coarse_panels", coarse_panels, lo=1)
    if focus is None:
        focus = tuple((0.5 * (lo + hi),) for lo, hi in box)
    if len(focus) != dim:
        raise ValueError(f"focus must give one sequence of points per axis ({dim}), "
                         f"got {len(focus)}")
    nodes, logw = [], []
    for (lo, hi), foci in zip(box, focus):
        breaks = _graded_breaks(lo, hi, [float(f) for f in foci], ratio, min_width,
                                (hi - lo) / coarse_panels)
        x, w = _gauss_legendre_panels(breaks, order)
        nodes.append(x)
        logw.append(np.log(w))
    return QuadratureGrid(tuple(nodes), tuple(logw), box, "graded", order)


def uniform_grid(box, points_per_axis) -> QuadratureGrid:
    """Midpoint rule with ``points_per_axis`` equal cells per axis (an int or one per axis)."""
    dim = len(box)
    box = v.box("box", box, dim)
    if np.ndim(points_per_axis) == 0:
        points_per_axis = (points_per_axis,) * dim
    counts = v.int_tuple("points_per_axis", points_per_axis, lo=1, length=dim)
    nodes, logw = [], []
    for (lo, hi), k in zip(box, counts):
        h = (hi - lo) / k
        nodes.append(lo + h * (np.arange(k) + 0.5))
        logw.append(np.full(k, np.log(h)))
    return QuadratureGrid(tuple(nodes), tuple(logw), box, "uniform")


def marginal_null_error(grid: QuadratureGrid, axis: int, mass: np.ndarray) -> np.ndarray:
    r"""Error estimate of the rule along ``axis`` from the masses at its nodes, per n.

    ``mass`` (n, size_axis) holds q_k g(x_k): the quadrature weight times the marginal integrand
    (everything else summed by the grid). On Gauss–Legendre panels of order p the null rules

        N_j = Σ_k q_k P̃_j(t_k) g(x_k),   j = p − 1, p − 2,

    (P̃_j the Legendre polynomial orthonormal under the panel's discrete measure) vanish on
    polynomials of degree < j and measure the part of g the panel does not resolve; the
    estimate is Σ_panels ν·min(1, (200 ν/ρ)^{3/2}) with ν = max(|N_{p−1}|, |N_{p−2}|) and ρ the
    panel's Σ|q g| (Berntsen & Espelid's null rules, scaled as QUADPACK scales its Gauss–Kronrod
    difference: where a panel is resolved, ν/ρ is small and the error far smaller than ν; where
    it is not, the estimate is the panel's whole mass).
    On the midpoint rule it is Σ_k |m_{k−1} − 2 m_k + m_{k+1}| / 24, the second-difference
    form of the midpoint rule's error h³ g''/24. A grid whose nodes miss a narrow peak entirely
    cannot see it (nor can any rule on those nodes); the adaptive engine guards against that.
    """
    mass = np.asarray(mass, dtype=float)
    p = grid.panel_order
    if p <= 2:
        if mass.shape[1] < 3:
            return np.sum(np.abs(mass), axis=1)
        d2 = mass[:, :-2] - 2.0 * mass[:, 1:-1] + mass[:, 2:]
        return np.sum(np.abs(d2), axis=1) / 24.0
    t, w = np.polynomial.legendre.leggauss(p)
    w = w / np.sum(w)
    rows = []
    for j in (p - 1, p - 2):
        pj = np.polynomial.legendre.Legendre.basis(j)(t)
        rows.append(pj / np.sqrt(np.sum(w * pj * pj)))
    null = np.stack(rows)                                                   # (2, p)
    panels = mass.reshape(mass.shape[0], -1, p)                             # (n, panels, p)
    nu = np.max(np.abs(np.einsum("jk,cpk->cjp", null, panels)), axis=1)    # (n, panels)
    rho = np.sum(np.abs(panels), axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(rho > 0, np.minimum(1.0, (200.0 * nu / rho) ** 1.5), 1.0)
    return np.sum(nu * scale, axis=1)


def default_grid(model) -> QuadratureGrid:
    """The graded grid on the model's box, refined toward its ``focus`` points.

    Potentials (n up to ~1e12) use the defaults above. Data models, whose n is bounded by the
    data one can sample, use a coarser grading (smallest panel 1e−4, enough for n up to ~1e6),
    because each grid point costs n per-sample loss evaluations.
    """
    if model.is_potential:
        return graded_grid(model.box, model.focus)
    return graded_grid(model.box, model.focus, min_width=1e-4)
