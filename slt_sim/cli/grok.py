"""``slt-sim grok``: modular addition — grokking, λ̂ through it, and the critical dataset size."""

from __future__ import annotations

import math

from ._common import emit, parse_numbers


def register(sub) -> None:
    p = sub.add_parser("grok", help="modular addition: train/test accuracy through grokking, "
                                    "λ̂ along training, the random-label control; with "
                                    "--sweep-frac the critical training fraction and its "
                                    "free-energy prediction")
    p.add_argument("--p", type=int, default=53, help="modulus p (>= 3)")
    p.add_argument("--train-frac", type=float, default=0.4, help="training fraction in (0, 1)")
    p.add_argument("--seed", type=int, default=0, help="split / initialisation seed")
    p.add_argument("--steps", type=int, default=4000, help="full-batch AdamW steps")
    p.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate")
    p.add_argument("--weight-decay", type=float, default=1.0, help="decoupled weight decay")
    p.add_argument("--embed", type=int, default=12, help="embedding dimension")
    p.add_argument("--hidden", type=int, default=48, help="hidden width")
    p.add_argument("--activation", choices=("gelu", "relu"), default="gelu")
    p.add_argument("--checkpoints", type=int, default=20, help="log-spaced checkpoints")
    p.add_argument("--llc-settings", choices=("calibrated", "devinterp"), default="calibrated",
                   help="λ̂ sampler settings: the calibrated ones or devinterp's grokking "
                        "example (ε = 3e-3, nβ = 2, γ = 5)")
    p.add_argument("--llc-step", type=float, default=None, help="override ε")
    p.add_argument("--llc-gamma", type=float, default=None, help="override γ")
    p.add_argument("--llc-chains", type=int, default=None, help="override the chain count")
    p.add_argument("--llc-draws", type=int, default=None, help="override the draws per chain")
    p.add_argument("--llc-checkpoints", type=int, default=12,
                   help="measure λ̂ at the last this-many checkpoints")
    p.add_argument("--no-llc", action="store_true", help="skip every λ̂ estimate")
    p.add_argument("--sweep-frac", default=None,
                   help="comma list of training fractions: run the critical-size sweep")
    p.add_argument("--seeds", type=int, default=3, help="seeds per fraction in the sweep")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def _llc_settings(args) -> dict:
    from .. import _validate as v
    from ..dynamics import grokking as gk

    s = dict(gk.CALIBRATED_LLC if args.llc_settings == "calibrated" else gk.DEVINTERP_LLC)
    if args.llc_step is not None:
        s["step_size"] = v.as_float("--llc-step", args.llc_step, lo=0.0, lo_open=True)
    if args.llc_gamma is not None:
        s["localization"] = v.as_float("--llc-gamma", args.llc_gamma, lo=0.0)
    if args.llc_chains is not None:
        s["num_chains"] = v.as_int("--llc-chains", args.llc_chains, lo=1)
    if args.llc_draws is not None:
        s["num_draws"] = v.as_int("--llc-draws", args.llc_draws, lo=4)
        s["num_burnin"] = s["num_draws"] // 4
    return s


def run(args) -> int:
    import jax
    import numpy as np

    from .. import _validate as v
    from ..dynamics import grokking as gk

    p = v.as_int("--p", args.p, lo=3, hi=1000)
    common = {"num_steps": v.as_int("--steps", args.steps, lo=1),
              "lr": v.as_float("--lr", args.lr, lo=0.0, lo_open=True),
              "weight_decay": v.as_float("--weight-decay", args.weight_decay, lo=0.0),
              "embed_dim": v.as_int("--embed", args.embed, lo=1),
              "hidden": v.as_int("--hidden", args.hidden, lo=1),
              "activation": args.activation,
              "checkpoints": v.as_int("--checkpoints", args.checkpoints, lo=2)}
    settings = _llc_settings(args)
    key = jax.random.key(v.as_int("--seed", args.seed, lo=0))
    if args.sweep_frac is not None:
        fracs = parse_numbers("--sweep-frac", args.sweep_frac)
        for f in fracs:
            v.as_float("--sweep-frac", f, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        if len(fracs) < 2:
            raise ValueError(f"--sweep-frac must list at least 2 fractions, got {args.sweep_frac}")
        crit = gk.critical_dataset_size(p, fracs.tolist(), v.as_int("--seeds", args.seeds, lo=1),
                                        key=key, llc_settings=settings,
                                        free_energy=not args.no_llc, **common)
        out = crit.as_dict()
        lines = [f"modular addition p = {p}: final test accuracy against the training fraction "
                 f"({len(crit.settings['seeds'])} seeds, {common['num_steps']} AdamW steps)",
                 f"{'frac':>5} {'n':>6} {'test acc':>9} {'grok step':>10} {'F_gen':>9} "
                 f"{'F_mem':>9}  posterior prefers"]
        for row in out["sweep"]:
            g = "never" if row["grok_step_median"] is None else f"{row['grok_step_median']:.0f}"
            fg = "—" if row["free_energy_gen"] is None else f"{row['free_energy_gen']:.1f}"
            fm = "—" if row["free_energy_mem"] is None else f"{row['free_energy_mem']:.1f}"
            lines.append(f"{row['train_frac']:5.2f} {row['n']:6d} {row['test_acc_mean']:9.3f} "
                         f"{g:>10} {fg:>9} {fm:>9}  {row['posterior_prefers'] or '—'}")
        c, pc = out["critical_frac"], out["predicted_critical_frac"]
        lines.append(f"critical fraction: measured {'none' if c is None else f'{c:.3f}'}, "
                     f"free-energy prediction {'none' if pc is None else f'{pc:.3f}'}")
        lines += [f"warning: {w}" for w in crit.warnings]
        emit(out, args.json, "\n".join(lines))
        return 0

    frac = v.as_float("--train-frac", args.train_frac, lo=0.0, hi=1.0, lo_open=True,
                      hi_open=True)
    seed = v.as_int("--seed", args.seed, lo=0)
    nk = v.as_int("--llc-checkpoints", args.llc_checkpoints, lo=1)
    run_ = gk.train_grokking(p, frac, seed, random_labels=[False, True], grid=False, **common)
    # GrokkingRun.as_dict() (run 0: the true labels, run 1: random labels), with the command's
    # LLC settings added to its settings; the LLCTrajectory of run 0 and the λ̂ of the
    # random-label memoriser, each with its own field names
    out = {**run_.as_dict(), "llc": None, "llc_random_labels": None}
    out["settings"] = dict(out["settings"], llc=None if args.no_llc else settings)
    traj = None
    if not args.no_llc:
        K = len(run_.steps)
        ks = list(range(max(0, K - nk), K))
        traj = gk.grokking_llc(run_, 0, key=jax.random.fold_in(key, 1), checkpoints=ks,
                               settings=settings)
        lam, se, _ = gk.point_llc(run_, 1, key=jax.random.fold_in(key, 2), settings=settings)
        out.update(llc=traj.as_dict(), llc_random_labels={"llc_mean": lam, "llc_std": se})
    grok, mem = _int(run_.grok_step()[0]), _int(run_.memorise_step()[0])
    lines = [f"modular addition p = {p}, training fraction {frac:g} (n = {int(run_.n_train[0])}), "
             f"seed {seed}",
             f"final train accuracy {run_.train_acc[0, -1]:.3f}, test accuracy "
             f"{run_.test_acc[0, -1]:.3f}; train acc ≥ 0.9 at step {_step(mem)}, test acc ≥ 0.9 "
             f"at step {_step(grok)}"]
    if traj is not None:
        peak = int(np.argmax(traj.llc_mean))
        lines.append(f"{'step':>7} {'λ̂':>9} {'s.e.':>7}")
        lines += [f"{int(s):7d} {m:9.2f} {d:7.2f}"
                  for s, m, d in zip(traj.steps, traj.llc_mean, traj.llc_std)]
        lines.append(f"λ̂ peak {traj.llc_mean[peak]:.2f} (step {int(traj.steps[peak])}), final "
                     f"{traj.llc_mean[-1]:.2f}; random-label memoriser {lam:.2f} ± {se:.2f}")
    emit(out, args.json, "\n".join(lines))
    return 0


def _int(x) -> int | None:
    return None if not math.isfinite(float(x)) else int(x)


def _step(x: int | None) -> str:
    return "never" if x is None else f"{x:,}"
