"""What SLT measures from posteriors: free-energy slopes, volume scaling, WBIC, LLC."""

from .volume import VolumeCurve, VolumeScalingResult, volume_curve, volume_scaling  # noqa: F401
