"""Interactive explorers (ipywidgets 8) for notebooks and Voila.

Each explorer is an ``ipywidgets.VBox``: display it (or leave it as the last expression of a
cell) to use it. Figures are rendered as PNG into an ``ipywidgets.Image``; every control fires its
update synchronously, so code can drive an explorer by setting ``slider.value``.
"""

from .grokking import GrokkingExplorer, GrokkingSettings
from .llc import LLCExplorer
from .phase import PhaseExplorer, explorer_grid, with_gaussian_prior
from .tms import TMSExplorer, TMSSettings
from .volume import VolumeExplorer

__all__ = ["GrokkingExplorer", "GrokkingSettings", "LLCExplorer", "PhaseExplorer", "TMSExplorer",
           "TMSSettings", "VolumeExplorer", "explorer_grid", "with_gaussian_prior"]
