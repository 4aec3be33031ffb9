"""Figures of a POLCA analysis: the total loss against its clusters' projected losses."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
            "tab:pink", "tab:olive", "tab:cyan")


def plot_polca(result, *, method: str = "polca", max_clusters: int = 6,
               fig: Figure | None = None) -> Figure:
    """Total loss (top) and the mean projected loss of the clusters with a breakthrough (bottom).

    Clusters with a hidden breakthrough come first, then the others with the latest
    breakthrough steps, then (dashed, when there is room) the largest clusters without a point
    of maximal acceleration; at most ``max_clusters``. Each cluster's mean trajectory is divided by
    the size of its total change, so every curve falls from 0 to −1 and the timing of the drops
    can be compared across basis vectors; a dot marks the cluster's breakthrough step. The
    dotted vertical line is t_flat, where the total loss has done all but ``flat_fraction`` of its
    fall.

    Args:
      result: a :class:`~slt_sim.dynamics.polca.POLCAResult`.
      method: ``"polca"``, ``"first_order"`` or ``"raw_loss"``.
      max_clusters: most clusters drawn.
    """
    every = result.clusters_of(method)
    clusters = [c for c in every if np.isfinite(c.breakthrough_step)]
    clusters.sort(key=lambda c: (not c.hidden, -c.breakthrough_step))
    others = sorted((c for c in every if not np.isfinite(c.breakthrough_step)),
                    key=lambda c: -c.size)
    clusters = (clusters + others)[:max_clusters]
    steps = np.asarray(result.steps, dtype=float)
    fig = fig or Figure(figsize=(9.6, 5.4), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.5))
    top.plot(steps, result.total_loss, color="k", lw=2, label="total loss (mean over tokens)")
    top.set_ylabel("loss")
    bottom.axhline(0.0, color="0.7", lw=0.6)
    for i, c in enumerate(clusters):
        y = result.cluster_mean(c)
        y = (y - y[0]) / max(abs(y[-1] - y[0]), 1e-300)
        col = _COLOURS[i % len(_COLOURS)]
        vec = "" if c.vector < 0 else f"b{c.vector}, "
        frac = "" if not np.isfinite(c.label_fraction) else f", carry {c.label_fraction:.0%}"
        tag = " (hidden)" if c.hidden else ""
        if not np.isfinite(c.breakthrough_step):
            bottom.plot(steps, y, color=col, lw=0.8, ls="--", alpha=0.8,
                        label=f"{vec}cluster {c.label}: {c.size} tokens{frac} (no breakthrough)")
            continue
        bottom.plot(steps, y, color=col, lw=2.2 if c.hidden else 1.2,
                    label=f"{vec}cluster {c.label}: {c.size} tokens{frac}{tag}")
        k = int(np.argmin(np.abs(steps - c.breakthrough_step)))
        bottom.plot(steps[k], y[k], "o", color=col, ms=6, mec="k", mew=0.6)
    for ax in (top, bottom):
        ax.axvline(result.flat_step, color="k", ls=":", lw=1.2)
    top.text(result.flat_step, top.get_ylim()[1], " total loss flat from here", va="top",
             fontsize=8)
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    name = {"polca": "POLCA (2nd order)", "first_order": "first-order POLCA",
            "raw_loss": "raw loss"}.get(method, method)
    bottom.set_ylabel("cluster mean, normalised\n(0 → −1 over training)")
    bottom.set_xlabel("step")
    bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    n_hidden = sum(c.hidden for c in result.clusters_of(method))
    top.set_title(f"{name}: {len(result.clusters_of(method))} clusters, {n_hidden} with a "
                  f"hidden breakthrough\n(dots: mean point of maximal acceleration; dotted: "
                  f"t_flat)", fontsize=9)
    return fig
