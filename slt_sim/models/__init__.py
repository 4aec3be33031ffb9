"""The model catalogue. Every constructor returns a :class:`Model`."""

from .addition import addition_carries, digit_addition
from .base import Data, Model, Region
from .modular import modular_addition
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
from .sparse_parity import multitask_sparse_parity
from .superposition import (
    classify_phase,
    hull_vertex_count,
    kgon,
    kgon_plus,
    toy_superposition,
)

__all__ = [
    "addition_carries",
    "classify_phase",
    "Data",
    "deep_linear_network",
    "digit_addition",
    "gaussian",
    "hull_vertex_count",
    "kgon",
    "kgon_plus",
    "KNOWN_POTENTIALS",
    "Model",
    "modular_addition",
    "multitask_sparse_parity",
    "normal_crossing",
    "polynomial",
    "quadratic",
    "reduced_rank_regression",
    "Region",
    "SymmetricPowerPrior",
    "tanh_network",
    "toy_superposition",
    "two_basins_1d",
    "two_basins_2d",
    "uniform_box",
]
