"""The model catalogue. Every constructor returns a :class:`Model`."""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".addition": ("addition_carries", "addition_digits", "digit_addition"),
    ".base": ("Data", "Model", "Region"),
    ".modular": ("modular_addition",),
    ".networks": ("deep_linear_network", "reduced_rank_regression", "tanh_network"),
    ".potentials": (
        "KNOWN_POTENTIALS", "normal_crossing", "polynomial", "quadratic", "two_basins_1d",
        "two_basins_2d",
    ),
    ".priors": ("SymmetricPowerPrior", "gaussian", "uniform_box"),
    ".sparse_parity": ("multitask_sparse_parity",),
    ".superposition": (
        "classify_phase", "hull_vertex_count", "kgon", "kgon_lambda", "kgon_loss",
        "kgon_norm_bias", "kgon_plus", "phase_name", "prior_term", "toy_superposition",
    ),
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
