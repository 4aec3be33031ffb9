"""The grokking study behind docs/grokking.md: p = 53, one run with λ̂ along training (calibrated
and devinterp settings), the random-label control, the training-fraction sweep with the
free-energy prediction, and ungrokking. Prints JSON; writes the figures with --figures DIR.

    python benchmarks/grok_study.py --figures docs/figures > grok_study.json

Takes tens of minutes on a 2-core CPU (most of it the sweep); ``--quick`` shrinks everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np

import slt_sim as slt
from slt_sim.dynamics import grokking as gk
from slt_sim.viz import plot_critical_size, plot_grokking


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--p", type=int, default=53)
    ap.add_argument("--frac", type=float, default=0.4)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1.0)
    ap.add_argument("--fracs", default="0.1,0.2,0.3,0.4,0.6,0.8")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--figures", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--sweep-only", action="store_true",
                    help="only the sweep and ungrokking, λ̂ with CALIBRATED_LLC")
    ap.add_argument("--llc-gamma", type=float, default=None, help="override γ of the sweep")
    a = ap.parse_args(argv)
    out: dict = {}
    t_all = time.perf_counter()
    key = jax.random.key(0)

    def log(msg):
        print(f"[{time.perf_counter() - t_all:7.1f} s] {msg}", file=sys.stderr, flush=True)

    rec = dict(gk.CALIBRATED_LLC)
    if a.llc_gamma is not None:
        rec["localization"] = a.llc_gamma
    if not a.sweep_only:
        rec = _single_run(a, out, key, log)
    _sweep(a, out, key, log, rec)
    out["seconds"] = time.perf_counter() - t_all
    json.dump(out, sys.stdout, indent=1, default=float)
    return 0


def _single_run(a, out, key, log) -> dict:
    # 1. one run and its random-label twin, one vectorised call ------------------------------
    run = gk.train_grokking(a.p, a.frac, 0, random_labels=[False, True], grid=False,
                            num_steps=a.steps, lr=a.lr, weight_decay=a.wd, checkpoints=24)
    log(f"trained 2 runs in {run.seconds:.1f} s")
    out["run"] = {"steps": run.steps.tolist(), "train_acc": run.train_acc.tolist(),
                  "test_acc": run.test_acc.tolist(), "train_loss": run.train_loss.tolist(),
                  "memorise_step": run.memorise_step().tolist(),
                  "grok_step": run.grok_step().tolist(), "seconds": run.seconds,
                  "settings": run.settings}

    # 2. calibration at the final (generalising) network -----------------------------------
    model = run.model(0)
    draws = 100 if a.quick else 500
    cal = slt.calibrate_llc(model, run.params[0, -1], key=jax.random.fold_in(key, 1),
                            data=model.extra["train"], step_sizes=(3e-4, 1e-3, 2e-3),
                            localizations=(3.0, 10.0, 30.0), num_chains=2, num_draws=draws,
                            num_burnin=draws // 3)
    log("calibration done\n" + cal.table())
    out["calibration"] = cal.as_dict()
    if cal.ok.any():
        i, j = cal.recommended_index
        rule = "calibrate_llc recommendation (every check passed)"
    else:   # none passed: among MALA acceptance ≥ 0.9, the smallest R-hat
        rhat = np.where(cal.acceptance >= 0.9, cal.rhat, np.inf)
        i, j = np.unravel_index(int(np.argmin(rhat)), rhat.shape)
        rule = "no setting passed every check; chosen: MALA acceptance ≥ 0.9, smallest R-hat"
    rec = dict(gk.CALIBRATED_LLC, step_size=float(cal.step_sizes[i]),
               localization=float(cal.localizations[j]))
    out["calibration_rule"] = rule
    log(f"{rule}: ε = {rec['step_size']:g}, γ = {rec['localization']:g}")
    if a.quick:
        rec.update(num_draws=100, num_burnin=30, num_chains=2)
    out["calibrated_settings"] = rec

    # 3. λ̂ along training, both settings; the random-label control ---------------------------
    K = len(run.steps)
    ks = list(range(K - 14, K)) if K > 14 else None
    traj = {}
    for name, st in (("calibrated", rec), ("devinterp", gk.DEVINTERP_LLC)):
        t0 = time.perf_counter()
        tr = gk.grokking_llc(run, 0, key=jax.random.fold_in(key, 2), checkpoints=ks,
                             settings=st)
        rl = gk.point_llc(run, 1, key=jax.random.fold_in(key, 3), settings=st)
        traj[name] = tr
        peak = int(np.argmax(tr.llc_mean))
        out[f"llc_{name}"] = {"steps": tr.steps.tolist(), "llc_mean": tr.llc_mean.tolist(),
                              "llc_std": tr.llc_std.tolist(), "nbeta": tr.nbeta,
                              "peak": float(tr.llc_mean[peak]),
                              "peak_step": int(tr.steps[peak]),
                              "final": float(tr.llc_mean[-1]), "random_labels": rl[0],
                              "random_labels_se": rl[1], "random_labels_loss": rl[2],
                              "settings": tr.settings, "seconds": time.perf_counter() - t0}
        log(f"λ̂ {name}: peak {tr.llc_mean[peak]:.3g} at step {tr.steps[peak]}, final "
            f"{tr.llc_mean[-1]:.3g}, random labels {rl[0]:.3g}")
    if a.figures:
        d = Path(a.figures)
        d.mkdir(parents=True, exist_ok=True)
        fig = plot_grokking(run, 0, llc=traj["calibrated"],
                            llc_other={"λ̂ devinterp settings": traj["devinterp"]},
                            random_llc=out["llc_calibrated"]["random_labels"])
        fig.savefig(d / "grokking_llc.png", dpi=110)

    return rec


def _sweep(a, out, key, log, rec) -> None:
    # 4. the sweep over the training fraction and the free-energy reading --------------------
    if not a.skip_sweep:
        fracs = [float(x) for x in a.fracs.split(",")]
        crit = gk.critical_dataset_size(a.p, fracs, a.seeds, key=jax.random.fold_in(key, 4),
                                        num_steps=a.steps, lr=a.lr, weight_decay=a.wd,
                                        llc_settings=rec)
        out["sweep"] = crit.as_dict()
        out["sweep"]["train_seconds"] = crit.run.seconds
        log(f"sweep done in {crit.seconds:.1f} s: critical {crit.critical_frac:.3g}, predicted "
            f"{crit.predicted_critical_frac:.3g}")
        if a.figures:
            plot_critical_size(crit).savefig(Path(a.figures) / "grokking_critical_size.png",
                                             dpi=110)

        # 5. ungrokking: a grokked network (largest fraction) trained on smaller subsets ------
        F, S = len(fracs), len(crit.settings["seeds"])
        g = (F - 1) * S + int(np.argmax(crit.test_acc_per_seed[-1]))
        small = [f for f in fracs if f < fracs[-1]]
        ung = gk.train_grokking(a.p, small, int(crit.run.seed[g]), num_steps=a.steps,
                                lr=a.lr, weight_decay=a.wd, checkpoints=16,
                                init=crit.run.params[g, -1])
        out["ungrokking"] = {"from_frac": fracs[-1], "from_test_acc":
                             float(crit.run.test_acc[g, -1]), "train_frac": small,
                             "test_acc_start": ung.test_acc[:, 0].tolist(),
                             "test_acc_end": ung.test_acc[:, -1].tolist(),
                             "train_acc_end": ung.train_acc[:, -1].tolist(),
                             "steps": ung.steps.tolist(), "test_acc": ung.test_acc.tolist()}
        log(f"ungrokking: test acc end {np.round(ung.test_acc[:, -1], 3)}")
        if a.figures:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6.4, 3.4), layout="constrained")
            ax = fig.subplots()
            for i, f in enumerate(small):
                ax.plot(np.maximum(ung.steps, 1), ung.test_acc[i], lw=1.6,
                        label=f"continue on fraction {f:g}")
            if np.isfinite(crit.critical_frac):
                ax.set_title(f"ungrokking: a network grokked at fraction {fracs[-1]:g}, trained "
                             f"on a subset\n(measured critical fraction ≈ "
                             f"{crit.critical_frac:.2f})", fontsize=9)
            ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel("further steps")
            ax.set_ylabel("test accuracy (held-out pairs)")
            ax.legend(fontsize=7)
            fig.savefig(Path(a.figures) / "grokking_ungrokking.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
