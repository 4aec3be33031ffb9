"""The model catalogue. Every constructor returns a :class:`Model`."""

from .base import Data, Model, Region
from .digit_addition import addition_carries, digit_addition
from .networks import deep_linear_network, reduced_rank_regression, tanh_network
from .potentials import (
                         KNOWN_POTENTIALS,
                         normal_crossing,
                         polynomial,
                         quadratic,
                         two_basins_1d,
                         two_basins_2d,
)
from .priors import SymmetricPowerPrior, gaussian, uniform_box
from .superposition import (
    classify_phase,
    hull_vertex_count,
    kgon,
    kgon_plus,
    toy_superposition,
)

__all__ = [
    "Data", "Model", "Region", "KNOWN_POTENTIALS", "SymmetricPowerPrior", "deep_linear_network",
    "gaussian", "normal_crossing", "polynomial", "quadratic", "reduced_rank_regression",
    "tanh_network", "two_basins_1d", "two_basins_2d", "uniform_box",
    "classify_phase", "hull_vertex_count", "kgon", "kgon_plus", "toy_superposition",
    "addition_carries",
    "digit_addition",
]
