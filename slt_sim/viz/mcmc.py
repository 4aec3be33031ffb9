"""Figures for the MCMC side: temperature slope, learning curve, NUTS against exact.

Every function returns a :class:`matplotlib.figure.Figure` (no pyplot state), built only from
results the engines already returned.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def plot_energy_slope(result, *, theory: float | None = None, dataset: int | None = None,
                        ax=None) -> Figure:
    r"""E_β[n L_n] against 1/β with the fitted line (slope λ̂) of a multi-temperature result.

    Args:
      result: :class:`~slt_sim.measure.wbic_lambda.MultiTemperatureResult`.
      theory: the theoretical λ; a line of that slope through the fit's centre is drawn.
      dataset: which data set to draw (default: every data set, energies minus their intercept).
      ax: an existing Axes to draw into.
    """
    from ..measure.wbic_lambda import slope_fit

    fig, ax = _fig_ax(ax)
    s = 1.0 / np.asarray(result.betas)
    rows = range(result.mean_energy.shape[0]) if dataset is None else [dataset]
    for i in rows:
        lam, _, a = slope_fit(s, result.mean_energy[i], result.energy_mcse[i], result.n,
                              result.multiplicity)
        shift = a if dataset is None else 0.0
        y = result.mean_energy[i] - shift
        ax.errorbar(s, y, yerr=2 * result.energy_mcse[i], fmt="o", ms=4, capsize=2,
                    label=None if i else "E_β[n L_n] ± 2 MCSE")
        xs = np.linspace(s.min(), s.max(), 50)
        corr = (result.multiplicity - 1) * xs / np.log(result.n / xs)
        ax.plot(xs, a - shift + lam * xs - corr, "-", lw=1,
                label=None if i else f"fit: λ̂ = {result.lam_hat:.3f}")
    if theory is not None:
        xs = np.linspace(s.min(), s.max(), 50)
        centre = s.mean()
        i0 = 0 if dataset is None else dataset
        lam0, _, a0 = slope_fit(s, result.mean_energy[i0], result.energy_mcse[i0], result.n,
                                result.multiplicity)
        y0 = (a0 if dataset is not None else 0.0) + lam0 * centre
        ax.plot(xs, y0 + theory * (xs - centre), "k--", lw=1, label=f"theory λ = {theory:g}")
    ax.set_xlabel("1/β")
    ax.set_ylabel("E_β[n L_n]" + (" − intercept" if dataset is None else ""))
    ax.set_title(f"multi-temperature estimator, n = {result.n:g}")
    ax.legend(fontsize=8)
    return fig


def plot_learning_curve(result, *, ax=None) -> Figure:
    """Bayes generalisation error E[G_n] − L₀ against n (log–log) with λ/n.

    Args:
      result: :class:`~slt_sim.measure.generalization.LearningCurveResult`.
    """
    fig, ax = _fig_ax(ax)
    ns = np.asarray(result.ns)
    mean = result.gen_excess.mean(axis=0)
    se = result.n_gen_excess_se / ns
    ax.errorbar(ns, mean, yerr=2 * np.nan_to_num(se), fmt="o-", ms=4, capsize=2,
                label="E[G_n] − L₀ (exact posterior, mean over seeds)")
    ax.plot(ns, result.waic_excess.mean(axis=0), "s:", ms=3, label="E[WAIC] − L_n(w₀)")
    if result.lam is not None:
        ax.plot(ns, result.lam / ns, "k--", lw=1, label=f"λ/n, λ = {result.lam:g}")
        if result.m is not None and result.m > 1:
            ax.plot(ns, (result.lam - (result.m - 1) / np.log(ns)) / ns, "k:", lw=1,
                    label="(λ − (m−1)/log n)/n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("generalisation error − L₀")
    ax.set_title("Bayes learning curve")
    ax.legend(fontsize=8)
    return fig


def plot_nuts_vs_exact(tree, exact, *, index: int = 0, max_points: int = 4000,
                         ax=None) -> Figure:
    """NUTS draws over the exact posterior: 2-D contours + scatter, 1-D density + histogram.

    Args:
      tree: DataTree from :func:`~slt_sim.posterior.mcmc.sample_posterior`.
      exact: :class:`~slt_sim.posterior.exact.ExactPosterior` with ``log_density`` (1-D) or 2-D
        marginals, for the same model, n and β.
      index: which n of the exact sweep to draw.
      max_points: at most this many NUTS draws are scattered.
    """
    from ..posterior.mcmc import draws

    fig, ax = _fig_ax(ax)
    w = draws(tree).reshape(-1, draws(tree).shape[-1])
    names = list(tree["posterior"]["w_dim"].values)
    dim = w.shape[1]
    if dim == 1:
        x, dens = exact.marginal(0)
        ax.hist(w[:, 0], bins=60, density=True, alpha=0.5, label="NUTS draws")
        ax.plot(x, dens[index], "k-", lw=1.2, label="exact")
        ax.set_xlabel(names[0])
        ax.set_ylabel("posterior density")
    elif dim == 2:
        if (0, 1) in exact.log_marginals_2d:
            logd = exact.log_marginals_2d[(0, 1)][index]
        elif exact.log_density is not None:
            logd = exact.log_density[index]
        else:
            raise ValueError("exact has neither 2-D marginals nor the log density: compute it "
                             "with marginals_2d=True")
        x0, x1 = exact.grid.nodes
        levels = np.max(logd) - np.array([9.0, 4.5, 2.0, 0.5])
        ax.contour(x0, x1, logd.T, levels=np.sort(levels), colors="k", linewidths=0.8)
        step = max(1, len(w) // max_points)
        ax.plot(w[::step, 0], w[::step, 1], ".", ms=1.5, alpha=0.4, label="NUTS draws")
        ax.plot([], [], "k-", lw=0.8, label="exact log-density contours")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    else:
        raise ValueError(f"plot_nuts_vs_exact draws 1-D or 2-D posteriors, got d = {dim}")
    attrs = tree["posterior"].attrs
    ax.set_title(f"{attrs.get('model', '')}: n = {attrs.get('n', '?'):g}, "
                 f"β = {attrs.get('beta', 1):g}")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def _fig_ax(ax):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    return fig, fig.add_subplot()


__all__ = ["plot_energy_slope", "plot_learning_curve", "plot_nuts_vs_exact"]
