"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training,
training objectives (mean, grouped, SVD-grouped, group DRO) and per-task learning times."""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".capabilities": ("CapabilityResult", "group_curves", "train_capabilities"),
    ".grokking": (
        "CALIBRATED_LLC", "DEVINTERP_LLC", "CriticalSize", "GrokkingRun", "critical_dataset_size",
        "grokking_llc", "point_llc", "train_grokking",
    ),
    ".minimize": ("train_to_minimum",),
    ".objectives": ("Objective",),
    ".polca_decomposition": (
        "Cluster", "POLCAResult", "acceleration_points", "cluster_trajectories", "decompose_loss",
        "filter_trajectories", "flat_step", "hessian_basis", "polca",
    ),
    ".sgd": ("REGION_DIVERGED", "REGION_NONE", "SGDResult", "checkpoint_steps", "train_sgd"),
    ".sgd_vs_bayes": ("SGDvsBayes", "compare", "compare_learning_rates"),
    ".training_llc": ("LLCTrajectory", "llc_trajectory"),
    ".transitions": (
        "LearningTimes", "Plateau", "Transition", "TransitionReport", "detect_transitions",
        "learning_times", "trace_noise",
    ),
}

__all__ = [
    "CALIBRATED_LLC",
    "CapabilityResult",
    "Cluster",
    "CriticalSize",
    "DEVINTERP_LLC",
    "GrokkingRun",
    "LLCTrajectory",
    "LearningTimes",
    "Objective",
    "POLCAResult",
    "Plateau",
    "REGION_DIVERGED",
    "REGION_NONE",
    "SGDResult",
    "SGDvsBayes",
    "Transition",
    "TransitionReport",
    "acceleration_points",
    "checkpoint_steps",
    "cluster_trajectories",
    "compare",
    "compare_learning_rates",
    "critical_dataset_size",
    "decompose_loss",
    "detect_transitions",
    "filter_trajectories",
    "flat_step",
    "grokking_llc",
    "group_curves",
    "hessian_basis",
    "learning_times",
    "llc_trajectory",
    "objectives",
    "point_llc",
    "polca",
    "trace_noise",
    "train_capabilities",
    "train_grokking",
    "train_sgd",
    "train_to_minimum",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, submodules=("objectives",))
