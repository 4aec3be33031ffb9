"""NumPyro, imported through one place: ``from .._numpyro import dist``.

``numpyro.factor`` (used inside NumPyro's own NUTS too) looks up
``numpyro.distributions.distribution`` as an attribute; when ArviZ is imported before NumPyro
that attribute is left unbound. Importing this module binds it, so every slt_sim module that uses
NumPyro imports its distributions from here. (Importing any part of NumPyro loads all of it,
SciPy included, so only modules that need it import this one.)
"""

from __future__ import annotations

import numpyro.distributions as dist
import numpyro.distributions.distribution as _distribution

if not hasattr(dist, "distribution"):
    dist.distribution = _distribution

__all__ = ["dist"]
