r"""PhaseExplorer: move n and watch the posterior jump between basins (a Bayesian phase change).

The explorer shows the exact tempered posterior p_n^β(w) ∝ φ(w) e^{−nβL(w)} of a two-basin
landscape at the current n (a curve in 1-D, a heatmap in 2-D) beside the posterior mass of each
basin against n, with the current n and the critical n marked. The masses follow the local free
energies F_n(W_α) ≈ nL_α + λ_α log n − (m_α − 1) log log n + c_α: the basin with the smallest one
holds the posterior, and the switch happens where two of them cross.

Engines: :func:`~slt_sim.posterior.exact.exact_posterior` (one n per slider move, on a grid
small enough to answer in tens of milliseconds) and :func:`~slt_sim.posterior.phase.phase_sweep`
(region masses over a sweep of n, once per landscape, prior and β; cached).
"""

from __future__ import annotations

import dataclasses

import ipywidgets as widgets
import jax
import numpy as np

from .. import _validate as v
from ..dynamics.sgd import SGDResult, train_sgd
from ..models import two_basins_1d, two_basins_2d
from ..models.base import Model
from ..models.priors import gaussian
from ..posterior.exact import ExactPosterior, exact_posterior
from ..posterior.grid import QuadratureGrid, default_grid, graded_grid
from ..posterior.phase import PhaseSweep, phase_sweep
from ..viz.phase import plot_posterior_snapshots, plot_region_masses
from ..viz.sgd import plot_trajectories
from ._frame import TwoPanelExplorer, fmt_n

#: the landscapes offered by the picker (name → constructor)
LANDSCAPES = {"two basins, 1-D": two_basins_1d, "two basins, 2-D": two_basins_2d}

#: choices of the SGD controls (a new seed count compiles once; steps and rate do not)
SGD_STEPS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
SGD_SEEDS = (8, 16, 32, 64, 128, 256)
#: at most this many SGD runs are drawn (all of them count in the status line)
SGD_DRAWN = 32

#: prior choices: the model's own prior, or an isotropic Gaussian N(c·1, s² I) cut to the box
PRIOR_CHOICES = ("model's own", "Gaussian")


def explorer_grid(model: Model) -> QuadratureGrid:
    """The quadrature grid the explorers use for ``model``.

    1-D: the engine's default graded grid (a few thousand nodes, ~ms per n). 2-D: a coarser
    graded grid (Gauss–Legendre order 6, growth ratio 2.5, smallest panel 1e−5, ~400² nodes),
    whose region log-masses agree with the default ~900² grid to 1e−4 on ``two_basins_2d`` for
    n = 10..1e6 while answering in tens of milliseconds (see ``benchmarks/widget_latency.py``).
    """
    if model.dim == 1:
        return default_grid(model)
    if model.dim == 2:
        return graded_grid(model.box, model.focus, order=6, ratio=2.5, min_width=1e-5,
                           coarse_panels=16)
    raise ValueError(f"the explorers draw 1-D and 2-D posteriors; {model.name} has "
                     f"{model.dim} parameters")


def with_gaussian_prior(model: Model, centre: float, scale: float) -> Model:
    """``model`` with prior N(centre·1, scale² I) (renormalised on the box by the exact engine)."""
    centre = v.as_float("prior_centre", centre)
    scale = v.as_float("prior_scale", scale, lo=0.0, lo_open=True)
    return dataclasses.replace(
        model, prior=gaussian(model.dim, scale, loc=centre),
        name=f"{model.name} | prior N({centre:g}, {scale:g}²)")


class PhaseExplorer(TwoPanelExplorer):
    r"""Interactive Bayesian phase change: posterior at n, and region masses against n.

    Controls: landscape picker, prior (the model's own or a Gaussian with centre and scale), n on
    a log slider, β on a log slider, log-density toggle, and SGD runs (learning rate, steps,
    number of seeds): full-batch gradient descent on L from prior draws
    (:func:`~slt_sim.dynamics.sgd.train_sgd`, key 0), drawn over the posterior with the fraction
    of runs ending in each basin beside the posterior masses. Every control fires its update
    synchronously, so setting ``explorer.n_slider.value = 5000`` in code redraws at once.

    Args:
      model: a potential :class:`~slt_sim.models.Model` with 1 or 2 parameters and at least two
        regions; it is added to the picker and selected (default: ``two_basins_1d()``).
      n: the initial data count n.
      beta: the initial inverse temperature β.
      sweep_ns: the n values of the region-mass sweep (default: 36 values log-spaced over
        1..1e7).

    Attributes:
      model: the model shown (with the chosen prior).
      grid: its quadrature grid (:func:`explorer_grid`).
      posterior: the :class:`ExactPosterior` at the current n and β.
      sweep: the :class:`PhaseSweep` over ``sweep_ns`` at the current β.
      sgd: the :class:`~slt_sim.dynamics.sgd.SGDResult` shown, or None when SGD is off.
    """

    def __init__(self, model: Model | None = None, *, n: float = 1000.0, beta: float = 1.0,
                 sweep_ns=None):
        self._constructors = dict(LANDSCAPES)
        if model is not None:
            _check_phase_model(model)
            label = f"custom: {model.name}"
            self._constructors[label] = lambda m=model: m
        else:
            label = next(iter(LANDSCAPES))
        n = v.as_float("n", n, lo=1.0, hi=1e7)
        beta = v.as_float("beta", beta, lo=0.1, hi=10.0)
        self.sweep_ns = (np.logspace(0, 7, 36) if sweep_ns is None
                         else np.sort(v.data_counts("sweep_ns", sweep_ns)))
        self._models: dict = {}
        self._sweeps: dict = {}
        self._grids: dict = {}

        style = {"description_width": "initial"}
        self.landscape_picker = widgets.Dropdown(options=list(self._constructors), value=label,
                                                 description="landscape", style=style)
        self.prior_picker = widgets.Dropdown(options=list(PRIOR_CHOICES),
                                             value=PRIOR_CHOICES[0], description="prior")
        self.prior_centre_slider = widgets.FloatSlider(
            value=0.0, min=-2.0, max=2.0, step=0.05, description="prior centre",
            continuous_update=False, style=style)
        self.prior_scale_slider = widgets.FloatLogSlider(
            value=1.0, base=10, min=-1, max=1, step=0.02, description="prior scale",
            continuous_update=False, style=style)
        self.n_slider = widgets.FloatLogSlider(
            value=n, base=10, min=0, max=7, step=0.01, description="n",
            continuous_update=False, readout_format=",.0f")
        self.beta_slider = widgets.FloatLogSlider(
            value=beta, base=10, min=-1, max=1, step=0.01, description="β",
            continuous_update=False, readout_format=".3g")
        self.log_scale_box = widgets.Checkbox(value=False, description="log density")
        self.sgd_box = widgets.Checkbox(value=False, description="SGD runs")
        self.lr_slider = widgets.FloatLogSlider(
            value=0.05, base=10, min=-3, max=0, step=0.05, description="learning rate",
            continuous_update=False, readout_format=".3g", style=style)
        self.steps_slider = widgets.SelectionSlider(
            options=SGD_STEPS, value=500, description="steps", continuous_update=False)
        self.seeds_slider = widgets.SelectionSlider(
            options=SGD_SEEDS, value=64, description="seeds", continuous_update=False)
        super().__init__([[self.landscape_picker, self.prior_picker],
                          [self.prior_centre_slider, self.prior_scale_slider],
                          [self.n_slider, self.beta_slider, self.log_scale_box],
                          [self.sgd_box, self.lr_slider, self.steps_slider, self.seeds_slider]])
        self.add_class("slt-phase-explorer")
        for w, name in ((self.n_slider, "n"), (self.beta_slider, "beta"),
                        (self.landscape_picker, "landscape"), (self.prior_picker, "prior"),
                        (self.prior_centre_slider, "prior-centre"),
                        (self.prior_scale_slider, "prior-scale"), (self.sgd_box, "sgd"),
                        (self.lr_slider, "lr"), (self.steps_slider, "steps"),
                        (self.seeds_slider, "seeds")):
            w.add_class(f"slt-control-{name}")

        self._observe(self.landscape_picker, self._on_landscape)
        for w in (self.prior_picker, self.prior_centre_slider, self.prior_scale_slider):
            self._observe(w, self._on_model)
        self._observe(self.beta_slider, self._on_model)
        self._observe(self.n_slider, self._on_n)
        self._observe(self.log_scale_box, self._draw)
        for w in (self.sgd_box, self.lr_slider, self.steps_slider, self.seeds_slider):
            self._observe(w, self._on_sgd)
        self.sgd: SGDResult | None = None
        self._sgd_runs: dict = {}
        self.model: Model
        self.grid: QuadratureGrid
        self.posterior: ExactPosterior
        self.sweep: PhaseSweep
        self._run_update(self._on_landscape)

    # ------------------------------------------------------------------ state
    @property
    def n(self) -> float:
        return float(self.n_slider.value)

    @property
    def beta(self) -> float:
        return float(self.beta_slider.value)

    def _base_model(self) -> Model:
        key = (self.landscape_picker.value, None, None)
        if key not in self._models:
            model = self._constructors[self.landscape_picker.value]()
            _check_phase_model(model)
            self._models[key] = model
        return self._models[key]

    def _current_model(self) -> Model:
        base = self._base_model()
        if self.prior_picker.value == PRIOR_CHOICES[0]:
            return base
        key = (self.landscape_picker.value, round(self.prior_centre_slider.value, 6),
               round(self.prior_scale_slider.value, 6))
        if key not in self._models:
            self._models[key] = with_gaussian_prior(base, *key[1:])
        return self._models[key]

    # ------------------------------------------------------------------ callbacks
    def _on_landscape(self) -> None:
        base = self._base_model()
        lo, hi = base.box[0]
        with self.holding():
            self.prior_centre_slider.min = min(lo, self.prior_centre_slider.min)
            self.prior_centre_slider.max = max(hi, self.prior_centre_slider.max)
            self.prior_centre_slider.min, self.prior_centre_slider.max = lo, hi
            self.prior_centre_slider.value = float(np.clip(0.0, lo, hi))
            self.prior_centre_slider.step = (hi - lo) / 200
        self._on_model()

    def _on_model(self) -> None:
        gaussian_prior = self.prior_picker.value == PRIOR_CHOICES[1]
        self.prior_centre_slider.disabled = not gaussian_prior
        self.prior_scale_slider.disabled = not gaussian_prior
        self.model = self._current_model()
        base_key = self.landscape_picker.value
        if base_key not in self._grids:
            self._grids[base_key] = explorer_grid(self.model)
        self.grid = self._grids[base_key]
        key = (id(self.model), round(self.beta, 9))
        if key not in self._sweeps:
            with self.busy(f"region masses over {len(self.sweep_ns)} values of n "
                           f"(first time for this landscape, prior and β: a few seconds)…"):
                self._sweeps[key] = (self.model, phase_sweep(self.model, self.sweep_ns,
                                                             beta=self.beta, grid=self.grid))
        self.sweep = self._sweeps[key][1]
        self._run_sgd()
        self._on_n()

    def _refresh(self) -> None:
        self._on_model()

    def _on_sgd(self) -> None:
        self._run_sgd()
        self._draw()

    def _run_sgd(self) -> None:
        """SGD from ``seeds`` prior draws (key 0) on the model's loss; cached per setting."""
        for w in (self.lr_slider, self.steps_slider, self.seeds_slider):
            w.disabled = not self.sgd_box.value
        if not self.sgd_box.value:
            self.sgd = None
            return
        key = (id(self.model), float(self.lr_slider.value), int(self.steps_slider.value),
               int(self.seeds_slider.value))
        if key not in self._sgd_runs:
            with self.busy(f"{key[3]} SGD runs of {key[2]} steps…"):
                self._sgd_runs[key] = (self.model, train_sgd(
                    self.model, "sgd", key=jax.random.key(0), num_steps=key[2],
                    num_seeds=key[3], lr=key[1]))
        self.sgd = self._sgd_runs[key][1]

    def _on_n(self) -> None:
        self.posterior = exact_posterior(self.model, [self.n], beta=self.beta, grid=self.grid,
                                         keep_density=True)
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _static_key(self):
        return (id(self.sweep), self.log_scale_box.value)

    def _plot_static(self, subfig):
        ax = subfig.subplots()
        plot_region_masses(self.sweep, ax=ax)
        return ax

    def _marker(self) -> tuple[float, None, str]:
        return self.n, None, f"n = {fmt_n(self.n)}"

    def _plot_moving(self, subfig) -> None:
        if self.sgd is not None:
            plot_trajectories(self.sgd, posterior=self.posterior, model=self.model,
                              max_runs=SGD_DRAWN, fig=subfig)
            return
        loss = None
        if self.model.dim == 1:
            potential = self.model.potential

            def loss(xs):
                return np.asarray(potential(np.asarray(xs)[:, None]))
        plot_posterior_snapshots(self.posterior, [0], log_scale=self.log_scale_box.value,
                                 loss=loss, fig=subfig)

    def _status_html(self) -> str:
        post, sweep = self.posterior, self.sweep
        masses = ", ".join(f"{r}: {m[0]:.3f}" for r, m in post.region_masses.items())
        parts = [f"<b>n</b> = {fmt_n(self.n)}, <b>β</b> = {self.beta:.3g}",
                 f"<b>posterior mass</b> {masses}",
                 f"<b>F<sub>n</sub></b> = {post.free_energy[0]:.4g}"]
        if sweep.critical_n_exact:
            text = f"<b>critical n</b>: exact {fmt_n(sweep.critical_n_exact)}"
            if sweep.critical_n_predicted:
                text += f", free-energy formula {fmt_n(sweep.critical_n_predicted)}"
            parts.append(text)
        else:
            parts.append("no phase change within the sweep")
        if self.sgd is not None:
            ends = self.sgd.final_region_fractions()
            text = ", ".join(f"{r}: {ends[r]:.2f}" for r in self.sgd.region_names)
            extra = "".join(f", {k}: {ends[k]:.2f}" for k in ("none", "diverged") if ends[k])
            parts.append(f"<b>SGD ends</b> ({self.sgd.num_seeds} runs) {text}{extra}")
        return " &nbsp;|&nbsp; ".join(parts)


def _check_phase_model(model: Model) -> None:
    v.model(model)
    if not model.is_potential or model.dim > 2 or len(model.regions) < 2:
        raise ValueError(
            f"PhaseExplorer needs a potential model with 1 or 2 parameters and at least two "
            f"regions (e.g. models.two_basins_1d()); got {model.name} (dim={model.dim}, "
            f"{'potential' if model.is_potential else 'data model'}, "
            f"{len(model.regions)} region(s))")


__all__ = ["LANDSCAPES", "PRIOR_CHOICES", "PhaseExplorer", "explorer_grid",
           "with_gaussian_prior"]
