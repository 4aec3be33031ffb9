r"""LLCExplorer: the local learning coefficient estimator and its hyperparameters.

The SGLD estimator (Lau et al. 2023; see :func:`~slt_sim.measure.llc.estimate_llc`)

    λ̂(w*) = nβ · ( E_w[L_n(w)] − L_n(w*) ),   w ~ exp(−nβ L_n(w) − (γ/2)‖w − w*‖²),

depends on the step size ε (too large: over-dispersed chains, λ̂ biased up, divergences), the
localisation γ (too large: chains confined, λ̂ biased down) and nβ. Left: the chains' traces of
nβ(L − L(w*)) at the current setting (their mean is λ̂), against the quantity the estimator
targets — the exact value of nβ(E[L] − L(w*)) under the same localised posterior at this nβ
and γ (grid quadrature, d ≤ 3) — with theory's λ, its nβ → ∞ limit, beside it. Right: the
calibration map of :func:`~slt_sim.measure.calibrate.calibrate_llc` (λ̂ against ε for each γ,
failing settings crossed, the recommendation circled, or "calibration failed" when no setting
passed) with the current setting marked.

The explorer opens on a²b² at nβ = 1,000 with SGNHT, ε = 3e-4, γ = 1: a setting that passes the
calibration's checks there, whose λ̂ lands within a few % of its exact target (≈ 0.39; theory's
1/2 is reached only slowly, as λ − (m − 1)/log nβ for m = 2). SGNHT's momentum moves along the
flat axes of a normal crossing; plain SGLD at the same ε and run length (1,000 draws) has not
mixed along them and reads about 0.28 ± 0.06 — pick it in the sampler menu to see that.
"""

from __future__ import annotations

import warnings

import ipywidgets as widgets
import jax
import numpy as np

from .. import _validate as v
from .._warnings import SLTSimWarning
from ..measure.calibrate import CalibrationResult, calibrate_llc, exact_localized_llc
from ..measure.llc import LLCResult, estimate_llc
from ..models import normal_crossing, polynomial, quadratic
from ..models.base import Model
from ..viz.llc import plot_calibration, plot_llc_trace
from ._frame import TwoPanelExplorer

#: the landscapes offered by the picker (label → constructor); w* is the origin
LANDSCAPES = {
    "a²b²  (normal crossing: λ = 1/2, m = 2)": lambda: normal_crossing((1, 1)),
    "a² + b⁴  (λ = 3/4)": lambda: polynomial("a^2+b^4"),
    "a² + b²  (regular: λ = 1)": lambda: quadratic(2),
}
NBETA_CHOICES = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
CHAIN_CHOICES = (2, 4, 8, 16)
#: samplers offered (label → estimate_llc's sampler name); the first is the default
SAMPLER_CHOICES = {"SGNHT": "sgnht", "SGLD": "sgld", "RMSProp-SGLD": "rmsprop-sgld",
                   "MALA": "mala"}
#: data count passed to the estimator (potentials: it only sets the default nβ, overridden here)
N_DATA = 100_000
#: draws of the explorer's runs and of its calibration sweep (kept small: every move reruns)
NUM_DRAWS, NUM_BURNIN = 1000, 200
CAL_DRAWS, CAL_BURNIN = NUM_DRAWS, NUM_BURNIN      # the map shows runs as long as the explorer's


class LLCExplorer(TwoPanelExplorer):
    r"""Interactive LLC estimation: sampler, step size, localisation, nβ, chains → traces, λ̂.

    Every ε or γ move reruns :func:`estimate_llc` (``chains`` × 1000 draws after 200
    burn-in, key 0; compiled once per landscape and chain count, so a move costs the sampling
    only). The calibration map is computed once per landscape, nβ and chain count (a progress
    bar shows; ~10 s) and cached.

    Args:
      model: a potential (any dimension) with its minimum at the origin; it is added to the
        picker and selected (default: the normal crossing a²b²).
      step_size, localization, nbeta, chains: the initial setting.
      sampler: ``"sgnht"`` (default), ``"sgld"``, ``"rmsprop-sgld"`` or ``"mala"``.

    Attributes:
      model, w_star: the model and the point (the origin).
      result: the :class:`LLCResult` at the current setting.
      target: the exact localised target nβ(E[L] − L(w*)) at the current nβ and γ (d ≤ 3),
        else None.
      calibration: the :class:`CalibrationResult` for the current landscape, nβ and chains.
    """

    width_ratios = (1.0, 1.1)

    def __init__(self, model: Model | None = None, *, step_size: float = 3e-4,
                 localization: float = 1.0, nbeta: int = 1_000, chains: int = 4,
                 sampler: str = "sgnht"):
        self._constructors = dict(LANDSCAPES)
        if model is not None:
            _check_llc_model(model)
            label = f"custom: {model.name}"
            self._constructors[label] = lambda m=model: m
        else:
            label = next(iter(LANDSCAPES))
        step_size = v.as_float("step_size", step_size, lo=1e-7, hi=1e-1)
        localization = v.as_float("localization", localization, lo=1e-3, hi=1e4)
        if nbeta not in NBETA_CHOICES:
            raise ValueError(f"nbeta must be one of {NBETA_CHOICES}, got {nbeta!r}")
        if chains not in CHAIN_CHOICES:
            raise ValueError(f"chains must be one of {CHAIN_CHOICES}, got {chains!r}")
        labels = {name: label for label, name in SAMPLER_CHOICES.items()}
        if sampler not in labels:
            raise ValueError(f"sampler must be one of {list(labels)}, got {sampler!r}")
        self._models: dict = {}
        self._calibrations: dict = {}
        self._targets: dict = {}
        style = {"description_width": "initial"}
        self.landscape_picker = widgets.Dropdown(options=list(self._constructors), value=label,
                                                 description="landscape", style=style,
                                                 layout=widgets.Layout(width="26em"))
        self.step_slider = widgets.FloatLogSlider(
            value=step_size, base=10, min=-6, max=-2, step=0.05, description="step size ε",
            continuous_update=False, readout_format=".1e", style=style)
        self.localization_slider = widgets.FloatLogSlider(
            value=localization, base=10, min=-2, max=3, step=0.05, description="localisation γ",
            continuous_update=False, readout_format=".3g", style=style)
        self.nbeta_slider = widgets.SelectionSlider(
            options=NBETA_CHOICES, value=nbeta, description="nβ", continuous_update=False)
        self.chains_slider = widgets.SelectionSlider(
            options=CHAIN_CHOICES, value=chains, description="chains", continuous_update=False)
        self.sampler_picker = widgets.Dropdown(options=list(SAMPLER_CHOICES),
                                               value=labels[sampler], description="sampler",
                                               layout=widgets.Layout(width="14em"))
        super().__init__([[self.landscape_picker, self.nbeta_slider, self.chains_slider],
                          [self.sampler_picker, self.step_slider, self.localization_slider]])
        self.add_class("slt-llc-explorer")
        for w, name in ((self.landscape_picker, "landscape"), (self.step_slider, "step"),
                        (self.localization_slider, "localization"),
                        (self.nbeta_slider, "nbeta"), (self.chains_slider, "chains"),
                        (self.sampler_picker, "sampler")):
            w.add_class(f"slt-control-{name}")
        self._observe(self.landscape_picker, self._on_setting)
        self._observe(self.nbeta_slider, self._on_setting)
        self._observe(self.chains_slider, self._on_setting)
        self._observe(self.sampler_picker, self._on_setting)
        self._observe(self.step_slider, self._on_run)
        self._observe(self.localization_slider, self._on_run)
        self.model: Model
        self.w_star: np.ndarray
        self.result: LLCResult
        self.calibration: CalibrationResult
        self._run_update(self._on_setting)

    # ------------------------------------------------------------------ state
    def _refresh(self) -> None:
        self._on_setting()

    def run_settings(self) -> dict:
        """The keyword arguments of the :func:`estimate_llc` call behind the current picture."""
        return {"key": jax.random.key(0), "n": N_DATA, "nbeta": float(self.nbeta_slider.value),
                "step_size": float(self.step_slider.value),
                "localization": float(self.localization_slider.value),
                "num_chains": int(self.chains_slider.value), "num_draws": NUM_DRAWS,
                "num_burnin": NUM_BURNIN, "sampler": SAMPLER_CHOICES[self.sampler_picker.value]}

    def _on_setting(self) -> None:
        label = self.landscape_picker.value
        if label not in self._models:
            model = self._constructors[label]()
            _check_llc_model(model)
            self._models[label] = model
        self.model = self._models[label]
        self.w_star = np.zeros(self.model.dim)
        sampler = SAMPLER_CHOICES[self.sampler_picker.value]
        key = (label, self.nbeta_slider.value, self.chains_slider.value, sampler)
        if key not in self._calibrations:
            with self.busy(f"calibration map: {self.chains_slider.value} chains at 16 settings "
                           f"(ε × γ) plus MALA, nβ = {self.nbeta_slider.value:,} (about 10 s)…"):
                with warnings.catch_warnings():     # a failure is shown on the map
                    warnings.simplefilter("ignore", SLTSimWarning)
                    self._calibrations[key] = calibrate_llc(
                        self.model, self.w_star, key=jax.random.key(0), n=N_DATA,
                        nbeta=float(self.nbeta_slider.value),
                        num_chains=int(self.chains_slider.value), num_draws=CAL_DRAWS,
                        num_burnin=CAL_BURNIN, sampler=sampler)
        self.calibration = self._calibrations[key]
        self._on_run()

    def _on_run(self) -> None:
        with warnings.catch_warnings():     # shown in the status line instead
            warnings.simplefilter("ignore", SLTSimWarning)
            self.result = estimate_llc(self.model, self.w_star, **self.run_settings())
        self.target = self._exact_target()
        self._draw()

    def _exact_target(self) -> float | None:
        """The estimator's own target at this nβ and γ (exact quadrature; None for d > 3)."""
        if self.model.dim > 3:
            return None
        key = (self.landscape_picker.value, self.nbeta_slider.value,
               round(float(self.localization_slider.value), 12))
        if key not in self._targets:
            self._targets[key] = exact_localized_llc(
                self.model, self.w_star, float(self.nbeta_slider.value),
                float(self.localization_slider.value))
        return self._targets[key]

    # ------------------------------------------------------------------ drawing
    def _static_key(self):
        return id(self.calibration)

    def _plot_static(self, subfig):
        ax = subfig.subplots()
        plot_calibration(self.calibration, ax=ax)
        ax.set_xlim(10 ** self.step_slider.min, 10 ** self.step_slider.max)
        top = max(ax.get_ylim()[1], 1.5 * float(self.model.lam or 0.0))
        ax.set_ylim(min(0.0, ax.get_ylim()[0]), top)
        ax.set_title(f"calibration map, nβ = {self.calibration.nbeta:,.0f} "
                     f"(✗ fails a check)", fontsize=9)
        return ax

    def _marker(self) -> tuple[float, float, str]:
        return (float(self.step_slider.value), float(self.result.llc_mean),
                f"ε = {self.step_slider.value:.1e}, γ = {self.localization_slider.value:.3g}")

    def _plot_moving(self, subfig) -> None:
        refs = {}
        if self.target is not None:
            refs[f"exact target at this nβ, γ = {self.target:.3f}"] = self.target
        if self.model.lam is not None:
            refs[f"theory λ = {self.model.lam} (nβ → ∞)"] = float(self.model.lam)
        plot_llc_trace(self.result, ax=subfig.subplots(), reference=refs)
        subfig.suptitle(f"{self.sampler_picker.value} chains on {self.model.name}", fontsize=10)

    def _status_html(self) -> str:
        r = self.result
        st = r.settings
        target = "" if self.target is None else \
            f" against its exact target {self.target:.4f} ({r.llc_mean / self.target - 1:+.1%})"
        theory = "" if self.model.lam is None else f"; theory λ = {self.model.lam} as nβ → ∞"
        head = (f"<b>λ̂</b> = {r.llc_mean:.4f} ± {r.llc_std:.4f}{target}{theory} &nbsp;|&nbsp; "
                f"{st['num_chains']} chains × {st['num_draws']} draws, "
                f"ε = {st['step_size']:.2g}, γ = {st['localization']:.3g}, nβ = {r.nbeta:,.0f}")
        if self.calibration.passed:
            rec = self.calibration.recommended
            head += (f" &nbsp;|&nbsp; <b>calibration recommends</b> ε = "
                     f"{rec['step_size']:.2g}, γ = {rec['localization']:.3g}")
        else:
            head += (" &nbsp;|&nbsp; <b style='color:#b00'>calibration failed:</b> no (ε, γ) "
                     "of the map passed its checks — no setting is recommended")
        if r.warnings:
            items = "".join(f"<li>{w}</li>" for w in r.warnings)
            return head + f"<br><span style='color:#b05000'><b>warnings:</b><ul>{items}</ul></span>"
        return head + "<br><span style='color:#070'>diagnostics: no warnings</span>"


def _check_llc_model(model: Model) -> None:
    v.model(model)
    if not model.is_potential:
        raise ValueError(f"LLCExplorer works on potentials (w* = the origin); {model.name} is a "
                         f"data model: use estimate_llc / calibrate_llc directly")


__all__ = ["CHAIN_CHOICES", "LANDSCAPES", "NBETA_CHOICES", "SAMPLER_CHOICES", "LLCExplorer"]
