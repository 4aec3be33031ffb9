"""What SLT measures from posteriors: the learning coefficient λ and multiplicity m by volume
scaling, free-energy slopes, WBIC / multi-temperature slopes and thermodynamic integration; the
local learning coefficient (LLC) by SG-MCMC and its calibration; generalisation (learning curve,
WAIC); and curve measures that need no posterior (broken-neural-scaling-law fits)."""

from .calibrate import CalibrationResult, CalibrationWarning, calibrate_llc, exact_localized_llc
from .free_energy import FreeEnergySlope, fit_free_energy_slope, free_energy_lambda
from .generalization import (
    LearningCurveResult,
    WAICResult,
    learning_curve,
    waic,
    waic_from_loglik,
)
from .llc import LLCResult, estimate_llc
from .scaling import (
    BNSLFit,
    BNSLParams,
    bnsl,
    collapsed_breaks,
    default_grid,
    fit_bnsl,
    fit_power_law,
    rmsle,
)
from .thermo import ThermoLambdaResult, ThermoResult, thermo_lambda, thermodynamic_free_energy
from .volume import VolumeCurve, VolumeScalingResult, volume_curve, volume_scaling
from .wbic_lambda import (
    MultiTemperatureResult,
    WBICResult,
    default_betas,
    multi_temperature_lambda,
    reference_energy,
    resolve_multiplicity,
    slope_fit,
    wbic,
)

__all__ = [
    "BNSLFit",
    "BNSLParams",
    "CalibrationResult",
    "CalibrationWarning",
    "FreeEnergySlope",
    "LLCResult",
    "LearningCurveResult",
    "MultiTemperatureResult",
    "ThermoLambdaResult",
    "ThermoResult",
    "VolumeCurve",
    "VolumeScalingResult",
    "WAICResult",
    "WBICResult",
    "bnsl",
    "calibrate_llc",
    "collapsed_breaks",
    "default_betas",
    "default_grid",
    "estimate_llc",
    "exact_localized_llc",
    "fit_bnsl",
    "fit_free_energy_slope",
    "fit_power_law",
    "free_energy_lambda",
    "learning_curve",
    "multi_temperature_lambda",
    "reference_energy",
    "resolve_multiplicity",
    "rmsle",
    "slope_fit",
    "thermo_lambda",
    "thermodynamic_free_energy",
    "volume_curve",
    "volume_scaling",
    "waic",
    "waic_from_loglik",
    "wbic",
]
