"""Figures (matplotlib ``Figure`` objects, never pyplot state) and, in ``slt_sim.widgets``,
interactive explorers. Plotting only reads engine results."""

from .grokking import plot_critical_size, plot_grokking
from .grouped import plot_learning_times, plot_task_curves
from .llc import plot_calibration, plot_llc_trace
from .mcmc import plot_energy_slope, plot_learning_curve, plot_nuts_vs_exact
from .phase import (
                    plot_free_energy,
                    plot_posterior_snapshots,
                    plot_region_free_energies,
                    plot_region_masses,
)
from .polca import plot_polca
from .scaling import plot_bnsl_fit, plot_predictability
from .sgd import plot_sgd_vs_bayes, plot_training_curves, plot_trajectories
from .volume import plot_sublevel_set, plot_volume_scaling

__all__ = [
    "plot_bnsl_fit",
    "plot_calibration",
    "plot_critical_size",
    "plot_energy_slope",
    "plot_free_energy",
    "plot_grokking",
    "plot_learning_curve",
    "plot_learning_times",
    "plot_llc_trace",
    "plot_nuts_vs_exact",
    "plot_polca",
    "plot_posterior_snapshots",
    "plot_predictability",
    "plot_region_free_energies",
    "plot_region_masses",
    "plot_sgd_vs_bayes",
    "plot_sublevel_set",
    "plot_task_curves",
    "plot_training_curves",
    "plot_trajectories",
    "plot_volume_scaling",
]
