"""Benchmark: 1,000 SGD seeds at once (vmap + scan) against Python loops over seeds.

    python benchmarks/sgd_seeds.py [--seeds 1000] [--steps 1000]

Same problem for every contender: plain SGD (η = 0.05) on ``two_basins_2d`` from prior draws,
``--steps`` steps, float64. Compile time is excluded everywhere (each compiled function is called
once before timing). Contenders:

1. ``train_sgd``: all seeds in one call (seeds vmapped, steps under lax.scan);
2. loop over seeds, each run one call of a jitted single-seed ``lax.scan`` (the best a Python loop
   over seeds can do in JAX);
3. loop over seeds and steps, a jitted gradient step per Python iteration (the textbook loop;
   timed on a subset of seeds and scaled up);
4. PyTorch, the same textbook loop on the batch of all seeds as one tensor, if torch is installed
   (it is not part of slt_sim's environment).

All contenders must agree on where the runs end (the fraction in each basin is printed).
"""

from __future__ import annotations

import argparse
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp
import numpy as np

import slt_sim as slt
from slt_sim.dynamics import train_sgd


def best_of(fn, repeats=3):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        jax.block_until_ready(out) if out is not None else None
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--textbook-seeds", type=int, default=10,
                    help="seeds timed in the per-step Python loop (then scaled)")
    args = ap.parse_args()
    S, T, lr = args.seeds, args.steps, 0.05
    model = slt.models.two_basins_2d()
    key = jax.random.key(0)
    print(f"SGD on two_basins_2d: {S} seeds × {T} steps, η = {lr}, float64, "
          f"{jax.device_count()} {jax.devices()[0].platform} device(s)")

    # 1. train_sgd (vmap over seeds, scan over steps)
    def vectorised():
        return train_sgd(model, "sgd", lr=lr, num_steps=T, num_seeds=S, key=key,
                         checkpoints=2).final_params
    vectorised()  # compile
    t_vec, w_vec = best_of(vectorised)
    reg = jax.jit(jax.vmap(model.region_index))
    frac = np.mean(np.asarray(reg(jnp.asarray(w_vec))) == 1)

    # the same initial points for the loops
    seed_keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(S))
    w0 = jax.vmap(lambda k: model.sample_prior(jax.random.split(k, 3)[0]))(seed_keys)
    grad = jax.grad(model.potential)

    # 2. Python loop over seeds, each a jitted lax.scan
    @jax.jit
    def one_run(w):
        def step(w, _):
            return w - lr * grad(w), None
        return jax.lax.scan(step, w, None, length=T)[0]

    one_run(w0[0]).block_until_ready()

    def loop_seeds():
        return jnp.stack([one_run(w0[i]) for i in range(S)])
    t_loop, w_loop = best_of(loop_seeds, repeats=1)

    # 3. Python loop over seeds and steps (jitted step)
    step_fn = jax.jit(lambda w: w - lr * grad(w))
    step_fn(w0[0]).block_until_ready()
    m = min(args.textbook_seeds, S)

    def textbook():
        out = []
        for i in range(m):
            w = w0[i]
            for _ in range(T):
                w = step_fn(w)
            out.append(w)
        return jnp.stack(out)
    t_text_sub, w_text = best_of(textbook, repeats=1)
    t_text = t_text_sub * S / m

    agree = np.allclose(np.asarray(w_loop), np.asarray(w_vec), atol=1e-9) and \
        np.allclose(np.asarray(w_text), np.asarray(w_vec[:m]), atol=1e-9)
    rows = [("train_sgd (vmap seeds, scan steps)", t_vec),
            ("Python loop over seeds, jitted scan per seed", t_loop),
            (f"Python loop over seeds and steps (timed on {m} seeds, scaled)", t_text)]

    # 4. PyTorch, if installed
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_default_dtype(torch.float64)
        cr, cs = (torch.tensor(model.extra["regular_centre"]),
                  torch.tensor(model.extra["singular_centre"]))
        kappa, gap = model.extra["curvature"], model.extra["loss_gap"]

        def torch_run():
            w = torch.tensor(np.asarray(w0), requires_grad=True)
            opt = torch.optim.SGD([w], lr=lr)
            for _ in range(T):
                opt.zero_grad()
                u = w - cs
                loss = torch.minimum(kappa * ((w - cr) ** 2).sum(-1),
                                     gap + (u[:, 0] * u[:, 1]) ** 2).sum()
                loss.backward()
                opt.step()
            return w.detach().numpy()
        t_torch = min(best_of(torch_run, repeats=1)[0] for _ in range(2))
        rows.append((f"PyTorch {torch.__version__}: batched tensor, Python loop over steps",
                     t_torch))
    else:
        print("PyTorch is not installed: its row is skipped")

    print(f"\nruns ending in the regular basin: {frac:.3f}; loops agree with train_sgd: {agree}")
    print(f"{'contender':<66}{'seconds':>10}{'× slower':>10}")
    for name, t in rows:
        print(f"{name:<66}{t:10.3f}{t / t_vec:10.1f}")


if __name__ == "__main__":
    main()
