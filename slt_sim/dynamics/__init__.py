"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training,
training objectives (mean, grouped, SVD-grouped, group DRO) and per-task learning times."""

from . import objectives
from .capabilities import CapabilityResult, group_curves, train_capabilities
from .compare import SGDvsBayes, compare
from .llc_trajectory import LLCTrajectory, llc_trajectory
from .minimize import train_to_minimum
from .objectives import Objective
from .sgd import REGION_DIVERGED, REGION_NONE, SGDResult, checkpoint_steps, train_sgd
from .transitions import (
    LearningTimes,
    Plateau,
    Transition,
    TransitionReport,
    detect_transitions,
    learning_times,
)

__all__ = ["REGION_DIVERGED", "REGION_NONE", "CapabilityResult", "LLCTrajectory",
           "LearningTimes", "Objective", "Plateau", "SGDResult", "group_curves",
           "learning_times", "objectives", "train_capabilities",
           "SGDvsBayes", "Transition", "TransitionReport", "checkpoint_steps", "compare",
           "detect_transitions", "llc_trajectory", "train_sgd", "train_to_minimum"]
