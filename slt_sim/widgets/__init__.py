"""Interactive explorers (ipywidgets 8) for notebooks and Voila.

Each explorer is an ``ipywidgets.VBox``: display it (or leave it as the last expression of a
cell) to use it. Figures are rendered as PNG into an ``ipywidgets.Image``; every control fires its
update synchronously, so code can drive an explorer by setting ``slider.value``.
"""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".grokking": ("GrokkingExplorer", "GrokkingSettings"),
    ".llc": ("LLCExplorer",),
    ".phase": ("PhaseExplorer", "explorer_grid", "with_gaussian_prior"),
    ".tms": ("TMSExplorer", "TMSSettings"),
    ".volume": ("VolumeExplorer",),
}

__all__ = [
    "GrokkingExplorer",
    "GrokkingSettings",
    "LLCExplorer",
    "PhaseExplorer",
    "TMSExplorer",
    "TMSSettings",
    "VolumeExplorer",
    "explorer_grid",
    "with_gaussian_prior",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
