"""Figures of SGD beside the posterior: region fractions against n, trajectories over the
posterior density, loss curves with their plateau levels and λ̂ along training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
            "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _colour(i: int) -> str:
    return _COLOURS[i % len(_COLOURS)]


def plot_sgd_vs_bayes(comparisons, *, fig: Figure | None = None) -> Figure:
    """Posterior mass (solid) and SGD end fraction (markers) of each region against n.

    Args:
      comparisons: one :class:`~slt_sim.dynamics.SGDvsBayes` or a list of them (e.g.
        several learning rates or noise levels; each gets its own marker).
    """
    comps = list(comparisons) if isinstance(comparisons, (list, tuple)) else [comparisons]
    fig = fig or Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    first = comps[0]
    names = first.region_names
    if first.posterior_masses is not None:
        for k, r in enumerate(names):
            ax.plot(first.ns, first.posterior_masses[r], color=_colour(k), lw=2.2,
                    label=f"posterior: {r}")
    for j, c in enumerate(comps):
        s = c.settings
        tag = f"η={s.get('lr', float('nan')):g}"
        if s.get("gradient_noise"):
            tag += f", σ={s['gradient_noise']:g}"
        if s.get("batch_size"):
            tag += f", |B|={s['batch_size']}"
        for k, r in enumerate(names):
            ax.plot(c.ns, c.sgd_fractions[r], color=_colour(k), ls="--", lw=1,
                    marker=_MARKERS[j % len(_MARKERS)], ms=5, label=f"SGD ({tag}): {r}")
        if np.any(c.sgd_fractions["diverged"] > 0):
            ax.plot(c.ns, c.sgd_fractions["diverged"], color="k", ls=":",
                    marker=_MARKERS[j % len(_MARKERS)], ms=4, label=f"SGD ({tag}): diverged")
    if first.predicted_critical_n:
        ax.axvline(first.predicted_critical_n, color="k", lw=0.8, ls="-.",
                   label=f"predicted critical n ≈ {first.predicted_critical_n:,.0f}")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("n")
    ax.set_ylabel("posterior mass / fraction of SGD runs")
    ax.set_title(f"{first.model_name}: where the posterior goes vs where SGD ends", fontsize=10)
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def plot_trajectories(result, *, posterior=None, n_index: int = -1, model=None,
                      max_runs: int = 60, fig: Figure | None = None) -> Figure:
    """SGD trajectories over the posterior density at one n (2-D heatmap or 1-D curve).

    Args:
      result: an :class:`~slt_sim.dynamics.SGDResult` of a 1-D or 2-D model.
      posterior: an :class:`~slt_sim.posterior.exact.ExactPosterior` to draw underneath.
      n_index: which n of ``posterior.ns`` to draw.
      model: the model, to draw loss contours when no posterior is given (2-D) and to name
        regions.
      max_runs: draw at most this many runs (the first seeds).
    """
    params = np.asarray(result.params)
    if params.ndim != 3 or params.shape[-1] not in (1, 2):
        raise ValueError(f"trajectories can be drawn for 1-D or 2-D parameters, got params of "
                         f"shape {params.shape}")
    S = min(max_runs, params.shape[0])
    final_region = result.region[:S, -1]
    names = result.region_names
    fig = fig or Figure(figsize=(5.2, 4.6) if params.shape[-1] == 2 else (6.4, 5.0),
                        layout="constrained")
    if params.shape[-1] == 2:
        ax = fig.subplots()
        title = "SGD trajectories"
        if posterior is not None:
            i = n_index % len(posterior.ns)
            logd = (posterior.log_density[i] if posterior.log_density is not None
                    else posterior.log_marginals_2d[(0, 1)][i])
            ax.pcolormesh(posterior.grid.cell_edges(0), posterior.grid.cell_edges(1),
                          np.exp(logd - np.max(logd)).T, shading="flat", cmap="Greys",
                          rasterized=True)
            title += f" over the posterior at n = {posterior.ns[i]:,.0f}"
        elif model is not None and model.population_loss is not None:
            (x0, x1), (y0, y1) = model.box[:2]
            X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
            import jax.numpy as jnp

            Z = np.asarray(model.population_loss(jnp.stack([X, Y], axis=-1)))
            ax.contour(X, Y, Z, levels=20, colors="0.6", linewidths=0.6)
            title += " over the loss"
        for s in range(S):
            col = _region_colour(final_region[s])
            ax.plot(params[s, :, 0], params[s, :, 1], color=col, lw=0.7, alpha=0.8)
            ax.plot(params[s, 0, 0], params[s, 0, 1], "o", color=col, ms=2.5)
            ax.plot(params[s, -1, 0], params[s, -1, 1], "x", color="k", ms=4)
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
    else:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
        ends = params[:, -1, 0]
        finite = np.isfinite(ends)
        if posterior is not None:
            lo, hi = posterior.grid.box[0]
        else:
            lo, hi = float(np.min(params[finite, :, 0])), float(np.max(params[finite, :, 0]))
        edges = np.linspace(lo, hi, 121)
        top.hist(ends[finite], bins=edges, weights=np.full(finite.sum(), 1.0 / ends.size),
                 color="tab:orange", alpha=0.7, label="SGD end points (fraction per bin)")
        if posterior is not None:
            i = n_index % len(posterior.ns)
            x = posterior.grid.nodes[0]
            mass = np.exp(posterior.log_marginals[0][i] + posterior.grid.log_weights[0])
            per_bin, _ = np.histogram(x, bins=edges, weights=mass)
            top.stairs(per_bin, edges, color="k", lw=1.5,
                       label=f"posterior mass per bin, n = {posterior.ns[i]:,.0f}")
        top.set_ylim(0, 1.05)
        top.legend(fontsize=7)
        top.set_ylabel("mass / fraction")
        for s in range(S):
            bottom.plot(params[s, :, 0], result.steps, color=_region_colour(final_region[s]),
                        lw=0.7)
        bottom.set_xlabel("w")
        bottom.set_ylabel("step")
        bottom.invert_yaxis()
    handles = [(_region_colour(k), n) for k, n in enumerate(names)]
    if handles:
        ax0 = fig.axes[0]
        for col, n in handles:
            ax0.plot([], [], color=col, label=f"ends in {n}")
        ax0.legend(fontsize=7, loc="best")
    return fig


def _region_colour(index: int) -> str:
    if index == -2:
        return "k"
    if index < 0:
        return "0.5"
    return _colour(int(index))


def plot_training_curves(steps, losses, *, levels: Mapping[str, float] | None = None,
                         llc=None, llc_steps=None, llc_levels: Mapping[str, float] | None = None,
                         transitions: Sequence | None = None, max_runs: int = 40,
                         title: str = "", fig: Figure | None = None) -> Figure:
    """Loss curves against step (log axis) with reference loss levels, and λ̂ along training.

    Args:
      steps: checkpoint steps (K,).
      losses: loss per run and checkpoint, (S, K) (e.g. ``SGDResult.population_loss``).
      levels: {label: loss} drawn as horizontal lines (e.g. k-gon losses).
      llc: λ̂ per checkpoint, (K',) or (S', K'), drawn on a second panel.
      llc_steps: steps of the λ̂ values (default ``steps``).
      llc_levels: {label: λ} reference lines on the λ̂ panel.
      transitions: steps to mark with vertical lines.
    """
    losses = np.atleast_2d(np.asarray(losses))
    steps = np.asarray(steps)
    panels = 2 if llc is not None else 1
    fig = fig or Figure(figsize=(6.4, 3.2 * panels), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    x = np.maximum(steps, 1)
    for row in losses[:max_runs]:
        ax.plot(x, row, lw=0.8, alpha=0.6)
    for k, (label, level) in enumerate((levels or {}).items()):
        ax.axhline(level, color=_colour(k), ls="--", lw=0.8, label=f"{label}: {level:.5f}")
    ax.set_xscale("log")
    ax.set_ylabel("loss")
    if levels:
        ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=10)
    if llc is not None:
        ax2 = axes[1]
        lx = np.maximum(np.asarray(steps if llc_steps is None else llc_steps), 1)
        for row in np.atleast_2d(np.asarray(llc)):
            ax2.plot(lx, row, marker="o", ms=3, lw=1)
        for k, (label, lam) in enumerate((llc_levels or {}).items()):
            ax2.axhline(float(lam), color=_colour(k), ls="--", lw=0.8, label=f"{label}: λ = {lam}")
        ax2.set_ylabel("λ̂ (LLC)")
        if llc_levels:
            ax2.legend(fontsize=7, loc="lower right")
    for t in transitions or ():
        for a in axes:
            a.axvline(max(float(t), 1.0), color="k", lw=0.6, ls=":")
    axes[-1].set_xlabel("step")
    return fig
