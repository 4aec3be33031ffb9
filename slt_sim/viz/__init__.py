"""Figures (matplotlib ``Figure`` objects, never pyplot state) and, in ``slt_sim.widgets``,
interactive explorers. Plotting only reads engine results."""

from .phase import (plot_free_energy, plot_posterior_snapshots, plot_region_free_energies,
                    plot_region_masses)
from .volume import plot_sublevel_set, plot_volume_scaling

__all__ = ["plot_free_energy", "plot_posterior_snapshots", "plot_region_free_energies",
           "plot_region_masses", "plot_sublevel_set", "plot_volume_scaling"]
