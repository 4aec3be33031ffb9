"""SGD on the same landscapes as the posterior: trajectories, comparisons, LLC along training."""

from .sgd import REGION_DIVERGED, REGION_NONE, SGDResult, checkpoint_steps, train_sgd

__all__ = ["REGION_DIVERGED", "REGION_NONE", "SGDResult", "checkpoint_steps", "train_sgd"]
