"""What SLT measures from posteriors: learning coefficients (LLC, volume scaling, ...)."""

from .calibrate import CalibrationResult, calibrate_llc  # noqa: F401
from .llc import LLCResult, estimate_llc  # noqa: F401
