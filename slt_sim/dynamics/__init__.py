"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training,
training objectives (mean, grouped, SVD-grouped, group DRO) and per-task learning times."""

from . import objectives
from .capabilities import CapabilityResult, group_curves, train_capabilities
from .grokking import (
    CriticalSize,
    GrokkingRun,
    critical_dataset_size,
    grokking_llc,
    point_llc,
    train_grokking,
)
from .minimize import train_to_minimum
from .objectives import Objective
from .polca_decomposition import Cluster, POLCAResult, hessian_basis, polca
from .sgd import REGION_DIVERGED, REGION_NONE, SGDResult, checkpoint_steps, train_sgd
from .sgd_vs_bayes import SGDvsBayes, compare
from .training_llc import LLCTrajectory, llc_trajectory
from .transitions import (
    LearningTimes,
    Plateau,
    Transition,
    TransitionReport,
    detect_transitions,
    learning_times,
)

__all__ = [
    "REGION_DIVERGED",
    "REGION_NONE",
    "checkpoint_steps",
    "compare",
    "critical_dataset_size",
    "detect_transitions",
    "grokking_llc",
    "group_curves",
    "hessian_basis",
    "learning_times",
    "llc_trajectory",
    "objectives",
    "point_llc",
    "polca",
    "train_capabilities",
    "train_grokking",
    "train_sgd",
    "train_to_minimum",
    "CapabilityResult",
    "Cluster",
    "CriticalSize",
    "GrokkingRun",
    "LLCTrajectory",
    "LearningTimes",
    "Objective",
    "POLCAResult",
    "Plateau",
    "SGDResult",
    "SGDvsBayes",
    "Transition",
    "TransitionReport",
]
