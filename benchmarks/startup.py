"""Start-up cost: importing jax against importing slt_sim, and `slt-sim theory` end to end.

Each measurement is a fresh Python process (nothing cached in memory; the OS file cache is warm
after the first repeat). Prints, per case, the median and the minimum over ``--repeats`` of the
wall time and of the CPU time (user + system of the child, from ``os.wait4``): on a shared
machine the wall time includes waiting for a core, the CPU time does not.

    python benchmarks/startup.py [--repeats 7] [--json]

``slt-sim theory`` is a closed-form fraction, so its time is all start-up: Python, JAX, the
parser of every subcommand (NumPyro, ArviZ, optax, SciPy, matplotlib and ipywidgets are not
imported; slt_sim/_lazy.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import _repo

ROOT = _repo.ROOT

CASES = {
    "python": [sys.executable, "-c", "pass"],
    "import jax": [sys.executable, "-c", "import jax"],
    "import slt_sim": [sys.executable, "-c", "import slt_sim"],
    "slt-sim theory": [sys.executable, "-m", "slt_sim", "theory", "dln", "--widths", "4,3,4",
                       "--rank", "1"],
}


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process running ``cmd``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()
    results = {}
    for _ in range(args.repeats):               # interleaved: load changes hit every case alike
        for name, cmd in CASES.items():
            results.setdefault(name, []).append(timed(cmd))
    out = {name: {"wall_median": statistics.median(w for w, _ in r),
                  "wall_min": min(w for w, _ in r),
                  "cpu_median": statistics.median(c for _, c in r),
                  "cpu_min": min(c for _, c in r), "repeats": len(r)}
           for name, r in results.items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{'case':<16} {'wall median':>12} {'wall min':>9} {'CPU median':>11} {'CPU min':>8}"
          f"   ({args.repeats} fresh processes each; seconds)")
    for name, r in out.items():
        print(f"{name:<16} {r['wall_median']:>12.3f} {r['wall_min']:>9.3f} "
              f"{r['cpu_median']:>11.3f} {r['cpu_min']:>8.3f}")


if __name__ == "__main__":
    main()
