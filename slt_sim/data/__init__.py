"""Published scaling curves shipped with slt_sim (small CSV files with their citation).

``load_scaling_curve("four_digit_addition")``: test cross-entropy of a transformer trained on
4-digit addition against training-set size, 17 points (Caballero, Gupta, Rish, Krueger, "Broken
Neural Scaling Laws", ICLR 2023, Figure 4 left; numbers from the authors' public code release).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

CURVES = ("four_digit_addition",)


@dataclass(frozen=True)
class ScalingCurve:
    """A published curve: x (the scaled quantity), y (the metric), labels and its citation."""

    name: str
    x: np.ndarray
    y: np.ndarray
    x_label: str
    y_label: str
    citation: str
    fit_first: int

    def as_dict(self) -> dict:
        return {"name": self.name, "x": self.x.tolist(), "y": self.y.tolist(),
                "x_label": self.x_label, "y_label": self.y_label, "citation": self.citation,
                "fit_first": self.fit_first}


_META = {
    "four_digit_addition": dict(
        x_label="training-set size", y_label="test cross-entropy", fit_first=14,
        citation="Caballero, Gupta, Rish, Krueger, 'Broken Neural Scaling Laws', ICLR 2023 "
                 "(arXiv:2210.14891), Fig. 4 left; data from "
                 "github.com/ethancaballero/broken_neural_scaling_laws"),
}


def curve_path(name: str):
    """The packaged CSV file of curve ``name`` (a ``importlib.resources`` traversable)."""
    if name not in CURVES:
        raise ValueError(f"name must be one of {', '.join(CURVES)}, got {name!r}")
    return resources.files(__package__).joinpath(f"{name}.csv")


def load_scaling_curve(name: str = "four_digit_addition") -> ScalingCurve:
    """Load a packaged scaling curve (see the module docstring for what is there)."""
    text = curve_path(name).read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    table = np.array([[float(t) for t in ln.split(",")] for ln in rows[1:]])
    return ScalingCurve(name, table[:, 0], table[:, 1], **_META[name])
