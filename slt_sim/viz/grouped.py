"""Figures of capabilities along training under different objectives: per-task loss curves,
per-task learning steps and widths, and the aggregate loss curve."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from .sgd import _colour


def _as_dict(results) -> dict:
    if isinstance(results, Mapping):
        return dict(results)
    obj = results.settings.get("objective", "mean")
    return {obj.get("name", "run") if isinstance(obj, dict) else str(obj): results}


def plot_task_curves(results, *, fig: Figure | None = None) -> Figure:
    """Per-task loss against step, one panel per objective (thin: seeds; thick: seed mean).

    Args:
      results: ``{label: CapabilityResult}`` (or one result). The learning threshold θ and
        start level θ_start are drawn as dashed lines, chance (log 2) as a dotted one.
    """
    res = _as_dict(results)
    cols = min(3, len(res))
    rows = -(-len(res) // cols)
    fig = fig or Figure(figsize=(3.6 * cols + 0.4, 2.9 * rows + 0.3), layout="constrained")
    grid = fig.subplots(rows, cols, sharey=True, squeeze=False)
    axes = grid.ravel()
    for ax in axes[len(res):]:
        ax.set_visible(False)
    for ax, (label, r) in zip(axes, res.items()):
        for g in range(r.num_groups):
            for s in range(r.group_loss.shape[0]):
                ax.plot(r.steps, r.group_loss[s, :, g], color=_colour(g), lw=0.5, alpha=0.35)
            ax.plot(r.steps, r.group_loss[:, :, g].mean(0), color=_colour(g), lw=1.8,
                    label=f"task {g + 1} (p={r.group_weights[g]:.2f})")
        ax.axhline(r.times.threshold, color="k", ls="--", lw=0.8)
        ax.axhline(r.times.start_level, color="k", ls="--", lw=0.8)
        ax.axhline(np.log(2), color="0.5", ls=":", lw=0.8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step")
    for row in grid:
        row[0].set_ylabel("task loss (eval set)")
    axes[0].set_ylim(0, 0.85)
    axes[0].legend(fontsize=7, loc="upper right")
    return fig


def plot_learning_times(results, *, fig: Figure | None = None) -> Figure:
    """Left: learning step of every task and seed per objective (× at the top: not learned).
    Middle: transition widths. Right: aggregate loss Σ_g π_g ℓ_g (seed mean, band: min–max).

    Args:
      results: ``{label: CapabilityResult}`` trained on the same task and budget.
    """
    res = _as_dict(results)
    fig = fig or Figure(figsize=(13.0, 3.8), layout="constrained")
    ax_t, ax_w, ax_a = fig.subplots(1, 3)
    labels = list(res)
    num_steps = max(int(r.steps[-1]) for r in res.values())
    G = max(r.num_groups for r in res.values())
    offsets = np.linspace(-0.3, 0.3, G)
    for i, (label, r) in enumerate(res.items()):
        for g in range(r.num_groups):
            ls = r.times.learning_step[:, g]
            ws = r.times.width[:, g]
            x = np.full(ls.shape, i + offsets[g])
            ax_t.scatter(x[np.isfinite(ls)], ls[np.isfinite(ls)], s=12, color=_colour(g),
                         label=f"task {g + 1}" if i == 0 else None)
            miss = ~np.isfinite(ls)
            ax_t.scatter(x[miss], np.full(miss.sum(), 1.04 * num_steps), marker="x", s=16,
                         color=_colour(g))
            ax_w.scatter(x[np.isfinite(ws)], ws[np.isfinite(ws)], s=12, color=_colour(g))
        mean = r.loss.mean(0)
        c = f"C{i}"
        ax_a.plot(r.steps, mean, color=c, lw=1.6, label=label)
        ax_a.fill_between(r.steps, r.loss.min(0), r.loss.max(0), color=c, alpha=0.15)
    first = next(iter(res.values()))
    for ax in (ax_t, ax_w):
        ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
    ax_t.axhline(num_steps, color="k", lw=0.6)
    ax_t.set_ylabel(f"learning step (task loss ≤ {first.times.threshold:g})")
    ax_t.set_title("when each task is learned (× = not in budget)", fontsize=10)
    ax_t.legend(fontsize=7, loc="lower right")
    ax_w.set_ylabel(f"width: steps from loss {first.times.start_level:g} "
                    f"to {first.times.threshold:g}")
    ax_w.set_title("how long each task's fall takes", fontsize=10)
    ax_a.axhline(first.times.threshold, color="k", ls="--", lw=0.8)
    ax_a.axhline(first.times.start_level, color="k", ls="--", lw=0.8)
    ax_a.set_xlabel("step")
    ax_a.set_ylabel("aggregate loss Σ π_g ℓ_g")
    ax_a.set_title("aggregate loss curve", fontsize=10)
    ax_a.legend(fontsize=7)
    return fig
