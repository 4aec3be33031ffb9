"""Figures of Bayesian phase changes: posterior snapshots, region masses and free energies in n."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import theory
from ..posterior.exact import ExactPosterior
from ..posterior.phase import PhaseSweep

_REGION_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def _fmt_n(n: float) -> str:
    return f"{n:,.0f}" if n >= 1 else f"{n:g}"


def plot_posterior_snapshots(post: ExactPosterior, indices=None, *, log_scale: bool = False,
                             xlim=None, bins: int = 160, loss=None, zoom: bool = True,
                             fig: Figure | None = None) -> Figure:
    """One panel per n: the 1-D posterior mass per bin, or the 2-D density as a heatmap.

    In 1-D the posterior is drawn as mass per bin (not density), so a narrow spike and a wide
    bump holding equal mass look equally tall — what matters for a phase change.

    Args:
      post: an :class:`ExactPosterior` (2-D needs its ``log_density`` or 2-D marginal).
      indices: which n of ``post.ns`` to draw (default: all, at most 6).
      log_scale: draw log density (2-D) / a log y axis (1-D).
      xlim: x range for 1-D panels (default: the grid box); bins: bins across it.
      loss: optional vectorised function x ↦ L(x) drawn in grey behind 1-D panels.
      zoom: 1-D only — above the bars, one inset per basin holding ≥ 1 % of the mass, zoomed to
        that basin's own width (mean ± 5 sd), with its mass: a narrow spike and a wide bump are
        both visible as shapes, and the jump between them reads at a glance.
    """
    dim = post.grid.dim
    idx = list(range(min(len(post.ns), 6))) if indices is None else list(indices)
    fig = fig or Figure(figsize=(3.2 * len(idx), 3.0 if dim == 1 else 3.2), layout="constrained")
    axes = fig.subplots(1, len(idx), squeeze=False)[0]
    for ax, i in zip(axes, idx):
        n = post.ns[i]
        if dim == 1:
            lo, hi = xlim or post.grid.box[0]
            width = (hi - lo) / bins
            edges = lo - 0.5 * width + width * np.arange(bins + 2)   # bin centres on lo + k·w
            x = post.grid.nodes[0]
            mass = np.exp(post.log_marginals[0][i] + post.grid.log_weights[0])
            inside = (x >= lo) & (x < hi)
            per_bin = np.zeros(bins + 1)
            np.add.at(per_bin, np.clip(np.digitize(x[inside], edges) - 1, 0, bins),
                      mass[inside])
            ax.bar(edges[:-1], per_bin, width=np.diff(edges), align="edge", color="tab:blue",
                   label="posterior mass per bin")
            ax.set_ylim(0, 1.6 if zoom else 1.05)
            if zoom:
                _basin_insets(ax, x, post.log_marginals[0][i], mass, lo, hi)
            ax.set_xlim(lo, hi)
            ax.set_xlabel("w")
            if loss is not None:
                ax2 = ax.twinx()
                xs = np.linspace(lo, hi, 2000)
                ax2.plot(xs, loss(xs), color="0.5", lw=0.8, label="loss L(w)")
                ax2.set_yticks([])
            if log_scale:
                ax.set_yscale("log")
                ax.set_ylim(1e-12, 2)
        elif dim == 2:
            logd = (post.log_density[i] if post.log_density is not None
                    else post.log_marginals_2d[(0, 1)][i])
            z = logd if log_scale else np.exp(logd - np.max(logd))
            if log_scale:
                z = np.maximum(z, np.max(z) - 25.0)
            ax.pcolormesh(post.grid.cell_edges(0), post.grid.cell_edges(1), z.T,
                          shading="flat", cmap="magma", rasterized=True)
            ax.set_xlabel("w1")
            ax.set_ylabel("w2")
            ax.set_aspect("equal")
        else:
            raise ValueError(f"snapshots draw 1-D or 2-D posteriors; this one has {dim} axes "
                             f"(plot post.log_marginals_2d pairs instead)")
        masses = post.region_masses
        label = ", ".join(f"{r} {m[i]:.2f}" for r, m in masses.items()) if len(masses) > 1 \
            else ""
        ax.set_title(f"n = {_fmt_n(n)}" + (f"\n{label}" if label else ""), fontsize=9)
    fig.suptitle(f"posterior of {post.model_name}", fontsize=10)
    return fig


def _basin_insets(ax, x, log_density, mass, lo, hi, min_mass: float = 0.01) -> None:
    """Insets above a 1-D panel, one per basin (a run of nodes holding mass, split at gaps)."""
    keep = np.flatnonzero((mass > 1e-6 * mass.sum()) & (x >= lo) & (x <= hi))
    if keep.size == 0:
        return
    gap = 0.05 * (hi - lo)
    groups = np.split(keep, np.flatnonzero(np.diff(x[keep]) > gap) + 1)
    basins = [g for g in groups if mass[g].sum() >= min_mass][:3]
    width = 0.9 / max(len(basins), 1)
    for k, g in enumerate(basins):
        m = mass[g] / mass[g].sum()
        mu = float(np.sum(m * x[g]))
        sd = float(np.sqrt(max(np.sum(m * (x[g] - mu) ** 2), 1e-300)))
        window = (x >= mu - 5 * sd) & (x <= mu + 5 * sd)
        centre = 0.0 if abs(mu) < 1e-6 * (hi - lo) else float(f"{mu:.3g}")
        inset = ax.inset_axes([0.05 + k * width, 0.64, width - 0.05, 0.3])
        dens = np.exp(log_density[window] - np.max(log_density[window]))
        shift = x[window] - centre
        inset.fill_between(shift, dens, color="tab:blue", alpha=0.6, lw=0)
        inset.plot(shift, dens, color="tab:blue", lw=1)
        inset.set_xlim(mu - centre - 5 * sd, mu - centre + 5 * sd)
        inset.set_ylim(0, 1.15)
        inset.set_yticks([])
        inset.tick_params(labelsize=6, pad=1)
        inset.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3), useOffset=False)
        inset.xaxis.get_offset_text().set_fontsize(6)
        inset.locator_params(axis="x", nbins=3)
        inset.set_title(f"w − {centre:g}: mass {mass[g].sum():.2f}", fontsize=7, pad=2)


def plot_region_masses(sweep: PhaseSweep, *, fig: Figure | None = None, ax=None) -> Figure:
    """Posterior mass of each region against n (log axis), with the critical n marked."""
    if ax is None:
        fig = fig or Figure(figsize=(6.0, 3.4), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    for k, (name, m) in enumerate(zip(sweep.region_names, sweep.region_masses)):
        ax.plot(sweep.ns, m, lw=2, color=_REGION_COLOURS[k % 5], label=name)
    if sweep.critical_n_exact:
        ax.axvline(sweep.critical_n_exact, color="k", lw=1,
                   label=f"exact critical n = {_fmt_n(sweep.critical_n_exact)}")
    if sweep.critical_n_predicted:
        ax.axvline(sweep.critical_n_predicted, color="k", ls="--", lw=1,
                   label=f"free-energy prediction = {_fmt_n(sweep.critical_n_predicted)}")
    if sweep.critical_n_predicted_no_const:
        ax.axvline(sweep.critical_n_predicted_no_const, color="grey", ls=":", lw=1,
                   label=f"prediction without constants = "
                         f"{_fmt_n(sweep.critical_n_predicted_no_const)}")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("n")
    ax.set_ylabel("posterior mass")
    ax.set_title(f"{sweep.model_name}: region masses against n", fontsize=10)
    ax.legend(fontsize=7, loc="center left")
    return fig


def plot_region_free_energies(sweep: PhaseSweep, model, *, fig: Figure | None = None) -> Figure:
    """Left: each region's F_n(W_α) − nβL_α against n with its law λ_α log n − (m_α−1) log log n
    + c_α. Right: the gap F_n(W_a) − F_n(W_b) of the switching pair, exact and predicted; it
    crosses zero at the critical n."""
    fig = fig or Figure(figsize=(10.0, 3.6), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    post = sweep.posterior
    ns = sweep.ns
    laws = {}
    for k, r in enumerate(model.regions):
        col = _REGION_COLOURS[k % 5]
        law = theory.FreeEnergyLaw(post.beta * float(r.loss), r.lam, int(r.m),
                                   sweep.constants.get(r.name, 0.0))
        laws[r.name] = law
        exact = post.region_free_energy(r.name) - law.loss * ns
        ax.plot(ns, exact, color=col, lw=5, alpha=0.35, label=f"{r.name}: exact")
        ok = ns > (np.e if r.m > 1 else 0)
        # the law on top, thin and dark with sparse markers: visible where it overlays exact
        ax.plot(ns[ok], law.free_energy(ns[ok]) - law.loss * ns[ok], color=col, ls="--",
                lw=1.3, marker="o", ms=3, markevery=max(1, int(ok.sum()) // 12), zorder=3,
                label=f"{r.name}: λ = {r.lam}, m = {r.m} law")
    ax.set_xscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("F_n(region) − nβL(region)")
    ax.set_title("each region's free energy grows like λ log n", fontsize=10)
    ax.legend(fontsize=7)
    if sweep.pair is not None:
        a, b = sweep.pair
        gap = post.region_free_energy(b) - post.region_free_energy(a)
        ax2.plot(ns, gap, color="k", lw=5, alpha=0.3, label=f"exact F({b}) − F({a})")
        ok = ns > np.e
        ax2.plot(ns[ok], laws[b].free_energy(ns[ok]) - laws[a].free_energy(ns[ok]),
                 color="tab:orange", ls="--", lw=1.5, marker="o", ms=3,
                 markevery=max(1, int(ok.sum()) // 12), zorder=3, label="free-energy formula")
        ax2.axhline(0, color="0.6", lw=0.8)
        if sweep.critical_n_exact:
            ax2.axvline(sweep.critical_n_exact, color="tab:red", lw=1,
                        label=f"critical n = {_fmt_n(sweep.critical_n_exact)}")
        # the range where the sign change happens: |gap| up to 3× its largest value before n_c
        before = gap[ns <= (sweep.critical_n_exact or ns.max())]
        lim = 3.0 * max(np.nanmax(np.abs(before)), 1.0)
        ax2.set_ylim(-lim, lim)
        ax2.set_xlim(ns.min(), min(ns.max(), 30 * (sweep.critical_n_exact or ns.max())))
        ax2.set_xscale("log")
        ax2.set_xlabel("n")
        ax2.set_ylabel("free-energy gap")
        ax2.set_title(f"{a} holds the posterior while the gap is > 0", fontsize=10)
        ax2.legend(fontsize=7)
    return fig


def plot_free_energy(result, *, title: str = "", fig: Figure | None = None) -> Figure:
    """F_n − n L_n(w0) against log n, with the fitted law and the theory slope.

    Args:
      result: a :class:`~slt_sim.measure.free_energy.FreeEnergySlope`.
    """
    fig = fig or Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    ns = np.asarray(result.ns, dtype=float)
    ax.plot(np.log(ns), result.excess, "o", color="tab:blue", label="exact F_n − nL_n(w0)")
    grid_n = np.exp(np.linspace(np.log(ns.min()), np.log(ns.max()), 200))
    ax.plot(np.log(grid_n), result.fitted(grid_n), color="tab:blue", lw=1,
            label=f"fit: λ̂ = {result.lam_hat:.4f}, m̂ = {result.m_hat}")
    if result.lam is not None:
        t = np.log(ns)
        shift = np.mean(result.excess + (result.m_hat - 1) * np.log(t) - result.lam * t)
        tt = np.log(grid_n)
        ax.plot(tt, result.lam * tt - (result.m_hat - 1) * np.log(tt) + shift, color="k",
                ls="--", lw=1, label=f"theory: λ = {result.lam:.4g}")
    ax.set_xlabel("log n")
    ax.set_ylabel("F_n − n L_n(w0)")
    ax.set_title(title or f"{result.model_name}: F_n grows like λ log n", fontsize=10)
    ax.legend(fontsize=8)
    return fig
