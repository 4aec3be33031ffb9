"""The figures and numbers of docs/scaling.md.

    python benchmarks/bnsl_figures.py [--out docs/figures]

1. 4-digit addition (Caballero et al. 2023, Fig. 4 left): BNSL vs power law, first 14 points.
2. The limit of predictability on the authors' noiseless one-break curve: data up to x = 300
   against data up to x = 500 (30 log-spaced points each from x = 50; break at d = 612.6).
3. A Bayesian phase change read as a break: G(n) = F_{n+1} − F_n on two_basins_2d, a one-break
   BNSL on all n and one on n < 1000, against the exact and the free-energy critical n.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import _repo  # noqa: F401  (this checkout first on sys.path)
import numpy as np

import slt_sim as slt
from slt_sim.measure import BNSLParams, bnsl
from slt_sim.viz import plot_bnsl_fit, plot_predictability

SIM = BNSLParams(0.41388453071629455, 2.2772722897737556, 0.055077348404973955,
                 (5.662903816010331,), (612.5836172918001,), (0.059193036393742314,))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/figures")
    out = Path(ap.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")

    d = slt.load_scaling_curve("four_digit_addition")
    fit = slt.fit_bnsl(d.x[:14], d.y[:14], 1, x_test=d.x[14:], y_test=d.y[14:])
    pl = slt.fit_power_law(d.x[:14], d.y[:14], x_test=d.x[14:], y_test=d.y[14:])
    print(f"4-digit: BNSL {fit.params}, train RMSLE {fit.fit_rmsle:.4g}, extrapolation "
          f"{fit.extrapolation_rmsle:.4g}; power law train {pl.fit_rmsle:.4g}, extrapolation "
          f"{pl.extrapolation_rmsle:.4g}")
    plot_bnsl_fit(fit, baseline=pl, log=False, title="4-digit addition (Caballero et al. 2023)",
                  xlabel=d.x_label, ylabel=d.y_label).savefig(out / "bnsl_four_digit.png",
                                                               dpi=110)

    x_test = np.geomspace(700, 4000, 12)
    fits = []
    for cut in (300.0, 500.0):
        x = np.geomspace(50, cut, 30)
        f = slt.fit_bnsl(x, bnsl(x, SIM), 1, x_test=x_test, y_test=bnsl(x_test, SIM))
        fits.append(f)
        print(f"predictability: data up to {cut:g}: extrapolation RMSLE "
              f"{f.extrapolation_rmsle:.3g}, d1 = {f.params.d[0]:.4g}")
    plot_predictability(*fits, truth=lambda t: bnsl(t, SIM)).savefig(
        out / "bnsl_predictability.png", dpi=110)

    model = slt.models.two_basins_2d()
    ns = np.geomspace(200, 40000, 24)
    post = slt.exact_posterior(model, np.concatenate([ns, ns + 1]), keep_density=False,
                               marginals_2d=False)
    gen = post.free_energy[24:] - post.free_energy[:24]
    sweep = slt.phase_sweep(model)
    fit = slt.fit_bnsl(ns, gen, 1)
    early = ns < 1000
    before = slt.fit_bnsl(ns[early], gen[early], 1, x_test=ns[~early], y_test=gen[~early])
    print(f"phase change: exact n_c {sweep.critical_n_exact:,.0f}, free-energy prediction "
          f"{sweep.critical_n_predicted:,.0f}; BNSL d1 = {fit.params.d[0]:,.0f} (c1 = "
          f"{fit.params.c[0]:.3g}, f1 = {fit.params.f[0]:.3g}), train RMSLE {fit.fit_rmsle:.3g};"
          f" fit on n < 1000: G(40000) predicted {before.y_test_pred[-1]:.3g} vs exact "
          f"{gen[-1]:.3g}, extrapolation RMSLE {before.extrapolation_rmsle:.3g}")
    fig = plot_bnsl_fit(before, title="two_basins_2d: G(n) = F(n+1) − F(n)",
                        markers={"exact critical n": sweep.critical_n_exact,
                                 "free-energy prediction": sweep.critical_n_predicted},
                        xlabel="n", ylabel="Bayes generalisation error G(n)")
    ax = fig.axes[0]
    xs = np.geomspace(ns[0], ns[-1], 400)
    ax.plot(xs, fit.predict(xs), color="tab:orange", lw=1.5,
            label=f"BNSL on all n: break d1 = {fit.params.d[0]:,.0f}")
    ax.legend(fontsize=7)
    fig.savefig(out / "bnsl_phase_change.png", dpi=110)


if __name__ == "__main__":
    main()
