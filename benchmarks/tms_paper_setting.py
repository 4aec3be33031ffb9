"""TMS c = 6: which setting moves the Bayesian 5-gon → 6-gon crossing (ours n ≈ 212, paper 600–700).

    python benchmarks/tms_paper_setting.py [--quick] [--seeds 2] [--json out.json]

Three settings, each sampled by replica exchange over n (MALA + swaps; prior N(0, I)):

* ``ours``: ℓ = ‖x − f(x)‖², posterior φ exp(−n L), closed-form population loss L;
* ``gaussian``: the Normal(·, σ = 1) likelihood of the NUTS demos, φ exp(−n L / 2), population loss;
* ``gaussian+data``: the same with a finite data set of n draws (one ladder 1 … n per n and data
  seed; the top rung is the Bayes posterior given the data).

At each n the posterior occupancy of the 5-gon and 6-gon is read with two classifiers: ours
(``classify_phase``: live columns of norm > 0.5 on the hull, no column inside, no '+' feature)
and the demos' convex-hull vertex count of all columns (``hull_vertex_count``: 5+ and a 5-gon
with a column inside count as 5). The crossing is where P(6) − P(5) changes sign (log-linear
interpolation in n). Also printed: the free-energy predictions n s ΔL = Δλ log n + Δc with
Δc = 0 and with the paper's prior-only Δc = 2.7535.
"""

from __future__ import annotations

import argparse
import json
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import numpy as np
from scipy.optimize import brentq

from slt_sim.models import superposition as tms
from slt_sim.posterior import last_crossing, replica_exchange

C = 6
GRID = (100, 200, 300, 450, 600, 800, 1200, 2000)
FINITE_GRID = (100, 200, 300, 450, 600, 800, 1200, 2000)


def occupancies(draws, names_of_region, region_names):
    """(P5, P6) for both classifiers from draws of shape (R, records, J, d)."""
    flat = draws.reshape(-1, draws.shape[-1])
    strict = np.asarray(tms.classify_phase(flat, C)).reshape(draws.shape[:-1])
    hull = np.asarray(tms.hull_vertex_count(flat, C)).reshape(draws.shape[:-1])
    out = {}
    for k in (5, 6):
        out[f"strict{k}"] = (strict == str(k)).mean(axis=(0, 1))
        out[f"hull{k}"] = (hull == k).mean(axis=(0, 1))
    return out


def predictions(scale):
    l5, l6 = tms.kgon_norm_bias(C, 5)[2], tms.kgon_norm_bias(C, 6)[2]
    dc = tms.prior_term(C, 6) - tms.prior_term(C, 5)
    out = {}
    for name, c0 in (("no_constant", 0.0), ("prior_only_constant", dc)):
        out[name] = brentq(lambda n, c0=c0: n * scale * (l5 - l6) - 1.5 * np.log(n) - c0,
                           50, 1e5)
    return out


def population(likelihood, args, key):
    model = tms.toy_superposition(C, likelihood=likelihood)
    ns = np.unique(np.concatenate([np.geomspace(1, 5000, args.rungs), GRID]))
    t0 = time.perf_counter()
    occ = replica_exchange(model, ns, key=key, num_replicas=args.replicas, num_steps=args.steps,
                           num_burnin=args.steps // 4, keep_draws=True)
    o = occupancies(occ.draws, None, None)
    res = {"ns": ns.tolist(), **{k: x.tolist() for k, x in o.items()},
           "crossing_strict": last_crossing(ns, o["strict6"] - o["strict5"]),
           "crossing_hull": last_crossing(ns, o["hull6"] - o["hull5"]),
           "swap_acceptance_min": float(occ.swap_acceptance.min()),
           "seconds": time.perf_counter() - t0, "settings": occ.settings,
           "prediction": predictions(model.extra["likelihood_scale"])}
    return res


def finite(likelihood, args, key):
    model = tms.toy_superposition(C, likelihood=likelihood)
    per_seed = []
    t0 = time.perf_counter()
    for s in range(args.first_seed, args.first_seed + args.seeds):
        big = model.sample_data(jax.random.fold_in(key, 1000 + s), max(args.grid))
        rows = {k: [] for k in ("strict5", "strict6", "hull5", "hull6", "swap_min")}
        for n in args.grid:
            rungs = int(np.ceil(np.log(n) / np.log(args.finite_ratio))) + 1
            data = type(big)(big.x[:n], big.y[:n])  # nested data sets per seed
            occ = replica_exchange(model, np.geomspace(1, n, rungs),
                                   key=jax.random.fold_in(key, 10 * n + s),
                                   num_replicas=args.replicas, num_steps=args.finite_steps,
                                   num_burnin=args.finite_steps // 4, data=data,
                                   keep_draws=True)
            o = occupancies(occ.draws[:, :, -1:, :], None, None)
            for k in ("strict5", "strict6", "hull5", "hull6"):
                rows[k].append(float(o[k][0]))
            rows["swap_min"].append(float(occ.swap_acceptance.min()))
            print(f"  seed {s} n = {n:5d}: strict P5 {rows['strict5'][-1]:.2f} P6 "
                  f"{rows['strict6'][-1]:.2f} | hull P5 {rows['hull5'][-1]:.2f} P6 "
                  f"{rows['hull6'][-1]:.2f} | swap min {rows['swap_min'][-1]:.2f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        rows["crossing_strict"] = last_crossing(args.grid,
                                                np.subtract(rows["strict6"], rows["strict5"]))
        rows["crossing_hull"] = last_crossing(args.grid, np.subtract(rows["hull6"], rows["hull5"]))
        per_seed.append(rows)
    mean = {k: np.mean([r[k] for r in per_seed], axis=0).tolist()
            for k in ("strict5", "strict6", "hull5", "hull6")}
    return {"ns": list(args.grid), "per_seed": per_seed, **mean,
            "crossing_strict": last_crossing(args.grid, np.subtract(mean["strict6"],
                                                               mean["strict5"])),
            "crossing_hull": last_crossing(args.grid, np.subtract(mean["hull6"], mean["hull5"])),
            "seconds": time.perf_counter() - t0,
            "prediction": predictions(model.extra["likelihood_scale"])}


def nuts(likelihood, args, key):
    """NUTS as in the demos (4 chains, 500 warm-up, 1,000 draws, no tempering) on the same nested
    data sets as :func:`finite` (data seed ``--first-seed``, drawn at size max(--grid))."""
    from slt_sim.posterior import sample_posterior

    model = tms.toy_superposition(C, likelihood=likelihood)
    s = args.first_seed
    big = model.sample_data(jax.random.fold_in(key, 1000 + s), max(args.grid))
    out = {"ns": [], "strict5": [], "strict6": [], "hull5": [], "hull6": [], "per_chain_hull6": []}
    t0 = time.perf_counter()
    for n in [int(x) for x in args.nuts.split(",")]:
        data = type(big)(big.x[:n], big.y[:n])
        tree = sample_posterior(model, key=jax.random.fold_in(key, 7 * n + s), data=data,
                                num_chains=4, num_warmup=500, num_samples=1000,
                                log_likelihood=False, warn=False)
        w = np.asarray(tree.posterior["w"])  # (chain, draw, d)
        o = occupancies(w[:, :, None, :], None, None)
        hull = np.asarray(tms.hull_vertex_count(w.reshape(-1, w.shape[-1]), C))
        per_chain = (hull.reshape(w.shape[:2]) == 6).mean(axis=1)
        out["ns"].append(n)
        for k in ("strict5", "strict6", "hull5", "hull6"):
            out[k].append(float(o[k][0]))
        out["per_chain_hull6"].append(per_chain.tolist())
        print(f"  NUTS seed {s} n = {n:5d}: strict P5 {out['strict5'][-1]:.2f} P6 "
              f"{out['strict6'][-1]:.2f} | hull P5 {out['hull5'][-1]:.2f} P6 "
              f"{out['hull6'][-1]:.2f} | P6 per chain {np.round(per_chain, 2).tolist()} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    out["seconds"] = time.perf_counter() - t0
    return out


def table(name, res, grid=GRID):
    ns = np.asarray(res["ns"])
    cols = [int(np.argmin(np.abs(ns - n))) for n in grid]
    print(f"\n== {name} ({res['seconds']:.0f} s)")
    print(f"{'n':>16}" + "".join(f"{int(round(ns[j])):>7}" for j in cols))
    for k, label in (("strict5", "P(5) ours"), ("strict6", "P(6) ours"),
                     ("hull5", "P(5) hull count"), ("hull6", "P(6) hull count")):
        print(f"{label:>16}" + "".join(f"{res[k][j]:7.2f}" for j in cols))
    f = (lambda x: "none" if x is None else f"{x:.0f}")
    print(f"crossing: ours {f(res['crossing_strict'])}, hull count {f(res['crossing_hull'])}; "
          f"predicted (Δc = 0) {res['prediction']['no_constant']:.0f}, (Δc = 2.7535) "
          f"{res['prediction']['prior_only_constant']:.0f}")


def merge(paths):
    """Settings from several JSON files; finite-data seeds of the same setting are pooled (the
    mean at each n over the seeds that ran it)."""
    res, pooled = {}, {}
    for path in paths:
        with open(path) as fh:
            for k, x in json.load(fh).items():
                if not isinstance(x, dict):
                    continue
                if "per_seed" not in x:
                    res.setdefault(k, x)
                    continue
                for seed in x["per_seed"]:
                    for j, n in enumerate(x["ns"]):
                        for q in ("strict5", "strict6", "hull5", "hull6"):
                            pooled.setdefault(k, {}).setdefault(n, {}).setdefault(
                                q, []).append(seed[q][j])
    for k, by_n in pooled.items():
        ns = sorted(by_n)
        r = {"ns": ns, "seeds": [len(by_n[n]["hull5"]) for n in ns]}
        for q in ("strict5", "strict6", "hull5", "hull6"):
            r[q] = [float(np.mean(by_n[n][q])) for n in ns]
            r[q + "_sd"] = [float(np.std(by_n[n][q])) for n in ns]
        r["crossing_strict"] = last_crossing(ns, np.subtract(r["strict6"], r["strict5"]))
        r["crossing_hull"] = last_crossing(ns, np.subtract(r["hull6"], r["hull5"]))
        res[k] = r
    return res


def plot(paths, out):
    """Hull-count occupancy P(5), P(6) against n for every setting in the JSON files."""
    from matplotlib.figure import Figure

    res = merge(paths)
    fig = Figure(figsize=(7.2, 4.2), layout="constrained")
    ax = fig.subplots()
    styles = {"ours": ("C0", "-"), "gaussian": ("C3", "-"), "gaussian+data": ("C3", ":"),
              "ours+data": ("C0", ":")}
    for name, r in res.items():
        col, ls = styles.get(name, ("k", "--"))
        ns = np.asarray(r["ns"])
        keep = (ns >= 50) & (ns <= 3000)
        for k, mk in ((5, "o"), (6, "s")):
            ax.plot(ns[keep], np.asarray(r[f"hull{k}"])[keep], color=col, ls=ls, marker=mk,
                    ms=3.5, lw=1.4, mfc="white" if k == 5 else col,
                    label=f"{name}: P({k}-gon)")
        if r.get("crossing_hull"):
            ax.axvline(r["crossing_hull"], color=col, ls=ls, lw=0.8, alpha=0.7)
    ax.axvspan(600, 700, color="0.85", zorder=0, label="paper: switch at n ≈ 600–700")
    ax.set_xscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("posterior occupancy (hull vertex count)")
    ax.set_title("TMS c = 6: 5-gon (open) vs 6-gon (filled); ours exp(−nL) vs Normal(σ = 1) "
                 "exp(−nL/2)", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run")
    ap.add_argument("--seeds", type=int, default=2, help="data seeds of the finite-data setting")
    ap.add_argument("--replicas", type=int, default=4)
    ap.add_argument("--rungs", type=int, default=24, help="geometric rungs of the population runs")
    ap.add_argument("--steps", type=int, default=12_000, help="MALA steps (population runs)")
    ap.add_argument("--finite-ratio", type=float, default=1.6,
                    help="ratio of neighbouring rungs of the finite-data ladders 1 … n")
    ap.add_argument("--finite-steps", type=int, default=3000)
    ap.add_argument("--finite", default="gaussian",
                    help="comma-separated likelihoods of the finite-data runs (gaussian, gibbs; "
                         "'' for none)")
    ap.add_argument("--grid", dest="grid_opt", default=None,
                    help="comma-separated n of the finite-data runs")
    ap.add_argument("--first-seed", type=int, default=0, help="first data seed")
    ap.add_argument("--no-population", action="store_true")
    ap.add_argument("--nuts", default=None,
                    help="comma-separated n: also run NUTS (σ = 1 likelihood, data seed "
                         "--first-seed) for a comparison without tempering")
    ap.add_argument("--json", default=None, help="write every number to this JSON file")
    ap.add_argument("--plot", default=None, help="comma-separated JSON files: draw the figure")
    ap.add_argument("--out", default="docs/figures/tms_paper_setting.png")
    args = ap.parse_args()
    if args.plot:
        plot(args.plot.split(","), args.out)
        for name, r in merge(args.plot.split(",")).items():
            if "seeds" in r:
                print(f"{name}: seeds per n {dict(zip(r['ns'], r['seeds']))}")
                for q in ("strict5", "strict6", "hull5", "hull6"):
                    print(f"  {q:>8}: " + " ".join(f"{m:.2f}±{sd:.2f}" for m, sd in
                                                   zip(r[q], r[q + "_sd"])))
                print(f"  crossing: ours {r['crossing_strict']}, hull {r['crossing_hull']}")
        return
    if args.quick:
        args.seeds, args.steps, args.finite_steps, args.rungs = 1, 3000, 1000, 16
        args.finite_ratio = 2.5
    args.grid = (200, 600, 1200) if args.quick else FINITE_GRID
    if args.grid_opt:
        args.grid = tuple(int(x) for x in args.grid_opt.split(","))
    key = jax.random.key(11)
    out = {"dc_prior_only": tms.prior_term(C, 6) - tms.prior_term(C, 5)}
    print(f"prior-only constant ½‖w6‖² − ½‖w5‖² = {tms.prior_term(C, 6):.5f} − "
          f"{tms.prior_term(C, 5):.5f} = {out['dc_prior_only']:.4f}")
    for i, (name, lik) in enumerate((("ours", "gibbs"), ("gaussian", "gaussian"))):
        if not args.no_population:
            out[name] = population(lik, args, jax.random.fold_in(key, i + 1))
            table(f"{name}: population loss, replica exchange", out[name])
    for lik in filter(None, args.finite.split(",")):
        name = ("ours" if lik == "gibbs" else lik) + "+data"
        out[name] = finite(lik, args, jax.random.fold_in(key, 7))
        table(f"{name}: {args.seeds} data seeds (mean)", out[name], args.grid)
    if args.nuts:
        out["gaussian+data NUTS"] = nuts("gaussian", args, jax.random.fold_in(key, 7))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
