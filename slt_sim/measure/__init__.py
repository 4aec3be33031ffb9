"""What SLT measures from posteriors: free-energy slopes, volume scaling, WBIC, LLC."""

from .calibrate import CalibrationResult, calibrate_llc  # noqa: F401
from .llc import LLCResult, estimate_llc  # noqa: F401
