"""The main job: watch the posterior jump between basins as n grows (``slt-sim demo``).

On the two crafted landscapes of the catalogue it computes exact posteriors (grid quadrature),
the region masses against n with the exact and the free-energy-predicted critical n, and the
free-energy slope of a normal crossing, then writes PNG figures and ``summary.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import models
from .measure.free_energy import free_energy_lambda
from .posterior.exact import exact_posterior
from .posterior.phase import phase_sweep
from .viz.phase import (
    plot_free_energy,
    plot_posterior_snapshots,
    plot_region_free_energies,
    plot_region_masses,
)


def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=110)
    return path.name


def run_demo(out_dir: str | Path = "demo_output") -> dict:
    """Run the demo, write figures and ``summary.json`` into ``out_dir``; return the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    summary: dict = {"figures": []}

    # 1-D: the primer's picture — wide shallow basin vs narrow deep basin far out
    m1 = models.two_basins_1d()
    s1 = phase_sweep(m1, np.logspace(1, 5, 81))
    snaps1 = exact_posterior(m1, [1_000, 10_000, 10_500, 11_000, 20_000])
    summary["figures"].append(_save(
        plot_posterior_snapshots(snaps1, xlim=(-4.0, 12.0), loss=lambda x: np.asarray(
            m1.potential(x[:, None]))), out / "two_basins_1d_posterior.png"))
    summary["figures"].append(_save(plot_region_masses(s1), out / "two_basins_1d_masses.png"))
    summary["two_basins_1d"] = {
        **_sweep_summary(s1),
        "mass_at": {f"{n:g}": {r: float(mm[i]) for r, mm in snaps1.region_masses.items()}
                    for i, n in enumerate(snaps1.ns)},
    }

    # 2-D: regular basin (λ = 1) at lower loss vs singular cross (λ = 1/2, m = 2) at higher loss
    m2 = models.two_basins_2d()
    s2 = phase_sweep(m2, np.logspace(1, 6, 51))
    nc = s2.critical_n_exact
    snaps2 = exact_posterior(m2, [30, 300, round(nc), 10 * round(nc)])
    summary["figures"].append(_save(plot_posterior_snapshots(snaps2, log_scale=True),
                                    out / "two_basins_2d_posterior.png"))
    summary["figures"].append(_save(plot_region_masses(s2), out / "two_basins_2d_masses.png"))
    summary["figures"].append(_save(plot_region_free_energies(s2, m2),
                                    out / "two_basins_2d_free_energy.png"))
    summary["two_basins_2d"] = _sweep_summary(s2)

    # the learning coefficient from F_n: a normal crossing with m = 2
    nc_model = models.normal_crossing((1, 1))
    fe = free_energy_lambda(nc_model, np.logspace(2, 8, 13))
    summary["figures"].append(_save(plot_free_energy(fe), out / "free_energy_slope.png"))
    summary["free_energy_slope"] = {"model": nc_model.name, "lambda_hat": fe.lam_hat,
                                    "lambda_ci": list(fe.lam_ci), "m_hat": fe.m_hat,
                                    "lambda": fe.lam, "m": fe.m}
    summary["seconds"] = time.perf_counter() - t0
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _sweep_summary(s) -> dict:
    return {"switch": list(s.pair) if s.pair else None,
            "critical_n_exact": s.critical_n_exact,
            "critical_n_predicted": s.critical_n_predicted,
            "critical_n_predicted_no_const": s.critical_n_predicted_no_const,
            "constants": s.constants}


def format_table(summary: dict) -> str:
    """A short text table of the demo's results."""
    rows = ["landscape        switch               exact n_c    predicted n_c  (no const)"]
    for key in ("two_basins_1d", "two_basins_2d"):
        s = summary[key]
        sw = " → ".join(s["switch"]) if s["switch"] else "none"
        pred0 = s["critical_n_predicted_no_const"]
        rows.append(f"{key:16s} {sw:20s} {s['critical_n_exact']:11,.0f}  "
                    f"{s['critical_n_predicted']:13,.0f}  "
                    f"({'never' if pred0 is None else f'{pred0:,.0f}'})")
    f = summary["free_energy_slope"]
    rows.append(f"free-energy slope on {f['model']}: λ̂ = {f['lambda_hat']:.4f} "
                f"(theory {f['lambda']:g}), m̂ = {f['m_hat']} (theory {f['m']})")
    m = summary["two_basins_1d"]["mass_at"]
    rows.append("1-D toy, mass in the wide basin: " + ", ".join(
        f"n={k}: {v['wide']:.3f}" for k, v in m.items()))
    rows.append(f"figures: {', '.join(summary['figures'])}  ({summary['seconds']:.1f} s)")
    return "\n".join(rows)
