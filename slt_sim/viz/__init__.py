"""Figures (matplotlib ``Figure`` objects, never pyplot state) and, in ``slt_sim.widgets``,
interactive explorers. Plotting only reads engine results."""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".grokking": ("plot_critical_size", "plot_grokking"),
    ".grouped": ("plot_learning_times", "plot_task_curves"),
    ".llc": ("plot_calibration", "plot_llc_trace"),
    ".mcmc": ("plot_energy_slope", "plot_learning_curve", "plot_nuts_vs_exact"),
    ".phase": (
        "plot_free_energy", "plot_posterior_snapshots", "plot_region_free_energies",
        "plot_region_masses",
    ),
    ".polca": ("plot_polca",),
    ".scaling": ("plot_bnsl_fit", "plot_predictability"),
    ".sgd": ("plot_sgd_vs_bayes", "plot_training_curves", "plot_trajectories"),
    ".volume": ("plot_sublevel_set", "plot_volume_scaling"),
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
