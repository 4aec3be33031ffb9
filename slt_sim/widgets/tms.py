r"""TMSExplorer: the toy model of superposition — columns of W, posterior phases, an SGD run.

The model (Elhage et al. 2022; Chen et al. 2023) is f(x) = ReLU(WᵀW x + b) with c features in
r = 2 hidden dimensions; column W_i embeds feature i in the plane. Its critical points are
k-gons: k columns at the vertices of a regular polygon, the rest dead. A k-gon with more vertices
has lower loss but a larger learning coefficient λ = (3k − 1)/2, so the posterior moves from the
5-gon to the 6-gon (c = 6) as n grows, where n ΔL ≈ Δλ log n.

Left: the columns of W at the current checkpoint of one SGD run, with the posterior's phase
weights at the chosen n (replica exchange over an n ladder,
:func:`~slt_sim.posterior.parallel_tempering.replica_exchange`).
Right: the run's population loss against
step with the k-gon loss levels, and λ̂ along the run (:func:`~slt_sim.dynamics.llc_trajectory`).
A play button steps through the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import jax
import numpy as np

from .. import _validate as v
from .. import theory
from ..dynamics.sgd import SGDResult, train_sgd
from ..dynamics.training_llc import LLCTrajectory, llc_trajectory
from ..models import superposition as tms
from ..posterior.parallel_tempering import RegionOccupancy, replica_exchange
from ..viz.sgd import plot_training_curves
from ._frame import TwoPanelExplorer, fmt_n


@dataclass(frozen=True)
class TMSSettings:
    """How much work the explorer does up front (the defaults' cost: docs/widgets.md).

    Attributes:
      ladder: the n ladder of the posterior (replica exchange), increasing from ~1.
      replicas, rex_steps: independent ladders and MALA steps per chain.
      sgd_steps, lr, batch_size, n, init_scale: the SGD run (one seed, key ``seed``; data of size
        n shared by the LLC estimates; init N(0, init_scale²)).
      checkpoints: log-spaced checkpoints of the run.
      llc_draws, llc_chains, llc_step: the SGLD λ̂ at each checkpoint (nβ = n / log n).
      seed: random seed of everything.
    """

    ladder: tuple[float, ...] = tuple(np.round(np.geomspace(1.0, 3000.0, 12), 1))
    replicas: int = 2
    rex_steps: int = 1500
    sgd_steps: int = 20_000
    lr: float = 0.05
    batch_size: int = 64
    n: int = 1000
    init_scale: float = 0.05
    checkpoints: int = 40
    llc_draws: int = 200
    llc_chains: int = 2
    llc_step: float = 1e-4
    seed: int = 0


class TMSExplorer(TwoPanelExplorer):
    r"""Toy model of superposition: columns of W along an SGD run, posterior phases against n.

    Controls: a checkpoint slider with a play button (steps through the SGD run), and n (the
    rungs of the replica-exchange ladder) for the posterior's phase weights. All computation
    happens once when the explorer is built (progress bar); moves only redraw.

    Args:
      c: number of features (r = 2 hidden dimensions).
      settings: :class:`TMSSettings` (smaller ones for a quick look).
      n: the initial posterior n (the nearest rung of the ladder; default: the middle one).
      The checkpoint slider starts at the end of the run (press play to replay it).

    Attributes:
      model: ``models.toy_superposition(c)``.
      occupancy: the :class:`RegionOccupancy` of the posterior over ``settings.ladder``.
      run: the :class:`SGDResult` (one seed).
      llc: the :class:`LLCTrajectory` of that run.
    """

    figsize = (11.0, 4.4)
    width_ratios = (1.3, 1.0)

    def __init__(self, c: int = 6, *, settings: TMSSettings | None = None,
                 n: float | None = None):
        c = v.as_int("c", c, lo=3, hi=12)
        self.settings = settings or TMSSettings()
        if not isinstance(self.settings, TMSSettings):
            raise TypeError(f"settings must be a TMSSettings, got "
                            f"{type(self.settings).__name__}")
        self.c = c
        self.model = tms.toy_superposition(c)
        ladder = tuple(float(x) for x in self.settings.ladder)
        self.checkpoint_slider = widgets.IntSlider(
            value=0, min=0, max=max(1, self.settings.checkpoints), description="checkpoint",
            continuous_update=False)
        self.play = widgets.Play(value=0, min=0, max=max(1, self.settings.checkpoints),
                                 interval=400, description="play")
        widgets.link((self.play, "value"), (self.checkpoint_slider, "value"))
        start = (ladder[len(ladder) // 2] if n is None else
                 min(ladder, key=lambda x: abs(np.log(x / v.as_float("n", n, lo=0.0,
                                                                    lo_open=True)))))
        self.n_slider = widgets.SelectionSlider(
            options=[(fmt_n(x), x) for x in ladder], value=start,
            description="posterior n", continuous_update=False,
            style={"description_width": "initial"})
        super().__init__([[self.play, self.checkpoint_slider, self.n_slider]])
        self.add_class("slt-tms-explorer")
        for w, name in ((self.checkpoint_slider, "checkpoint"), (self.n_slider, "n"),
                        (self.play, "play")):
            w.add_class(f"slt-control-{name}")
        self.occupancy: RegionOccupancy
        self.run: SGDResult
        self.llc: LLCTrajectory
        self._run_update(self._compute)
        self._observe(self.checkpoint_slider, self._draw)
        self._observe(self.n_slider, self._draw)

    # ------------------------------------------------------------------ computation
    def _refresh(self) -> None:
        self._draw()

    def _compute(self) -> None:
        s, model = self.settings, self.model
        key = jax.random.key(s.seed)
        with self.busy("posterior phases over the n ladder (replica exchange)…") as step:
            self.occupancy = replica_exchange(
                model, np.asarray(s.ladder), key=jax.random.fold_in(key, 1),
                num_replicas=s.replicas, num_steps=s.rex_steps, num_burnin=s.rex_steps // 3)
            step(0.4)
            self.progress_label.value = f"one SGD run of {s.sgd_steps:,} steps…"
            self.run = train_sgd(
                model, "sgd", key=jax.random.fold_in(key, 2), num_steps=s.sgd_steps,
                num_seeds=1, lr=s.lr, n=s.n, batch_size=s.batch_size,
                init=np.zeros(model.dim), init_noise=s.init_scale, checkpoints=s.checkpoints,
                checkpoint_spacing="log")
            step(0.6)
            self.progress_label.value = "λ̂ at every checkpoint (SGLD)…"
            self.llc = llc_trajectory(
                model, self.run, key=jax.random.fold_in(key, 3), num_chains=s.llc_chains,
                num_draws=s.llc_draws, num_burnin=s.llc_draws // 2, step_size=s.llc_step)
        last = len(self.run.steps) - 1
        with self.holding():
            for w in (self.checkpoint_slider, self.play):
                w.max = last
            self.play.value = last
        self._draw()

    # ------------------------------------------------------------------ state
    @property
    def checkpoint(self) -> int:
        return int(self.checkpoint_slider.value)

    @property
    def n(self) -> float:
        return float(self.n_slider.value)

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) of the run at the current checkpoint: W is (2, c), b is (c,)."""
        w = np.asarray(self.run.params)[0, self.checkpoint]
        return w[:2 * self.c].reshape(2, self.c), w[2 * self.c:]

    def phase(self) -> str:
        """The phase (k-gon name) of the run at the current checkpoint."""
        idx = int(self.run.region[0, self.checkpoint])
        return self.run.region_names[idx] if idx >= 0 else "none"

    def posterior_weights(self) -> dict[str, float]:
        """Posterior weight of each phase at the chosen rung (phases above 1%, and 'none')."""
        j = int(np.argmin(np.abs(np.asarray(self.occupancy.ns) - self.n)))
        occ = {k: float(x[j]) for k, x in self.occupancy.occupancy.items()}
        return {k: x for k, x in occ.items() if x >= 0.01 or k == "none"}

    def kgon_levels(self) -> dict[str, float]:
        out = {}
        for k in range(self.c, max(self.c - 4, 0), -1):
            out[f"{k}-gon"] = tms.kgon_norm_bias(self.c, k)[2]
        return out

    # ------------------------------------------------------------------ drawing
    def _static_key(self):
        return id(self.run)

    def _plot_static(self, subfig):
        lam_levels = {f"{k}-gon λ": float(tms.kgon_lambda(self.c, k))
                      for k in (self.c, self.c - 1) if tms.kgon_lambda(self.c, k) is not None}
        plot_training_curves(self.run.steps, self.run.population_loss, levels=self.kgon_levels(),
                             llc=self.llc.llc_mean, llc_steps=self.llc.steps,
                             llc_levels=lam_levels, title="the SGD run", fig=subfig)
        return subfig.axes[0]

    def _marker(self) -> tuple[float, float, str]:
        step = max(float(self.run.steps[self.checkpoint]), 1.0)
        return step, float(self.run.population_loss[0, self.checkpoint]), f"step {step:,.0f}"

    def _plot_moving(self, subfig) -> None:
        ax, bx = subfig.subplots(1, 2, width_ratios=(1.0, 1.1))
        W, b = self.columns()
        norm, _, _ = tms.kgon_norm_bias(self.c, self.c)
        t = np.linspace(0, 2 * np.pi, 200)
        ax.plot(norm * np.cos(t), norm * np.sin(t), color="0.8", lw=0.8,
                label=f"{self.c}-gon norm")
        for i in range(self.c):
            colour = "tab:blue" if b[i] <= 0 else "tab:orange"
            ax.annotate("", xy=(W[0, i], W[1, i]), xytext=(0, 0),
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.5})
            ax.text(1.08 * W[0, i], 1.08 * W[1, i], str(i + 1), fontsize=7, ha="center",
                    va="center")
        lim = max(1.4, 1.25 * float(np.max(np.abs(W))))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.plot([], [], color="tab:blue", label="bias ≤ 0")
        ax.plot([], [], color="tab:orange", label="bias > 0")
        ax.legend(fontsize=6, loc="lower left")
        loss = self.run.population_loss[0, self.checkpoint]
        ax.set_title(f"columns of W, step {self.run.steps[self.checkpoint]:,}\n"
                     f"L = {loss:.4f}, phase {self.phase()}", fontsize=9)
        weights = self.posterior_weights()
        names = list(weights)
        bx.barh(names, [weights[k] for k in names], color="tab:purple")
        bx.set_xlim(0, 1)
        bx.invert_yaxis()
        bx.set_xlabel("posterior weight")
        bx.set_title(f"posterior phases, n = {fmt_n(self.n)}", fontsize=9)
        bx.tick_params(labelsize=7)

    def _status_html(self) -> str:
        top, second = str(self.c), str(self.c - 1)
        pred = None
        lam_top, lam_second = tms.kgon_lambda(self.c, self.c), tms.kgon_lambda(self.c, self.c - 1)
        if lam_top is not None and lam_second is not None:
            pred = theory.critical_n(
                theory.FreeEnergyLaw(tms.kgon_norm_bias(self.c, self.c)[2], lam_top),
                theory.FreeEnergyLaw(tms.kgon_norm_bias(self.c, self.c - 1)[2], lam_second))
        measured = self.occupancy.crossing(top, second)
        k = self.checkpoint
        j = int(np.argmin(np.abs(self.llc.steps - self.run.steps[k])))
        sgd = (f"<b>SGD</b> step {self.run.steps[k]:,}: L = "
               f"{self.run.population_loss[0, k]:.5f}, phase {self.phase()}, "
               f"λ̂ = {self.llc.llc_mean[j]:.2f} ± {self.llc.llc_std[j]:.2f}")
        parts = [sgd,
                 f"<b>posterior at n = {fmt_n(self.n)}</b>: " + ", ".join(
                     f"{name} {w:.2f}" for name, w in self.posterior_weights().items())]
        crossing = f"<b>{second} → {top}</b>: formula n ≈ " + \
            ("?" if pred is None else f"{pred:,.0f}")
        crossing += ", replica exchange n ≈ " + ("not crossed" if measured is None
                                                  else f"{measured:,.0f}")
        parts.append(crossing)
        return " &nbsp;|&nbsp; ".join(parts)


__all__ = ["TMSExplorer", "TMSSettings"]
