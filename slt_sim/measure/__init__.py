"""What SLT measures: volume scaling (λ, m from V(ε)), and more to come."""

from .volume import VolumeCurve, VolumeScalingResult, volume_curve, volume_scaling  # noqa: F401
