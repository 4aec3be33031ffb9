"""Figures of broken-neural-scaling-law fits: fit + extrapolation, and the predictability pair."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..measure.scaling import BNSLFit

_LINE_COLOURS = ("tab:purple", "tab:brown", "tab:olive", "tab:cyan")


def _draw_fit(ax, fit: BNSLFit, *, label: str, colour: str, x_max=None, log: bool = True,
              markers: dict | None = None, truth=None):
    xs_all = np.concatenate([fit.x, fit.x_test])
    lo = float(np.min(xs_all))
    hi = float(np.max(xs_all) if x_max is None else x_max)
    xs = np.geomspace(lo / 1.15, hi * 1.15, 600)
    if truth is not None:
        ax.plot(xs, truth(xs), color="0.6", lw=5, alpha=0.5, label="true curve")
    ax.plot(fit.x, fit.y, "o", color="black", ms=5, label=f"fitted points ({len(fit.x)})")
    if len(fit.x_test) and fit.y_test is not None:
        ax.plot(fit.x_test, fit.y_test, "o", color="tab:green", ms=5,
                label=f"held-out points ({len(fit.x_test)})")
    ax.plot(xs, fit.predict(xs), color=colour, lw=2, label=label)
    ax.axvline(fit.x[-1], color="0.4", ls=":", lw=1)
    for i, d in enumerate(fit.params.d):
        if xs[0] <= d <= xs[-1]:
            ax.axvline(d, color=colour, ls="--", lw=1, alpha=0.7,
                       label=f"fitted break d{i + 1} = {d:,.4g}")
    for j, (name, value) in enumerate((markers or {}).items()):
        ax.axvline(value, color=_LINE_COLOURS[j % 4], ls="-.", lw=1.5,
                   label=f"{name} = {value:,.4g}")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")


def plot_bnsl_fit(fit: BNSLFit, *, baseline: BNSLFit | None = None, title: str | None = None,
                  log: bool = True, markers: dict | None = None, x_max=None,
                  xlabel: str = "x (scaled quantity)", ylabel: str = "y",
                  fig: Figure | None = None) -> Figure:
    """Fitted points, held-out points, the fitted law and (optionally) a baseline fit.

    Args:
      fit: a :class:`~slt_sim.measure.scaling.BNSLFit`.
      baseline: another fit on the same points drawn dashed (e.g. :func:`fit_power_law`).
      title: axes title; log: log-log axes (False: linear, as in the paper's Fig. 4).
      markers: {label: x} vertical reference lines (e.g. an exact critical n).
      x_max: extend the curves to this x; xlabel, ylabel: axis labels.
    """
    fig = fig or Figure(figsize=(6.2, 4.2), layout="constrained")
    ax = fig.subplots()
    lab = f"BNSL, {fit.breaks} break(s)"
    if fit.extrapolation_rmsle is not None:
        lab += f": extrapolation RMSLE {fit.extrapolation_rmsle:.3g}"
    _draw_fit(ax, fit, label=lab, colour="tab:red", x_max=x_max, log=log, markers=markers)
    if baseline is not None:
        xs = np.geomspace(float(np.min(baseline.x)) / 1.15,
                          float(max(np.max(fit.x_test, initial=0), np.max(fit.x)) if x_max is None
                                else x_max) * 1.15, 600)
        lab = "power law" if baseline.breaks == 0 else f"{baseline.breaks}-break law"
        if baseline.extrapolation_rmsle is not None:
            lab += f": extrapolation RMSLE {baseline.extrapolation_rmsle:.3g}"
        ax.plot(xs, baseline.predict(xs), color="tab:blue", ls="--", lw=1.5, label=lab)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_predictability(early: BNSLFit, onset: BNSLFit, truth=None, *, x_max=None,
                        fig: Figure | None = None) -> Figure:
    """The limit of predictability: a fit stopping well before a break, beside one reaching it.

    Two panels over the same axes; the dotted line marks the last fitted x of each fit.

    Args:
      early, onset: fits whose data stop before the break and at its onset.
      truth: optional callable x ↦ true y drawn behind both (e.g. ``lambda x: bnsl(x, p)``).
    """
    fig = fig or Figure(figsize=(10.5, 4.0), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, fit, what in zip(axes, (early, onset), ("stops before the break",
                                                    "reaches its onset")):
        lab = "fitted BNSL"
        if fit.extrapolation_rmsle is not None:
            lab += f" (extrapolation RMSLE {fit.extrapolation_rmsle:.2g})"
        _draw_fit(ax, fit, label=lab, colour="tab:red", x_max=x_max, truth=truth)
        ax.set_title(f"data up to x = {fit.x[-1]:,.0f}: {what}", fontsize=10)
        ax.set_xlabel("x")
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("y")
    return fig
