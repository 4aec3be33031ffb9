"""Catalogue priors built on first use, so that making a model does not import NumPyro.

NumPyro loads all of itself, SciPy included, on first import (≈ 0.4 s of CPU), and a model's
prior is only needed by the engines that integrate or sample it (exact posterior, NUTS, prior
draws) — not by the LLC, SGD or data sampling. A catalogue constructor therefore hands
:class:`~slt_sim.models.Model` a :class:`DeferredPrior`; ``model.prior`` builds the NumPyro
distribution (``slt_sim.models.priors.<builder>(*args)``) the first time it is read and checks
it then, with the same checks a prior given directly gets at construction.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class DeferredPrior(NamedTuple):
    """``slt_sim.models.priors.<builder>(*args)``, called when the prior is first needed."""

    builder: str
    args: tuple[Any, ...]

    def build(self):
        from . import priors

        return getattr(priors, self.builder)(*self.args)


_BUILDERS = ("SymmetricPowerPrior", "gaussian", "uniform_box")


def deferred(builder: str, *args: Any) -> DeferredPrior:
    """A prior from :mod:`slt_sim.models.priors` (one of ``_BUILDERS``), built on first use."""
    if builder not in _BUILDERS:
        raise ValueError(f"builder must be one of {_BUILDERS}, got {builder!r}")
    return DeferredPrior(builder, tuple(args))
