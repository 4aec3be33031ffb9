"""slt_sim: see singular learning theory happen.

Exact (grid-quadrature) and MCMC posteriors over small singular models, learning coefficients λ
and multiplicities m, Bayesian phase changes in the data count n, and SGD on the same landscapes.

Every engine targets one tempered posterior

    p_n^β(w) ∝ φ(w) · exp(−n β L_n(w)).

Precision: importing slt_sim turns on JAX's 64-bit mode (``jax_enable_x64``), because free
energies F_n = −log Z_n at n up to 1e9 and exact posteriors need float64. Set the environment
variable ``SLT_SIM_X64=0`` before importing to keep JAX's float32 default (samplers and SGD then
run in float32; the exact engine refuses to run without float64).

Start-up: the names below are imported on first use (PEP 562), so ``import slt_sim`` costs little
more than ``import jax``; NumPyro, ArviZ, optax, SciPy, matplotlib and ipywidgets load only when a
name that needs them is first touched. The subpackages ``models``, ``theory``, ``posterior``,
``measure``, ``dynamics``, ``viz``, ``widgets`` and ``data`` are attributes too.
"""

from __future__ import annotations

import os as _os

import jax as _jax

if _os.environ.get("SLT_SIM_X64", "1") != "0":
    _jax.config.update("jax_enable_x64", True)

from ._lazy import lazy_exports as _lazy_exports  # noqa: E402

__version__ = "0.1.0"

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    "._warnings": (
        "CalibrationWarning", "ConvergenceWarning", "FitWarning", "LLCWarning",
        "QuadratureWarning", "SLTSimWarning", "TrainingWarning", "VolumeWarning",
    ),
    ".data": ("load_scaling_curve",),
    ".dynamics": (
        "compare", "critical_dataset_size", "detect_transitions", "learning_times",
        "llc_trajectory", "polca", "train_capabilities", "train_grokking", "train_sgd",
        "train_to_minimum",
    ),
    ".measure": (
        "BNSLFit", "BNSLParams", "CalibrationResult", "LLCResult", "bnsl",
        "calibrate_llc", "estimate_llc", "fit_bnsl", "fit_power_law", "free_energy_lambda",
        "multi_temperature_lambda", "thermodynamic_free_energy", "volume_scaling", "wbic",
    ),
    ".models": ("Data", "Model"),
    ".posterior": (
        "RegionOccupancy", "exact_posterior", "graded_grid", "phase_sweep",
        "replica_exchange", "sample_posterior", "uniform_grid",
    ),
}

#: subpackages reachable as ``slt_sim.<name>`` (listed in ``dir(slt_sim)``)
_SUBPACKAGES = ("data", "dynamics", "measure", "models", "posterior", "theory", "viz", "widgets")

__all__ = [
    "BNSLFit",
    "BNSLParams",
    "CalibrationResult",
    "CalibrationWarning",
    "ConvergenceWarning",
    "Data",
    "FitWarning",
    "LLCResult",
    "LLCWarning",
    "Model",
    "QuadratureWarning",
    "RegionOccupancy",
    "SLTSimWarning",
    "TrainingWarning",
    "VolumeWarning",
    "__version__",
    "bnsl",
    "calibrate_llc",
    "compare",
    "critical_dataset_size",
    "detect_transitions",
    "estimate_llc",
    "exact_posterior",
    "fit_bnsl",
    "fit_power_law",
    "free_energy_lambda",
    "graded_grid",
    "learning_times",
    "llc_trajectory",
    "load_scaling_curve",
    "models",
    "multi_temperature_lambda",
    "phase_sweep",
    "polca",
    "replica_exchange",
    "sample_posterior",
    "theory",
    "thermodynamic_free_energy",
    "train_capabilities",
    "train_grokking",
    "train_sgd",
    "train_to_minimum",
    "uniform_grid",
    "volume_scaling",
    "wbic",
]

__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, __all__, submodules=_SUBPACKAGES)
