"""Latency of the explorers' slider interactions (compute + draw), on this machine's CPU.

For each interaction we set ``slider.value`` (which runs the update synchronously, as a browser
event would) and report the median wall time and CPU time of the update over several moves,
after one warm-up move (jit compilation is reported separately, as the first move). Baselines
measured in the same run:

* the same exact posterior on the engine's default graded grid instead of the explorer's grid;
* a full figure rebuild (new Figure, constrained layout, PNG) instead of the explorer's
  incremental redraw of the posterior panel.

    python benchmarks/widget_latency.py [--moves 8]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import numpy as np

import slt_sim  # noqa: F401  (float64)
from slt_sim.posterior import default_grid, exact_posterior
from slt_sim.widgets import PhaseExplorer
from slt_sim.widgets._frame import figure_png


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def median_times(pairs):
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def row(label, wall, cpu, extra=""):
    print(f"  {label:46s} wall {wall * 1e3:8.1f} ms   cpu {cpu * 1e3:8.1f} ms  {extra}")


def phase_explorer(moves: int) -> None:
    print("PhaseExplorer")
    w, c = timed(lambda: PhaseExplorer(n=1000.0))
    explorer = PhaseExplorer(n=1000.0)
    row("build (includes the 1-D region-mass sweep)", w, c)
    for landscape, ns in (("two basins, 1-D", np.geomspace(2e3, 5e4, moves)),
                          ("two basins, 2-D", np.geomspace(3e2, 2e4, moves))):
        print(f" {landscape}")
        w, c = timed(lambda v=landscape: setattr(explorer.landscape_picker, "value", v))
        row("switch landscape (first time: sweep + compile)", w, c)
        explorer.n_slider.value = 1234.0                       # warm-up move
        updates = [timed(lambda n=n: setattr(explorer.n_slider, "value", float(n))) for n in ns]
        wu, cu = median_times(updates)
        row(f"n slider move (median of {moves})", wu, cu)

        model, grid = explorer.model, explorer.grid
        engine = [timed(lambda n=n, m=model, g=grid: exact_posterior(m, [float(n)], grid=g,
                                                                     keep_density=True))
                  for n in ns]
        we, ce = median_times(engine)
        row(f"  of which exact posterior on the explorer grid {grid.shape}", we, ce)
        ref_grid = default_grid(model)
        exact_posterior(model, [1234.0], grid=ref_grid, keep_density=True)   # compile
        ref = [timed(lambda n=n, m=model, g=ref_grid: exact_posterior(m, [float(n)], grid=g,
                                                                      keep_density=True))
               for n in ns[:3]]
        wr, cr = median_times(ref)
        same = ref_grid.shape == grid.shape
        row(f"  baseline: engine on the default grid {ref_grid.shape}", wr, cr,
            "(the same grid in 1-D)" if same else f"(explorer grid {wr / we:.1f}x faster)")
        full = [timed(lambda: figure_png(explorer._new_figure())) for _ in range(3)]
        explorer._canvases.clear()                              # the next move rebuilds
        explorer.n_slider.value = float(ns[0])
        wf, cf = median_times(full)
        row("  baseline: full figure rebuild + PNG", wf, cf,
            f"(incremental update {wf / max(wu - we, 1e-9):.1f}x faster than rebuild)")
        w, c = timed(lambda: setattr(explorer.beta_slider, "value", 0.5))
        row("β slider move to a new β (new sweep)", w, c)
        w, c = timed(lambda: setattr(explorer.beta_slider, "value", 1.0))
        row("β slider back to a seen β (cached sweep)", w, c)
    explorer.landscape_picker.value = "two basins, 1-D"
    explorer.prior_picker.value = "Gaussian"
    w, c = timed(lambda: setattr(explorer.prior_centre_slider, "value", 0.5))
    row("prior centre move (new prior: new sweep, no recompilation)", w, c)
    w, c = timed(lambda: setattr(explorer.prior_centre_slider, "value", 0.0))
    row("prior centre back to a seen value (cached)", w, c)


def moves(label, widget, values):
    widget.value = values[-1]                                  # warm-up move
    w, c = median_times([timed(lambda x=x: setattr(widget, "value", x)) for x in values])
    row(f"{label} (median of {len(values)})", w, c)
    return w, c


def other_explorers(count: int) -> None:
    from slt_sim.measure import estimate_llc, volume_curve
    from slt_sim.widgets import LLCExplorer, TMSExplorer, TMSSettings, VolumeExplorer

    print("VolumeExplorer")
    w, c = timed(lambda: VolumeExplorer(eps=1e-2))
    row("build (V(ε) at 49 ε and the fit, a² + b²)", w, c)
    vol = VolumeExplorer(eps=1e-2)
    eps = np.geomspace(1e-1, 1e-6, count)
    wu, cu = moves("ε slider move", vol.eps_slider, eps)
    we, ce = median_times([timed(lambda e=e: volume_curve(vol.model, eps=[float(e)],
                                                          method="grid")) for e in eps])
    row("  of which volume_curve at one ε", we, ce)

    print("LLCExplorer")
    w, c = timed(lambda: LLCExplorer(chains=4, nbeta=1_000))
    row("build (calibration map: 16 settings + MALA)", w, c)
    llc = LLCExplorer(chains=4, nbeta=1_000)
    steps = np.geomspace(3e-5, 1e-3, count)
    moves("step size move (4 chains × 1200 SGLD steps)", llc.step_slider, steps)
    settings = llc.run_settings()
    we, ce = median_times([timed(lambda e=e: estimate_llc(
        llc.model, llc.w_star, **{**settings, "step_size": float(e)})) for e in steps])
    row("  of which estimate_llc", we, ce)

    print("TMSExplorer (quick settings)")
    quick = TMSSettings(ladder=(1.0, 10.0, 100.0, 1000.0), rex_steps=300, sgd_steps=2000,
                        checkpoints=12, llc_draws=40)
    w, c = timed(lambda: TMSExplorer(6, settings=quick))
    row("build (replica exchange, SGD run, λ̂ trajectory)", w, c)
    t = TMSExplorer(6, settings=quick)
    moves("checkpoint (play) move", t.play, list(range(0, 12))[:count])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=8, help="slider moves per measurement")
    args = parser.parse_args()
    phase_explorer(args.moves)
    other_explorers(args.moves)


if __name__ == "__main__":
    main()
