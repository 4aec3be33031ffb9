"""Figures of volume scaling: log V against log ε, and the sublevel sets {K < ε} themselves."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .. import _validate as v
from ..measure.volume import VolumeScalingResult
from ..models.base import Model

_SET_COLOURS = ("tab:orange", "tab:red", "tab:purple", "tab:green", "tab:blue")


def _figure_and_axes(ax: Axes | None, size=(6.0, 4.5)) -> tuple[Figure, Axes]:
    if ax is None:
        fig = Figure(figsize=size, layout="constrained")
        return fig, fig.add_subplot()
    return ax.figure, ax


def _fmt_lam(x: float | None) -> str:
    return "?" if x is None else f"{x:.4g}"


def plot_volume_scaling(result: VolumeScalingResult, ax: Axes | None = None) -> Figure:
    r"""log V against log ε with the fitted law and the theory's law.

    Draws the measured V(ε) with its standard error (points left out of the fit in grey), the
    fitted ε^λ̂ Σ_k c_k (log 1/ε)^k, and — when the model knows λ and m — the theory's
    c ε^λ (log 1/ε)^{m−1} anchored to the measured volume at the middle of the fitted range
    (the theory gives the exponents, not the constant c).

    Args:
      result: a :class:`~slt_sim.measure.VolumeScalingResult`.
      ax: matplotlib axes to draw into (default: a new ``Figure``).
    Returns:
      The ``matplotlib.figure.Figure``.
    """
    if not isinstance(result, VolumeScalingResult):
        raise TypeError(f"result must be a VolumeScalingResult (from volume_scaling), got "
                        f"{type(result).__name__}")
    fig, ax = _figure_and_axes(ax)
    eps, vol, se, mask = result.eps, result.volume, result.volume_se, result.fit_mask
    ok = np.isfinite(vol) & (vol > 0)
    for sel, colour, label in ((mask & ok, "tab:blue", f"V(ε), {result.method}"),
                               (~mask & ok, "0.6", "not fitted")):
        if np.any(sel):
            ax.errorbar(eps[sel], vol[sel], yerr=np.minimum(se[sel], 0.999 * vol[sel]),
                        fmt="o", ms=3.5, color=colour, capsize=2, label=label)
    fitted = eps[mask & ok]
    dense = np.geomspace(fitted.min(), fitted.max(), 200)
    lo, hi = result.lam_ci
    ax.plot(dense, result.fitted_volume(dense), color="tab:blue", lw=1.5,
            label=f"fit: λ̂ = {result.lam_hat:.4g} [{lo:.4g}, {hi:.4g}], m̂ = {result.m_hat}")
    if result.lam is not None:
        m = 1 if result.m is None else result.m
        shape = dense ** result.lam * np.log(1.0 / dense) ** (m - 1)
        mid = np.argsort(fitted)[len(fitted) // 2]
        e0 = fitted[mid]
        v0 = vol[mask & ok][mid]
        anchor = v0 / (e0 ** result.lam * np.log(1.0 / e0) ** (m - 1))
        ax.plot(dense, anchor * shape, color="tab:red", lw=1.2, ls="--",
                label=f"theory: λ = {_fmt_lam(result.lam)}, m = {m}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε  (threshold on K(w) − K_min)")
    ax.set_ylabel("V(ε)  (prior mass of {K − K_min < ε})")
    region = "" if result.region is None else f", region {result.region}"
    ax.set_title(f"{result.model_name}{region}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_sublevel_set(model: Model, eps, *, region: str | None = None, k_min: float | None = None,
                      box=None, resolution: int = 400, ax: Axes | None = None) -> Figure:
    r"""The sublevel sets {w : K(w) − K_min < ε} of a 2-D model, over log K in grey.

    Nested sets for several ε are drawn in different colours (largest ε first). Sets thinner
    than a pixel (tubes of width ~√ε around a curved zero set) only show where they are wide:
    zoom in with ``box``.

    Args:
      model: a model with ``dim == 2`` and a population loss K.
      eps: one ε > 0 or a list of them.
      region: restrict to a named region of the model (K = +∞ outside it).
      k_min: the K_min subtracted (default as in :func:`~slt_sim.measure.volume_curve`).
      box: ((lo, hi), (lo, hi)) drawing window (default: ``model.box``).
      resolution: pixels per side.
      ax: matplotlib axes to draw into (default: a new ``Figure``).
    Returns:
      The ``matplotlib.figure.Figure``.
    """
    from ..measure.volume import _resolve_k_min, _restricted_loss, _validate_common

    v.model(model)
    if model.dim != 2:
        raise ValueError(f"plot_sublevel_set draws 2-D models; {model.name} has dim "
                         f"{model.dim}")
    _validate_common(model, region, "splitting")
    levels = np.sort(v.as_float_array("eps", eps, lo=0.0, lo_open=True))[::-1]
    resolution = v.as_int("resolution", resolution, lo=10, hi=4000)
    window = v.box("box", model.box if box is None else box, 2)
    kmin = _resolve_k_min(model, region, k_min)
    kfun = _restricted_loss(model, region, kmin)
    xs = np.linspace(*window[0], resolution)
    ys = np.linspace(*window[1], resolution)
    gx, gy = np.meshgrid(xs, ys, indexing="xy")
    k = np.asarray(kfun(jnp.asarray(np.stack([gx, gy], axis=-1))))
    fig, ax = _figure_and_axes(ax, size=(5.0, 4.5))
    finite = np.isfinite(k)
    logk = np.log10(np.where(finite & (k > 0), k, np.nan))
    floor = np.nanmin(logk) if np.any(np.isfinite(logk)) else 0.0
    logk = np.where(finite & ~(k > 0), floor, logk)
    img = ax.imshow(logk, origin="lower", extent=(*window[0], *window[1]), cmap="Greys_r",
                    aspect="auto", interpolation="nearest")
    fig.colorbar(img, ax=ax, label="log₁₀(K − K_min)")
    for i, e in enumerate(levels):
        inside = np.where(finite & (k < e), 1.0, np.nan)
        colour = _SET_COLOURS[i % len(_SET_COLOURS)]
        ax.imshow(inside, origin="lower", extent=(*window[0], *window[1]),
                  cmap=ListedColormap([colour]), alpha=0.75, aspect="auto",
                  interpolation="nearest")
        ax.plot([], [], "s", color=colour, label=f"K − K_min < {e:.3g}")
    names = model.param_names or ("w1", "w2")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"sublevel sets of {model.name}", fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    return fig
