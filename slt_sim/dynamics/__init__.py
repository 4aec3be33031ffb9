"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training."""

from .compare import SGDvsBayes, compare
from .llc_trajectory import LLCTrajectory, llc_trajectory
from .minimize import train_to_minimum
from .polca import Cluster, POLCAResult, hessian_basis, polca
from .sgd import REGION_DIVERGED, REGION_NONE, SGDResult, checkpoint_steps, train_sgd
from .transitions import Plateau, Transition, TransitionReport, detect_transitions

__all__ = ["REGION_DIVERGED", "REGION_NONE", "Cluster", "LLCTrajectory", "POLCAResult", "Plateau",
           "SGDResult", "SGDvsBayes", "Transition", "TransitionReport", "checkpoint_steps",
           "compare", "detect_transitions", "hessian_basis", "llc_trajectory", "polca", "train_sgd",
           "train_to_minimum"]
