"""Per-coordinate prior masses for product priors (what the volume grid integrates against).

The grid method needs, for every parameter axis j, the prior mass of an interval [a, b] of that
coordinate, accurately even when b − a is 1e−14 of the interval's distance from the prior's
centre. Supported: independent uniform (``uniform_box``), independent normal (``gaussian``) and
the normal-crossing prior ∝ Π|w_i|^{h_i} (:class:`~slt_sim.models.SymmetricPowerPrior`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np
import scipy.special as sps

from .._numpyro import dist
from ..models.priors import SymmetricPowerPrior

_SQRT2 = float(np.sqrt(2.0))
# below this relative width (interval length / distance from the prior's centre) the mass is the
# midpoint density times the length: CDF differences would cancel catastrophically there.
_MIDPOINT_BELOW = 1e-3


@dataclass(frozen=True)
class AxisPrior:
    """Product prior as arrays, one entry per axis: ``kind`` and two parameters.

    uniform: (lo, hi); normal: (loc, scale); power: (h, half_width).
    """

    kind: str
    p1: np.ndarray
    p2: np.ndarray

    def support(self, j: int, box: tuple[float, float]) -> tuple[float, float]:
        """The integration range of axis j: the prior's support, intersected with ``box``."""
        if self.kind == "uniform":
            return max(box[0], float(self.p1[j])), min(box[1], float(self.p2[j]))
        if self.kind == "power":
            return max(box[0], -float(self.p2[j])), min(box[1], float(self.p2[j]))
        return box

    def centre(self, j: int) -> float:
        if self.kind == "uniform":
            return 0.5 * float(self.p1[j] + self.p2[j])
        if self.kind == "normal":
            return float(self.p1[j])
        return 0.0


def axis_prior(prior: dist.Distribution, dim: int) -> AxisPrior | None:
    """Recognise a product prior; ``None`` when it is not one the grid method supports."""
    if isinstance(prior, SymmetricPowerPrior):
        return AxisPrior("power", np.broadcast_to(np.asarray(prior.h, float), (dim,)),
                         np.broadcast_to(np.asarray(prior.half_width, float), (dim,)))
    if isinstance(prior, dist.Independent):
        base = prior.base_dist
        if isinstance(base, dist.Uniform):
            return AxisPrior("uniform", np.broadcast_to(np.asarray(base.low, float), (dim,)),
                             np.broadcast_to(np.asarray(base.high, float), (dim,)))
        if isinstance(base, dist.Normal):
            return AxisPrior("normal", np.broadcast_to(np.asarray(base.loc, float), (dim,)),
                             np.broadcast_to(np.asarray(base.scale, float), (dim,)))
    return None


def interval_mass(kind: str, p1, p2, a, b, xp=jnp):
    """Prior mass of [a, b] (a ≤ b elementwise) for one axis with parameters p1, p2.

    ``xp`` is the array module: ``jax.numpy`` inside kernels, ``numpy`` on the host.
    """
    erf = jss.erf if xp is jnp else sps.erf
    if kind == "uniform":
        lo, hi = p1, p2
        return (xp.clip(b, lo, hi) - xp.clip(a, lo, hi)) / (hi - lo)
    if kind == "normal":
        loc, scale = p1, p2
        za, zb = (a - loc) / scale, (b - loc) / scale
        cdf_diff = 0.5 * (erf(zb / _SQRT2) - erf(za / _SQRT2))
        zm = 0.5 * (za + zb)
        mid = xp.exp(-0.5 * zm ** 2) / xp.sqrt(2 * xp.pi) * (zb - za)
        small = (zb - za) < _MIDPOINT_BELOW * xp.abs(zm)
        return xp.where(small, mid, cdf_diff)
    if kind == "power":
        h, width = p1, p2
        ac, bc = xp.clip(a, -width, width), xp.clip(b, -width, width)

        def centred_cdf(x):
            return 0.5 * xp.sign(x) * (xp.abs(x) / width) ** (h + 1.0)

        cdf_diff = centred_cdf(bc) - centred_cdf(ac)
        xm = 0.5 * (ac + bc)
        mid = (h + 1.0) / (2.0 * width) * (xp.abs(xm) / width) ** h * (bc - ac)
        small = (bc - ac) < _MIDPOINT_BELOW * xp.abs(xm)
        return xp.where(small, mid, cdf_diff)
    raise ValueError(f"unknown prior kind {kind!r}")



def density(kind: str, p1, p2, x, xp=jnp):
    """Prior density of one axis at x (``xp`` as in :func:`interval_mass`)."""
    if kind == "uniform":
        return xp.where((x >= p1) & (x <= p2), 1.0 / (p2 - p1), 0.0)
    if kind == "normal":
        z = (x - p1) / p2
        return xp.exp(-0.5 * z ** 2) / (xp.sqrt(2 * xp.pi) * p2)
    if kind == "power":
        h, width = p1, p2
        inside = xp.abs(x) <= width
        return xp.where(inside, (h + 1.0) / (2.0 * width) * (xp.abs(x) / width) ** h, 0.0)
    raise ValueError(f"unknown prior kind {kind!r}")
