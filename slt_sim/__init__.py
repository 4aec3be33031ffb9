"""slt_sim: see singular learning theory happen.

Exact (grid-quadrature) and MCMC posteriors over small singular models, learning coefficients λ
and multiplicities m, Bayesian phase changes in the data count n, and SGD on the same landscapes.

Every engine targets one tempered posterior

    p_n^β(w) ∝ φ(w) · exp(−n β L_n(w)).

Precision: importing slt_sim turns on JAX's 64-bit mode (``jax_enable_x64``), because free
energies F_n = −log Z_n at n up to 1e9 and exact posteriors need float64. Set the environment
variable ``SLT_SIM_X64=0`` before importing to keep JAX's float32 default (samplers and SGD then
run in float32; the exact engine refuses to run without float64).
"""

from __future__ import annotations

import os as _os

import jax as _jax

if _os.environ.get("SLT_SIM_X64", "1") != "0":
    _jax.config.update("jax_enable_x64", True)

import numpyro.distributions as _npd  # noqa: E402
import numpyro.distributions.distribution as _npd_distribution  # noqa: E402

# numpyro.factor (used inside NumPyro's own NUTS too) looks up numpyro.distributions.distribution
# as an attribute; when ArviZ is imported before NumPyro that attribute is left unbound. Bind it.
if not hasattr(_npd, "distribution"):
    _npd.distribution = _npd_distribution

from . import models, theory  # noqa: E402
from ._warnings import (  # noqa: E402
    CalibrationWarning,
    ConvergenceWarning,
    FitWarning,
    LLCWarning,
    QuadratureWarning,
    SLTSimWarning,
    TrainingWarning,
    VolumeWarning,
)
from .data import load_scaling_curve  # noqa: E402
from .dynamics import (  # noqa: E402
    compare,
    critical_dataset_size,
    detect_transitions,
    learning_times,
    llc_trajectory,
    polca,
    train_capabilities,
    train_grokking,
    train_sgd,
    train_to_minimum,
)
from .measure.calibrate import CalibrationResult, calibrate_llc  # noqa: E402
from .measure.free_energy import free_energy_lambda  # noqa: E402
from .measure.llc import LLCResult, estimate_llc  # noqa: E402
from .measure.scaling import BNSLFit, BNSLParams, bnsl, fit_bnsl, fit_power_law  # noqa: E402
from .measure.thermo import thermodynamic_free_energy  # noqa: E402
from .measure.volume import volume_scaling  # noqa: E402
from .measure.wbic_lambda import multi_temperature_lambda, wbic  # noqa: E402
from .models import Data, Model  # noqa: E402
from .posterior.exact import exact_posterior  # noqa: E402
from .posterior.grid import graded_grid, uniform_grid  # noqa: E402
from .posterior.mcmc import sample_posterior  # noqa: E402
from .posterior.parallel_tempering import RegionOccupancy, replica_exchange  # noqa: E402
from .posterior.phase import phase_sweep  # noqa: E402

__version__ = "0.1.0"

__all__ = [
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
    "BNSLFit",
    "BNSLParams",
    "CalibrationResult",
    "CalibrationWarning",
    "ConvergenceWarning",
    "Data",
    "FitWarning",
    "LLCWarning",
    "LLCResult",
    "Model",
    "QuadratureWarning",
    "RegionOccupancy",
    "SLTSimWarning",
    "TrainingWarning",
    "VolumeWarning",
    "__version__",
]
