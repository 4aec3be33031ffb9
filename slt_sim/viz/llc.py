r"""Figures of the local learning coefficient: chain traces of one estimate, and the (ε, γ)
calibration map.

An estimate λ̂(w*) = nβ (E_w[L_n] − L_n(w*)) is the mean of the traces nβ(L_t − L_n(w*)) drawn by
:func:`plot_llc_trace`; :func:`plot_calibration` draws λ̂ against the step size ε, one line per
localisation γ: larger ε pushes λ̂ up (discretisation error), larger γ pulls it down
(confinement). Both read results and never compute them.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..measure.calibrate import CalibrationResult
from ..measure.llc import LLCResult

#: line styles of the reference values of :func:`plot_llc_trace`, in the order given
_REFERENCE_STYLES = (dict(color="tab:green", ls="-", lw=1.6),
                     dict(color="tab:red", ls="--", lw=1.2),
                     dict(color="tab:purple", ls=":", lw=1.2),
                     dict(color="0.3", ls="-.", lw=1.2))


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax, False
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(), True


def plot_calibration(result: CalibrationResult, ax=None) -> Figure:
    """λ̂ (± 2 s.e.) against ε, one line per γ, with the reference; the recommendation circled.

    Settings failing a check are crossed; a failed calibration (no setting passed) says so on
    the axes. With ``ax`` the map is drawn there (the caller keeps its layout) and that axes'
    figure is returned; without, a new ``Figure``.
    """
    if not isinstance(result, CalibrationResult):
        raise TypeError(f"result must be a CalibrationResult (slt_sim.calibrate_llc), got "
                        f"{type(result).__name__}")
    fig, ax, own = _axes(ax, (6.4, 4.2))
    r = result
    colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(r.localizations)))
    for j, (gam, col) in enumerate(zip(r.localizations, colors)):
        ax.errorbar(r.step_sizes, r.llc_mean[:, j], yerr=2 * r.llc_std[:, j], marker="o",
                    color=col, capsize=3, label=f"γ = {gam:g}")
        bad = ~r.ok[:, j]
        ax.plot(r.step_sizes[bad], r.llc_mean[bad, j], "x", color="crimson", ms=9)
        if r.reference_kind == "exact-localized":
            ax.axhline(np.asarray(r.reference)[j], color=col, ls=":", lw=1)
    if r.reference_kind in ("theory", "given"):
        ax.axhline(float(r.reference), color="k", ls="--", lw=1,
                   label=f"{r.reference_kind} λ = {float(r.reference):.4g}")
    if r.reference_unlocalized is not None:
        ax.axhline(r.reference_unlocalized, color="k", ls="--", lw=1,
                   label=f"exact, unlocalised = {r.reference_unlocalized:.3g}")
    if r.passed:
        i, j = r.recommended_index
        ax.plot([r.step_sizes[i]], [r.llc_mean[i, j]], "o", ms=16, mfc="none", mec="crimson",
                mew=2, label="recommended")
    else:
        ax.text(0.5, 0.97, "calibration failed: no setting passed", transform=ax.transAxes,
                ha="center", va="top", color="crimson", fontweight="bold")
    ax.set_xscale("log")
    ax.set_xlabel("step size ε")
    ax.set_ylabel("λ̂ (± 2 s.e.)")
    ax.set_title(f"LLC calibration ({r.settings.get('sampler', '?')}, nβ = {r.nbeta:.4g}); "
                 "✗: fails a check")
    ax.legend(fontsize=8)
    if own:
        fig.tight_layout()
    return fig


def plot_llc_trace(result: LLCResult, ax=None,
                   reference: float | Mapping[str, float] | None = None) -> Figure:
    """The chains' traces nβ(L_t − L_n(w*)) of one estimate, their mean λ̂ and references.

    Args:
      result: an :class:`~slt_sim.LLCResult`.
      ax: matplotlib axes to draw on (default: a new ``Figure``).
      reference: a value to compare λ̂ with (e.g. theory's λ), or ``{label: value}`` for
        several (e.g. the exact localised target and theory's λ); drawn in the order given.

    Returns:
      The Figure (``ax.figure`` when ``ax`` is given).
    """
    if not isinstance(result, LLCResult):
        raise TypeError(f"result must be an LLCResult (slt_sim.estimate_llc), got "
                        f"{type(result).__name__}")
    if reference is None:
        refs = {}
    elif isinstance(reference, Mapping):
        refs = {str(k): float(x) for k, x in reference.items() if x is not None}
    else:
        refs = {f"reference = {float(reference):.4g}": float(reference)}
    fig, ax, own = _axes(ax, (6.4, 4.2))
    r = result
    traces = r.nbeta * (r.loss_trace - r.init_loss)
    for c, trace in enumerate(traces):
        ax.plot(trace, lw=0.6, alpha=0.8, label="chains" if c == 0 else None)
    ax.axhline(r.llc_mean, color="k", lw=1.5, label=f"λ̂ = {r.llc_mean:.3f} ± {r.llc_std:.3f}")
    for k, (label, value) in enumerate(refs.items()):
        ax.axhline(value, label=label, **_REFERENCE_STYLES[k % len(_REFERENCE_STYLES)])
    finite = traces[np.isfinite(traces)]
    if not finite.size:
        ax.text(0.5, 0.5, "every chain diverged:\nsee the warnings", ha="center", va="center",
                transform=ax.transAxes, color="#b05000")
    else:
        lo, hi = np.percentile(finite, [0.5, 99.5])
        pad = 0.1 * (hi - lo + 1e-12)
        top = max([hi, *refs.values()])
        ax.set_ylim(min(lo, 0.0) - pad, top + pad)
    ax.set_xlabel("draw")
    ax.set_ylabel("nβ (L(w) − L(w*))")
    ax.legend(fontsize=7, loc="upper right")
    if own:
        fig.tight_layout()
    return fig


__all__ = ["plot_calibration", "plot_llc_trace"]
