"""Toy model of superposition (c = 6): Bayesian versus dynamical phase transitions.

    python benchmarks/tms_study.py [--out docs/figures] [--quick]

Bayesian side: posterior phase occupancy along an n ladder by replica exchange over n (closed-form
population loss, β = 1, prior N(0, I)); the 5 → 6 crossing measured and predicted from
n ΔL = Δλ log n; and λ read off the posterior, n (E_n[L] − L(6-gon)) → λ(6-gon) at large n.

Dynamical side: S SGD runs (fresh data of n samples per run, minibatches) from small random
initialisations; their loss plateaus matched to the k-gon / k⁺ losses; λ̂ along a few runs.
Writes the figures tms_posterior.png and tms_sgd.png to --out and prints every number.
"""

from __future__ import annotations

import argparse
import collections
import os
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp
import numpy as np

import slt_sim as slt
from slt_sim import theory
from slt_sim.dynamics import detect_transitions, llc_trajectory, train_sgd
from slt_sim.models import superposition as tms
from slt_sim.posterior import replica_exchange
from slt_sim.viz import plot_training_curves

C = 6


def critical_points(c):
    """{name: loss} of the k-gons and k⁺ points."""
    out = {}
    for k in range(c, 0, -1):
        for p in range(c - k + 1):
            out[tms.phase_name(k, p)] = tms.kgon_norm_bias(c, k)[2] - p / (4 * c * c)
    return out


def bayesian(model, args):
    from matplotlib.figure import Figure

    ns = np.geomspace(1, 5000, 16 if args.quick else 32)
    t0 = time.perf_counter()
    occ = replica_exchange(model, ns, key=jax.random.key(1), num_replicas=4 if args.quick else 8,
                           num_steps=6000 if args.quick else 30_000,
                           num_burnin=2000 if args.quick else 6000)
    print(f"\n== Bayesian side: replica exchange over {len(ns)} rungs, n = 1..5000 "
          f"({time.perf_counter() - t0:.0f} s; settings {occ.settings})")
    print(f"swap acceptance: min {occ.swap_acceptance.min():.2f}, mean "
          f"{occ.swap_acceptance.mean():.2f}; MALA acceptance "
          f"{occ.mala_acceptance.min():.2f}..{occ.mala_acceptance.max():.2f}")
    shown = [k for k in occ.region_names if occ.occupancy[k].max() > 0.05]
    l6, l5 = model.region("6").loss, model.region("5").loss
    print(f"{'n':>8} {'E[L]':>8} {'n(E[L]-L6)':>11} " + "".join(f"{k:>12}" for k in shown))
    for j, n in enumerate(ns):
        print(f"{n:8.1f} {occ.mean_loss[j]:8.4f} {n * (occ.mean_loss[j] - l6):11.2f} " + "".join(
            f"{occ.occupancy[k][j]:6.2f}±{occ.occupancy_se[k][j]:.2f}" for k in shown))
    measured = occ.crossing("6", "5")
    law6 = theory.FreeEnergyLaw(l6, float(model.region("6").lam))
    law5 = theory.FreeEnergyLaw(l5, float(model.region("5").lam))
    predicted = theory.critical_n(law6, law5)
    dc = measured * (l5 - l6) - 1.5 * np.log(measured) if measured else None
    print(f"5 → 6 crossing: predicted (n ΔL = Δλ log n, ΔL = {l5 - l6:.5f}, Δλ = 1.5) n = "
          f"{predicted:.0f}; measured n = {measured:.0f}; implied constant gap "
          f"c(6) − c(5) = {dc:.2f} (the O(1) terms the asymptotic law leaves out)")
    big = ns > 1000
    print(f"λ from the posterior at n > 1000: n (E[L] − L6) = "
          f"{np.round(ns[big] * (occ.mean_loss[big] - l6), 2)} (theory 8.5)")

    fig = Figure(figsize=(6.8, 4.0), layout="constrained")
    ax = fig.subplots()
    for i, k in enumerate(shown):
        ax.errorbar(ns, occ.occupancy[k], yerr=occ.occupancy_se[k], label=f"phase {k}",
                    marker="o", ms=3, lw=1.5, color=f"C{i}")
    ax.axvline(predicted, color="k", ls="--", lw=1, label=f"predicted n = {predicted:.0f}")
    ax.axvline(measured, color="k", lw=1, label=f"measured n = {measured:.0f}")
    ax.set_xscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("posterior occupancy")
    ax.set_title("TMS c = 6: posterior phases against n (replica exchange, β = 1)", fontsize=10)
    ax.legend(fontsize=7)
    fig.savefig(os.path.join(args.out, "tms_posterior.png"), dpi=110)
    return predicted, measured


def dynamical(model, args):
    S = 32 if args.quick else 200
    t0 = time.perf_counter()
    res = train_sgd(model, "sgd", lr=0.05, num_steps=20_000 if args.quick else 50_000,
                    num_seeds=S, key=jax.random.key(2), n=1000, batch_size=64,
                    data_per_seed=True, init=jnp.zeros(model.dim), init_noise=0.05,
                    checkpoints=120, checkpoint_spacing="log")
    print(f"\n== Dynamical side: {S} SGD runs (η = 0.05, |B| = 64, n = 1000 per run, init "
          f"N(0, 0.05²)), {res.settings['num_steps']} steps ({time.perf_counter() - t0:.0f} s)")
    fr = {k: x for k, x in res.final_region_fractions().items() if x > 0}
    print("final phases:", {k: round(x, 3) for k, x in sorted(fr.items(), key=lambda t: -t[1])})
    levels = critical_points(C)
    names = np.array(list(levels))
    values = np.array(list(levels.values()))
    seqs = collections.Counter()
    matched, total = 0, 0
    reports = detect_transitions(res.population_loss, res.steps, direction="down")
    for rep in reports:
        seq = []
        for p in rep.plateaus:
            j = int(np.argmin(np.abs(values - p.level)))
            total += 1
            if abs(values[j] - p.level) < 2e-3:
                matched += 1
                seq.append(str(names[j]))
            else:
                seq.append(f"?{p.level:.3f}")
        seqs[" → ".join(seq)] += 1
    print(f"plateaus matched to a k-gon / k⁺ loss within 0.002: {matched}/{total}")
    print("most common plateau sequences:")
    for seq, cnt in seqs.most_common(8):
        print(f"  {cnt:4d} × {seq}")
    # λ̂ along the first runs that end in the 5-gon and in a lower phase
    final = res.region[:, -1]
    idx5 = [i for i in range(S) if model.region_names[final[i]] == "5"][:1] if \
        "5" in model.region_names else []
    others = [i for i in range(S) if final[i] >= 0 and model.region_names[final[i]] != "5"][:1]
    picks = idx5 + others
    llcs, lsteps = [], None
    for i in picks:
        data = model.sample_data(jax.random.fold_in(jax.random.key(3), i), 1000)
        ck = np.unique(np.linspace(20, len(res.steps) - 1, 12).astype(int))
        lt = llc_trajectory(model, np.asarray(res.params[i]), key=jax.random.key(4), data=data,
                            checkpoints=ck, n=None)
        lsteps = res.steps[ck]
        llcs.append(lt.llc_mean)
        print(f"run {i} (ends in {model.region_names[final[i]]}): steps {lsteps.tolist()}")
        print(f"   population loss {np.round(res.population_loss[i, ck], 4).tolist()}")
        print(f"   λ̂               {np.round(lt.llc_mean, 2).tolist()}")
    shown_levels = {k: levels[k] for k in ("6", "5+", "5", "4+", "4", "3", "2")}
    fig = plot_training_curves(res.steps, res.population_loss, levels=shown_levels,
                               llc=np.asarray(llcs) if llcs else None, llc_steps=lsteps,
                               llc_levels={"5-gon": 7, "6-gon / 5+": 8.5}, max_runs=60,
                               title=f"TMS c = 6: {S} SGD runs from small initialisations")
    fig.savefig(os.path.join(args.out, "tms_sgd.png"), dpi=110)
    return fr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("docs", "figures"))
    ap.add_argument("--quick", action="store_true", help="small settings (a smoke run)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = slt.models.toy_superposition(C)
    print("k-gon / k⁺ losses at c = 6:",
          {k: round(x, 5) for k, x in critical_points(C).items() if len(k) <= 2})
    bayesian(model, args)
    dynamical(model, args)


if __name__ == "__main__":
    main()
