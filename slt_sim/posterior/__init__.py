"""Posterior engines: every one targets p_n^β(w) ∝ φ(w) exp(−nβ L_n(w)) (or its localised form)."""

from . import sgmcmc  # noqa: F401
