"""What SLT measures from posteriors: the learning coefficient λ and multiplicity m by volume
scaling, free-energy slopes, WBIC / multi-temperature slopes and thermodynamic integration; the
local learning coefficient (LLC) by SG-MCMC and its calibration; generalisation (learning curve,
WAIC); and curve measures that need no posterior (broken-neural-scaling-law fits)."""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".calibrate": (
        "CalibrationResult", "CalibrationWarning", "calibrate_llc", "exact_localized_llc",
    ),
    ".free_energy": ("FreeEnergySlope", "fit_free_energy_slope", "free_energy_lambda"),
    ".generalization": (
        "LearningCurveResult", "WAICResult", "learning_curve", "waic", "waic_from_loglik",
    ),
    ".llc": ("LLCResult", "estimate_llc"),
    ".scaling": (
        "BNSLFit", "BNSLParams", "bnsl", "collapsed_breaks", "default_grid", "fit_bnsl",
        "fit_power_law", "rmsle",
    ),
    ".thermo": ("ThermoLambdaResult", "ThermoResult", "thermo_lambda", "thermodynamic_free_energy"),
    ".volume": ("VolumeCurve", "VolumeScalingResult", "volume_curve", "volume_scaling"),
    ".wbic_lambda": (
        "MultiTemperatureResult", "WBICResult", "default_betas", "multi_temperature_lambda",
        "reference_energy", "resolve_multiplicity", "slope_fit", "wbic",
    ),
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
