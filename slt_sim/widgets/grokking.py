r"""GrokkingExplorer: memorising versus generalising on modular addition.

A network learns (a + b) mod p from a fraction f of the p² pairs with full-batch AdamW and
weight decay κ (:func:`~slt_sim.dynamics.grokking.train_grokking`). Left: train and test accuracy
along training — train accuracy first, test accuracy later (grokking) or never — and, when asked,
λ̂ along training (:func:`~slt_sim.dynamics.grokking.grokking_llc`), which rises while the network
memorises and falls when it generalises, beside λ̂ of a random-label memoriser trained the same
way. Right (when asked): final test accuracy against the training fraction over a few seeds, the
critical fraction below which the network only memorises (Varma et al. 2023).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import jax
import numpy as np
from matplotlib.figure import Figure

from .. import _validate as v
from ..dynamics import grokking as gk
from ..viz.grokking import plot_critical_size, plot_grokking
from ._frame import Explorer

P_CHOICES = (11, 17, 23, 31, 41, 53)


@dataclass(frozen=True)
class GrokkingSettings:
    """How much work each move does (defaults: a few seconds per move for p ≤ 23 on a CPU).

    Attributes:
      num_steps, lr, checkpoints, embed_dim, hidden, seed: the AdamW runs (true labels and the
        random-label control, one vectorised call).
      llc: λ̂ sampler settings (see :data:`~slt_sim.dynamics.grokking.CALIBRATED_LLC`);
        llc_checkpoints: λ̂ at this many of the last checkpoints.
      sweep_fracs, sweep_seeds: the training-fraction sweep.
    """

    num_steps: int = 1500
    lr: float = 1e-2
    checkpoints: int = 16
    embed_dim: int = 12
    hidden: int = 48
    seed: int = 0
    llc: tuple = (("step_size", 1e-3), ("localization", 10.0), ("num_chains", 2),
                  ("num_draws", 150), ("num_burnin", 50))
    llc_checkpoints: int = 6
    sweep_fracs: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    sweep_seeds: int = 2


class GrokkingExplorer(Explorer):
    r"""Train fraction, weight decay and p → accuracy curves, λ̂ through grokking, the sweep.

    Every move of the training fraction, weight decay or p retrains (one vectorised AdamW call;
    the training sets are padded to p², so a new fraction reuses the compiled program). The
    λ̂ checkbox adds λ̂ along training and for the random-label control; the sweep checkbox adds
    final test accuracy against the training fraction.

    Args:
      p: the modulus (one of :data:`P_CHOICES`).
      train_frac, weight_decay: initial values.
      settings: :class:`GrokkingSettings`.
      llc, sweep: start with λ̂ / the sweep shown.

    Attributes:
      run: the :class:`~slt_sim.dynamics.grokking.GrokkingRun` (run 0 true labels, run 1 random).
      llc: the :class:`~slt_sim.dynamics.LLCTrajectory` of run 0 (None when λ̂ is off).
      random_llc: (λ̂, s.e., loss) of the random-label run (None when off).
      sweep: the :class:`~slt_sim.dynamics.grokking.CriticalSize` (None when off).
    """

    def __init__(self, p: int = 23, *, train_frac: float = 0.6, weight_decay: float = 1.0,
                 settings: GrokkingSettings | None = None, llc: bool = False,
                 sweep: bool = False):
        self.settings = settings or GrokkingSettings()
        if not isinstance(self.settings, GrokkingSettings):
            raise TypeError(f"settings must be a GrokkingSettings, got "
                            f"{type(self.settings).__name__}")
        if p not in P_CHOICES:
            raise ValueError(f"p must be one of {P_CHOICES}, got {p!r}")
        train_frac = v.as_float("train_frac", train_frac, lo=0.05, hi=0.95)
        weight_decay = v.as_float("weight_decay", weight_decay, lo=0.0, hi=10.0)
        style = {"description_width": "initial"}
        self.p_picker = widgets.Dropdown(options=list(P_CHOICES), value=p, description="p")
        self.frac_slider = widgets.FloatSlider(
            value=train_frac, min=0.05, max=0.95, step=0.05, description="train fraction",
            continuous_update=False, style=style)
        self.wd_slider = widgets.FloatLogSlider(
            value=max(weight_decay, 1e-3), base=10, min=-3, max=1, step=0.25,
            description="weight decay", continuous_update=False, style=style)
        self.llc_toggle = widgets.Checkbox(value=bool(llc), description="λ̂ along training")
        self.sweep_toggle = widgets.Checkbox(value=bool(sweep),
                                             description="sweep the training fraction")
        super().__init__([[self.p_picker, self.frac_slider, self.wd_slider],
                          [self.llc_toggle, self.sweep_toggle]])
        self.add_class("slt-grokking-explorer")
        for w, name in ((self.p_picker, "p"), (self.frac_slider, "frac"),
                        (self.wd_slider, "wd"), (self.llc_toggle, "llc"),
                        (self.sweep_toggle, "sweep")):
            w.add_class(f"slt-control-{name}")
        self.run = self.llc = self.random_llc = self.sweep = None
        self._sweep_key = None
        self.refresh()
        for w in (self.p_picker, self.frac_slider, self.wd_slider, self.llc_toggle,
                  self.sweep_toggle):
            self._observe(w, self._refresh)

    # ------------------------------------------------------------------ state
    @property
    def p(self) -> int:
        return int(self.p_picker.value)

    @property
    def train_frac(self) -> float:
        return round(float(self.frac_slider.value), 4)

    @property
    def weight_decay(self) -> float:
        return float(self.wd_slider.value)

    def train_settings(self) -> dict:
        """The keyword arguments of the explorer's :func:`train_grokking` call."""
        s = self.settings
        return {"random_labels": [False, True], "grid": False, "num_steps": s.num_steps,
                "lr": s.lr, "weight_decay": self.weight_decay, "embed_dim": s.embed_dim,
                "hidden": s.hidden, "checkpoints": s.checkpoints, "pad_to": self.p ** 2}

    # ------------------------------------------------------------------ computation
    def _refresh(self) -> None:
        s = self.settings
        with self.busy(f"training p = {self.p}, f = {self.train_frac:g} (true and random "
                       "labels)…") as step:
            self.run = gk.train_grokking(self.p, self.train_frac, s.seed,
                                         **self.train_settings())
            self.llc = self.random_llc = None
            if self.llc_toggle.value:
                step(0.4)
                self.progress_label.value = "λ̂ along training…"
                K = len(self.run.steps)
                ks = list(range(max(0, K - s.llc_checkpoints), K))
                key = jax.random.key(s.seed)
                self.llc = gk.grokking_llc(self.run, 0, key=key, checkpoints=ks,
                                           settings=dict(s.llc))
                self.random_llc = gk.point_llc(self.run, 1, key=jax.random.fold_in(key, 1),
                                               settings=dict(s.llc))
            if self.sweep_toggle.value:
                key = (self.p, self.weight_decay)
                if key != self._sweep_key:
                    step(0.7)
                    self.progress_label.value = "sweeping the training fraction…"
                    self.sweep = gk.critical_dataset_size(
                        self.p, s.sweep_fracs, s.sweep_seeds, key=jax.random.key(s.seed),
                        num_steps=s.num_steps, lr=s.lr, weight_decay=self.weight_decay,
                        embed_dim=s.embed_dim, hidden=s.hidden, checkpoints=s.checkpoints,
                        free_energy=False, pad_to=self.p ** 2)
                    self._sweep_key = key
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        show_sweep = self.sweep_toggle.value and self.sweep is not None
        fig = Figure(figsize=(11.0 if show_sweep else 6.6, 5.4), layout="constrained")
        if show_sweep:
            left, right = fig.subfigures(1, 2, width_ratios=(1.2, 1.0))
            plot_critical_size(self.sweep, fig=right)
            ax = right.axes[0]
            ax.axvline(self.train_frac, color="tab:red", lw=1.2, ls=":")
        else:
            left = fig
        plot_grokking(self.run, 0, llc=self.llc,
                      random_llc=None if self.random_llc is None else self.random_llc[0],
                      fig=left)
        if self.llc is None:
            ax = left.axes[0]
            ax.plot(np.maximum(self.run.steps, 1), self.run.test_acc[1], color="tab:red",
                    lw=1, ls="--", label="test accuracy, random-label control")
            ax.legend(fontsize=7, loc="center left")
        self.show_figure(fig)
        self.show_status(self.status_html())

    def status_html(self) -> str:
        r = self.run
        mem, grok = r.memorise_step()[0], r.grok_step()[0]
        parts = [f"<b>p = {self.p}, f = {self.train_frac:g}</b> (n = {r.n_train[0]}), weight "
                 f"decay {self.weight_decay:.3g}: train acc ≥ 0.9 at step "
                 f"{'never' if np.isnan(mem) else f'{mem:,.0f}'}, test acc ≥ 0.9 at step "
                 f"{'never' if np.isnan(grok) else f'{grok:,.0f}'}; final test acc "
                 f"{r.test_acc[0, -1]:.3f}"]
        if self.llc is not None:
            k = int(np.argmax(self.llc.llc_mean))
            parts.append(f"λ̂ peak {self.llc.llc_mean[k]:.1f} (step {self.llc.steps[k]:,}), "
                         f"final {self.llc.llc_mean[-1]:.1f}; random-label memoriser "
                         f"{self.random_llc[0]:.1f}")
        if self.sweep_toggle.value and self.sweep is not None:
            c = self.sweep.critical_frac
            parts.append("critical fraction ≈ " + ("not reached" if np.isnan(c) else f"{c:.2f}"))
        return " &nbsp;|&nbsp; ".join(parts)


__all__ = ["GrokkingExplorer", "GrokkingSettings"]
