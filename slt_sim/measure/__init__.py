"""What SLT measures from posteriors: free-energy slopes, volume scaling, WBIC, LLC; and curve
measures that need no posterior (broken-neural-scaling-law fits of scaling curves)."""

from .scaling import (  # noqa: F401
    BNSLFit,
    BNSLParams,
    bnsl,
    default_grid,
    fit_bnsl,
    fit_power_law,
)
from .volume import VolumeCurve, VolumeScalingResult, volume_curve, volume_scaling  # noqa: F401
