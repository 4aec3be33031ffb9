r"""VolumeExplorer: the sublevel sets {K < ε} and the volume law V(ε) ≈ c ε^λ (log 1/ε)^{m−1}.

The learning coefficient λ and its multiplicity m are the exponents of the prior mass of the
near-optimal parameters (Watanabe 2009):

    V(ε) = ∫_{K(w) − K_min < ε} φ(w) dw  ≈  c ε^λ (log 1/ε)^{m−1}     (ε → 0).

Left: the set {K − K_min < ε} at the slider's ε, over log K. Right: log V against log ε as
computed and fitted by :func:`~slt_sim.measure.volume.volume_scaling` (once per landscape), the
theory's slope, and the point V(ε) at the slider's ε from a direct
:func:`~slt_sim.measure.volume.volume_curve` call.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import _validate as v
from ..measure.volume import VolumeCurve, VolumeScalingResult, volume_curve, volume_scaling
from ..models import normal_crossing, polynomial, quadratic
from ..models.base import Model
from ..viz.volume import plot_sublevel_set, plot_volume_scaling
from ._frame import TwoPanelExplorer

#: the landscapes offered by the picker (label → constructor), regular to most singular
LANDSCAPES = {
    "a² + b²  (regular: λ = 1)": lambda: quadratic(2),
    "a² + b⁴  (λ = 3/4)": lambda: polynomial("a^2+b^4"),
    "a²b²  (normal crossing: λ = 1/2, m = 2)": lambda: normal_crossing((1, 1)),
    "(a² − b³)²  (cusp: λ = 5/12)": lambda: polynomial("(a^2-b^3)^2"),
}

#: the ε of the volume curve: deep enough for the fit (the default fit range of the grid method
#: is 1e−24 … 1e−12 of K's scale) and up to 1, where the sets are big enough to see
CURVE_EPS = np.logspace(-24, 0, 49)
FIT_RANGE = (1e-24, 1e-12)


class VolumeExplorer(TwoPanelExplorer):
    r"""Interactive volume scaling: the set {K < ε} and log V against log ε with λ̂, m̂ and theory.

    Controls: landscape picker (2-D potentials with known λ, m) and ε on a log slider. Moving ε
    redraws the sublevel set and computes V(ε) at that ε by a direct :func:`volume_curve` call
    (the exact grid method); the fit is computed once per landscape and cached.

    Args:
      model: a 2-parameter model with a population loss; it is added to the picker and
        selected (default: the regular a² + b²).
      eps: the initial ε.

    Attributes:
      model: the model shown.
      scaling: its :class:`VolumeScalingResult` (curve over ``CURVE_EPS``, fit on
        ``FIT_RANGE``).
      point: the :class:`VolumeCurve` at the current ε.
    """

    def __init__(self, model: Model | None = None, *, eps: float = 1e-2):
        self._constructors = dict(LANDSCAPES)
        if model is not None:
            _check_volume_model(model)
            label = f"custom: {model.name}"
            self._constructors[label] = lambda m=model: m
        else:
            label = next(iter(LANDSCAPES))
        eps = v.as_float("eps", eps, lo=1e-8, hi=1.0)
        self._models: dict = {}
        self._scalings: dict = {}
        style = {"description_width": "initial"}
        self.landscape_picker = widgets.Dropdown(options=list(self._constructors), value=label,
                                                 description="landscape", style=style,
                                                 layout=widgets.Layout(width="28em"))
        self.eps_slider = widgets.FloatLogSlider(
            value=eps, base=10, min=-8, max=0, step=0.05, description="ε",
            continuous_update=False, readout_format=".2e")
        super().__init__([[self.landscape_picker, self.eps_slider]])
        self.add_class("slt-volume-explorer")
        self.eps_slider.add_class("slt-control-eps")
        self.landscape_picker.add_class("slt-control-landscape")
        self._observe(self.landscape_picker, self._on_landscape)
        self._observe(self.eps_slider, self._on_eps)
        self.model: Model
        self.scaling: VolumeScalingResult
        self.point: VolumeCurve
        self._run_update(self._on_landscape)

    @property
    def eps(self) -> float:
        return float(self.eps_slider.value)

    def _refresh(self) -> None:
        self._on_landscape()

    def _on_landscape(self) -> None:
        label = self.landscape_picker.value
        if label not in self._models:
            model = self._constructors[label]()
            _check_volume_model(model)
            self._models[label] = model
        self.model = self._models[label]
        if label not in self._scalings:
            with self.busy(f"V(ε) at {len(CURVE_EPS)} values of ε and the fit of λ, m "
                           f"(first time for this landscape: a few seconds)…"):
                self._scalings[label] = volume_scaling(self.model, eps=CURVE_EPS,
                                                       fit_range=FIT_RANGE)
        self.scaling = self._scalings[label]
        self._on_eps()

    def _on_eps(self) -> None:
        self.point = volume_curve(self.model, eps=[self.eps], method="grid")
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _static_key(self):
        return id(self.scaling)

    def _plot_static(self, subfig):
        ax = subfig.subplots()
        plot_volume_scaling(self.scaling, ax=ax)
        return ax

    def _plot_moving(self, subfig) -> None:
        plot_sublevel_set(self.model, [self.eps], resolution=300, ax=subfig.subplots())

    def _marker(self) -> tuple[float, float, str]:
        return self.eps, float(self.point.volume[0]), f"ε = {self.eps:.2e}"

    def _status_html(self) -> str:
        s = self.scaling
        lo, hi = s.lam_ci
        theory = ("" if s.lam is None
                  else f" &nbsp; <b>theory</b> λ = {s.lam:.4g}, m = {s.m}")
        return (f"<b>V(ε = {self.eps:.2e})</b> = {self.point.volume[0]:.4g} &nbsp;|&nbsp; "
                f"<b>fit</b> on ε ∈ [{FIT_RANGE[0]:g}, {FIT_RANGE[1]:g}]: λ̂ = {s.lam_hat:.4f} "
                f"[{lo:.4f}, {hi:.4f}], m̂ = {s.m_hat}{theory}")


def _check_volume_model(model: Model) -> None:
    v.model(model)
    if model.dim != 2 or model.population_loss is None:
        raise ValueError(f"VolumeExplorer draws 2-parameter models with a population loss; got "
                         f"{model.name} (dim={model.dim})")


__all__ = ["CURVE_EPS", "FIT_RANGE", "LANDSCAPES", "VolumeExplorer"]
