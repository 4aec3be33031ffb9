"""The model catalogue. Every constructor returns a :class:`Model`."""

from .addition import addition_carries, addition_digits, digit_addition
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
    kgon_lambda,
    kgon_loss,
    kgon_norm_bias,
    kgon_plus,
    phase_name,
    prior_term,
    toy_superposition,
)

__all__ = [
    "Data",
    "KNOWN_POTENTIALS",
    "Model",
    "Region",
    "SymmetricPowerPrior",
    "addition_carries",
    "addition_digits",
    "classify_phase",
    "deep_linear_network",
    "digit_addition",
    "gaussian",
    "hull_vertex_count",
    "kgon",
    "kgon_lambda",
    "kgon_loss",
    "kgon_norm_bias",
    "kgon_plus",
    "modular_addition",
    "multitask_sparse_parity",
    "normal_crossing",
    "phase_name",
    "polynomial",
    "prior_term",
    "quadratic",
    "reduced_rank_regression",
    "tanh_network",
    "toy_superposition",
    "two_basins_1d",
    "two_basins_2d",
    "uniform_box",
]
