"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training."""

from .compare import SGDvsBayes, compare
from .grokking import (
    CriticalSize,
    GrokkingRun,
    critical_dataset_size,
    grokking_llc,
    point_llc,
    train_grokking,
)
from .llc_trajectory import LLCTrajectory, llc_trajectory
from .minimize import train_to_minimum
from .polca import Cluster, POLCAResult, hessian_basis, polca
from .sgd import REGION_DIVERGED, REGION_NONE, SGDResult, checkpoint_steps, train_sgd
from .transitions import Plateau, Transition, TransitionReport, detect_transitions

__all__ = ["REGION_DIVERGED", "REGION_NONE", "Cluster", "CriticalSize", "GrokkingRun",
           "LLCTrajectory", "POLCAResult", "Plateau", "SGDResult", "SGDvsBayes", "Transition",
           "TransitionReport", "checkpoint_steps", "compare", "critical_dataset_size",
           "detect_transitions", "grokking_llc", "hessian_basis", "llc_trajectory", "point_llc",
           "polca", "train_grokking", "train_sgd", "train_to_minimum"]
