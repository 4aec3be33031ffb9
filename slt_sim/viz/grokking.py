"""Figures of grokking: train/test accuracy with λ̂ along training, and test accuracy against the
training fraction with the free-energy prediction marked."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure


def plot_grokking(run, index: int = 0, *, llc=None, llc_other: Mapping | None = None,
                  random_llc: float | None = None, title: str = "",
                  fig: Figure | None = None) -> Figure:
    """Accuracy (top) and λ̂ (bottom) of one run against step (log axis).

    Args:
      run: a :class:`~slt_sim.dynamics.grokking.GrokkingRun`.
      index: which run.
      llc: an :class:`~slt_sim.dynamics.LLCTrajectory` of that run (optional).
      llc_other: {label: LLCTrajectory} more λ̂ curves (e.g. other sampler settings), drawn on
        their own right-hand axis each so that their shapes can be compared.
      random_llc: λ̂ of the random-label memoriser (same settings as ``llc``), a dashed line.
    """
    panels = 2 if llc is not None else 1
    fig = fig or Figure(figsize=(6.6, 2.9 * panels), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    x = np.maximum(run.steps, 1)
    ax = axes[0]
    ax.plot(x, run.train_acc[index], color="tab:blue", lw=1.6, label="train accuracy")
    ax.plot(x, run.test_acc[index], color="tab:orange", lw=1.6, label="test accuracy")
    for step, colour, name, y, ha in (
            (run.memorise_step()[index], "tab:blue", "memorised", 0.6, "right"),
            (run.grok_step()[index], "tab:orange", "generalised", 0.3, "left")):
        if np.isfinite(step):
            ax.axvline(max(step, 1), color=colour, ls=":", lw=1)
            ax.text(max(step, 1), y, f" {name} \n step {step:,.0f} ", color=colour, fontsize=7,
                    ha=ha)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("accuracy")
    lab = "random labels" if run.random_labels[index] else "true labels"
    ax.set_title(title or f"p = {run.settings['p']}, train fraction "
                 f"{run.train_frac[index]:g}, seed {run.seed[index]} ({lab})", fontsize=10)
    ax.legend(fontsize=7, loc="center left")
    if llc is not None:
        bx = axes[1]
        lx = np.maximum(llc.steps, 1)
        bx.errorbar(lx, llc.llc_mean, yerr=2 * llc.llc_std, color="tab:green", marker="o",
                    ms=3, lw=1.4, capsize=2, label=_label("λ̂", llc))
        if random_llc is not None:
            bx.axhline(random_llc, color="tab:red", ls="--", lw=1.2,
                       label=f"random-label memoriser: λ̂ = {random_llc:.3g}")
        bx.set_ylabel("λ̂ (LLC)")
        bx.legend(fontsize=7, loc="upper left")
        for k, (name, traj) in enumerate((llc_other or {}).items()):
            cx = bx.twinx()
            if k:
                cx.spines.right.set_position(("axes", 1.0 + 0.12 * k))
            cx.plot(np.maximum(traj.steps, 1), traj.llc_mean, color="tab:purple", ls="--",
                    marker="s", ms=3, lw=1, label=_label(name, traj))
            cx.set_ylabel(f"{name} (right axis)", color="tab:purple")
            cx.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("step")
    return fig


def _label(name: str, traj) -> str:
    s = traj.settings
    return f"{name} (ε={s['step_size']:g}, γ={s['localization']:g}, nβ={traj.nbeta:.3g})"


def plot_critical_size(crit, *, fig: Figure | None = None) -> Figure:
    """Final test accuracy against the training fraction (every seed and the mean), the
    measured critical fraction and the free-energy prediction; below, F_gen − F_mem.

    Args:
      crit: a :class:`~slt_sim.dynamics.grokking.CriticalSize`.
    """
    has_f = np.any(np.isfinite(crit.free_energy_gen))
    fig = fig or Figure(figsize=(6.4, 5.6 if has_f else 3.4), layout="constrained")
    axes = fig.subplots(2 if has_f else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    f = crit.train_frac
    for s in range(crit.test_acc_per_seed.shape[1]):
        ax.plot(f, crit.test_acc_per_seed[:, s], "o", color="tab:orange", alpha=0.5, ms=4,
                label="test accuracy, each seed" if s == 0 else None)
    ax.plot(f, crit.test_acc_mean, "-", color="tab:orange", lw=2, label="mean over seeds")
    ax.plot(f, crit.train_acc_per_seed.mean(axis=1), "-", color="tab:blue", lw=1.2,
            label="train accuracy (mean)")
    if np.isfinite(crit.critical_frac):
        ax.axvline(crit.critical_frac, color="k", lw=1.2,
                   label=f"measured critical fraction ≈ {crit.critical_frac:.3g}")
    if np.isfinite(crit.predicted_critical_frac):
        ax.axvline(crit.predicted_critical_frac, color="tab:purple", ls="--", lw=1.5,
                   label=f"free-energy prediction ≈ {crit.predicted_critical_frac:.3g}")
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("final accuracy")
    ax.set_title(f"p = {crit.p}: where generalisation appears", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    if has_f:
        bx = axes[1]
        diff = crit.free_energy_gen - crit.free_energy_mem
        bx.plot(f, diff, "o-", color="tab:purple", label="F_gen − F_mem  (F = nL + λ̂ log n)")
        bx.axhline(0, color="k", lw=0.8)
        bx.fill_between(f, diff, 0, where=diff < 0, color="tab:purple", alpha=0.15,
                        label="posterior prefers generalising")
        if np.isfinite(crit.predicted_critical_frac):
            bx.axvline(crit.predicted_critical_frac, color="tab:purple", ls="--", lw=1.5)
        if np.isfinite(crit.critical_frac):
            bx.axvline(crit.critical_frac, color="k", lw=1.2)
        bx.set_ylabel("free-energy difference (nats)")
        bx.legend(fontsize=7)
    axes[-1].set_xlabel("training fraction")
    return fig
