"""Engines that turn (model, data, n, β) into a posterior: exact grid quadrature, NUTS, SGMCMC."""

from . import sgmcmc  # noqa: F401
