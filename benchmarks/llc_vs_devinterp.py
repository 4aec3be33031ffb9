"""LLC throughput and accuracy: slt_sim (JAX) against devinterp (PyTorch), in one run.

Same problem on both sides: deep linear network widths 4-3-4, true rank 1, n = 10,000 Gaussian
inputs (σ = 1), w* = the true parameter, SGLD with batch 500, the same chains × (burn-in +
draws), step size ε, localisation γ and nβ = n / log n; both share one minibatch order across
chains (devinterp's default). λ̂ on both sides is nβ (mean loss over the kept draws − L(w*)).
Our side runs in this process; devinterp's in a subprocess with the Python of ``.venv-bench``
(``make -C benchmarks bench-venv``). Prints both wall times, draws/s, the ratio and both
estimates against the theory λ = 6.

    python benchmarks/llc_vs_devinterp.py --bench-python .venv-bench/bin/python

"Draws" are sampler steps summed over chains (burn-in included). Our time is reported cold (the
first call, compilation included) and warm (a second call with the compiled sampler cached).

``--whole-process`` times whole fresh processes instead, start-up and compilation included: the
command line ``slt-sim llc --model dln --widths 4,3,4 --rank 1 --sampler sgld --at true
--nbeta-factors none ...`` at the same settings, cold (an empty compilation cache) and warm (the
cache its first run filled), against the process that runs devinterp's SGLD loop. Each side is
reported as wall time and CPU time (user + system of the child process, ``os.wait4``): on a
shared machine the wall time includes waiting for a core, the CPU time does not.

    python benchmarks/llc_vs_devinterp.py --whole-process --draws 4000 --burnin 0 \
        --localization 10 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import _repo
import jax
import numpy as np

import slt_sim as slt
from slt_sim.measure import estimate_llc

ROOT = _repo.ROOT


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench-python", default=str(ROOT / ".venv-bench" / "bin" / "python"),
                   help="Python of the venv with torch and devinterp")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--burnin", type=int, default=500)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--step-size", type=float, default=1e-4)
    p.add_argument("--localization", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--devinterp-dataset", choices=("torch", "hf"), default="torch",
                   help="dataset type handed to devinterp (torch: fastest; hf: HuggingFace)")
    p.add_argument("--torch-threads", type=int, default=1,
                   help="torch intra-op threads (1 is fastest for this tiny network; more "
                        "threads oversubscribe a small CPU)")
    p.add_argument("--skip-devinterp", action="store_true", help="only time our side")
    p.add_argument("--whole-process", action="store_true",
                   help="time whole fresh processes (start-up and compilation included): the "
                        "slt-sim llc command line, cold and warm compilation cache, against the "
                        "devinterp process")
    p.add_argument("--repeats", type=int, default=3, help="--whole-process: runs of each side")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args()


def ours(args, model, data, nbeta):
    kw = {"key": jax.random.key(args.seed), "data": data, "sampler": "sgld",
          "num_chains": args.chains, "num_draws": args.draws, "num_burnin": args.burnin,
          "step_size": args.step_size, "localization": args.localization, "nbeta": nbeta,
          "batch_size": args.batch_size, "shared_batches": True}
    cold = estimate_llc(model, model.true_param, **kw)
    warm = estimate_llc(model, model.true_param, **kw)
    return cold, warm


def process_times(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall, CPU, stdout) of one fresh process; CPU = user + system time of the child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed (exit {proc.returncode}):\n{err[-3000:]}")
    return wall, _child_cpu(), out


_CPU_SEEN = [0.0]


def _child_cpu() -> float:
    """CPU seconds of the last reaped child (difference of RUSAGE_CHILDREN totals)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    cpu, _CPU_SEEN[0] = total - _CPU_SEEN[0], total
    return cpu


def cli_command(args) -> list[str]:
    """``slt-sim llc`` at the benchmark's settings (the issue-10 command for the defaults)."""
    return [sys.executable, "-m", "slt_sim", "llc", "--model", "dln", "--widths", "4,3,4",
            "--rank", "1", "--n", str(args.n), "--chains", str(args.chains),
            "--draws", str(args.draws), "--batch-size", str(args.batch_size),
            "--step-size", f"{args.step_size:g}", "--localization", f"{args.localization:g}",
            "--sampler", "sgld", "--at", "true", "--nbeta-factors", "none",
            "--burnin", str(args.burnin), "--seed", str(args.seed), "--json"]


def whole_process(args, model, data, nbeta) -> dict:
    """Fresh processes end to end: ours cold/warm compilation cache, devinterp's."""
    _child_cpu()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("SLT_SIM_COMPILE_CACHE", None)
    cold, warm, peer, estimates = [], [], [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            env["XDG_CACHE_HOME"] = cache
            wall, cpu, out = process_times(cli_command(args), env)
            cold.append((wall, cpu))
            wall, cpu, out = process_times(cli_command(args), env)
            warm.append((wall, cpu))
            estimates.append(json.loads(out)["llc_mean"])
        if not args.skip_devinterp:
            t0 = time.perf_counter()
            result = devinterp_side(args, model, data, nbeta)
            peer.append((time.perf_counter() - t0, _child_cpu(), result["llc_mean"]))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    out = {"repeats": args.repeats, "command": " ".join(["slt-sim"] + cli_command(args)[3:]),
           "slt_sim_cold": {"wall": med(cold, 0), "cpu": med(cold, 1)},
           "slt_sim_warm": {"wall": med(warm, 0), "cpu": med(warm, 1)},
           "slt_sim_llc_mean": statistics.median(estimates)}
    if peer:
        out["devinterp"] = {"wall": med(peer, 0), "cpu": med(peer, 1),
                            "llc_mean": med(peer, 2)}
        for side in ("cold", "warm"):
            for what in ("wall", "cpu"):
                out[f"ratio_{side}_{what}"] = out["devinterp"][what] / out[f"slt_sim_{side}"][what]
    return out


def devinterp_side(args, model, data, nbeta) -> dict:
    mats = model.extra["unpack"](np.asarray(model.true_param))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "problem.npz")
        np.savez(path, x=np.asarray(data.x), y=np.asarray(data.y), layers=len(mats),
                 **{f"W{i}": np.asarray(w) for i, w in enumerate(mats)},
                 chains=args.chains, draws=args.draws, burnin=args.burnin,
                 batch_size=args.batch_size, step_size=args.step_size,
                 localization=args.localization, nbeta=nbeta, seed=args.seed,
                 threads=args.torch_threads, dataset=args.devinterp_dataset)
        proc = subprocess.run([args.bench_python, str(ROOT / "benchmarks" / "_devinterp_side.py"),
                               path], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"devinterp side failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse()
    model = slt.models.deep_linear_network((4, 3, 4), 1)
    lam = float(model.lam)
    data = model.sample_data(jax.random.key(1000 + args.seed), args.n)
    nbeta = args.n / math.log(args.n)
    if args.whole_process:
        res = whole_process(args, model, data, nbeta)
        if args.json:
            print(json.dumps(res, indent=2))
            return
        print(f"whole process, median of {res['repeats']} fresh runs each "
              f"({os.cpu_count()} CPUs; wall includes waiting for a core on a shared machine)")
        print(f"  {res['command']}")
        rows = [("slt_sim cold cache", res["slt_sim_cold"]),
                ("slt_sim warm cache", res["slt_sim_warm"])]
        if "devinterp" in res:
            rows.append(("devinterp 2.0.1", res["devinterp"]))
        for name, r in rows:
            print(f"  {name:<20} wall {r['wall']:6.2f} s   CPU {r['cpu']:6.2f} s")
        if "devinterp" in res:
            print("  devinterp / slt_sim: "
                  f"cold {res['ratio_cold_wall']:.1f}× wall, {res['ratio_cold_cpu']:.1f}× CPU; "
                  f"warm {res['ratio_warm_wall']:.1f}× wall, {res['ratio_warm_cpu']:.1f}× CPU "
                  f"(λ̂: ours {res['slt_sim_llc_mean']:.3f}, devinterp "
                  f"{res['devinterp']['llc_mean']:.3f}; theory {lam:g})")
        return
    cold, warm = ours(args, model, data, nbeta)
    peer = None if args.skip_devinterp else devinterp_side(args, model, data, nbeta)

    steps = args.chains * (args.burnin + args.draws)
    out = {
        "problem": {"model": model.name, "n": args.n, "batch_size": args.batch_size,
                    "chains": args.chains, "burnin": args.burnin, "draws": args.draws,
                    "step_size": args.step_size, "localization": args.localization,
                    "nbeta": nbeta, "lambda": lam, "cpu_count": os.cpu_count(),
                    "device": str(jax.devices()[0].platform)},
        "slt_sim": {"llc_mean": warm.llc_mean, "llc_std": warm.llc_std,
                    "seconds_cold": cold.seconds, "seconds_warm": warm.seconds,
                    "draws_per_second_warm": steps / warm.seconds,
                    "draws_per_second_cold": steps / cold.seconds,
                    "warnings": list(warm.warnings)},
    }
    if peer is not None:
        out["devinterp"] = peer
        out["ratio_warm"] = out["slt_sim"]["draws_per_second_warm"] / peer["draws_per_second"]
        out["ratio_cold"] = out["slt_sim"]["draws_per_second_cold"] / peer["draws_per_second"]
    if args.json:
        print(json.dumps(out, indent=2))
        return
    pr = out["problem"]
    print(f"DLN 4-3-4 rank 1, n={args.n}, batch {args.batch_size}, {args.chains} chains × "
          f"({args.burnin} burn-in + {args.draws} draws), ε={args.step_size:g}, "
          f"γ={args.localization:g}, nβ={nbeta:.1f}; theory λ = {lam:g}; {pr['cpu_count']} CPUs")
    s = out["slt_sim"]
    print(f"  slt_sim   : {s['seconds_warm']:7.2f} s warm ({s['draws_per_second_warm']:9,.0f} "
          f"draws/s), {s['seconds_cold']:6.2f} s cold; λ̂ = {s['llc_mean']:.3f} ± "
          f"{s['llc_std']:.3f} ({s['llc_mean'] / lam - 1:+.1%})")
    if peer is not None:
        print(f"  devinterp : {peer['seconds']:7.2f} s      ({peer['draws_per_second']:9,.0f} "
              f"draws/s);            λ̂ = {peer['llc_mean']:.3f} ± {peer['llc_std']:.3f} "
              f"({peer['llc_mean'] / lam - 1:+.1%})  [its own llc_mean, burn-in included: "
              f"{peer['llc_devinterp_reported']:.3f}]")
        print(f"  throughput ratio slt_sim / devinterp: {out['ratio_warm']:.1f}× warm, "
              f"{out['ratio_cold']:.1f}× cold (torch {peer['torch']})")


if __name__ == "__main__":
    main()
