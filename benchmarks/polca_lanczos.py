"""Benchmark: POLCA's Hessian basis by Lanczos on Hessian-vector products vs a dense Hessian.

    python benchmarks/polca_lanczos.py [--hidden 24] [--points 2] [--vectors 3]

Same problem for both: the digit-addition MLP (3 digits, one tanh layer of ``--hidden`` units, so
d = 101·hidden + 40 parameters), trained briefly, and the mean token loss on 256 samples. At
``--points`` checkpoints in turn, take the ``--vectors`` top eigenvectors of Π⊥HΠ⊥ (Π⊥ projects
out the vectors found before):

1. ``hessian_basis``: implicitly restarted Lanczos (scipy ``eigsh``) on jitted HVPs (``jax.jvp``
   over ``jax.grad``), never forming H;
2. dense: the full d × d Hessian (``jax.hessian``, jitted), projected, ``numpy.linalg.eigh``.

Compile time is excluded from both (each compiled function runs once before timing). Printed:
both times and their ratio, the largest relative eigenvalue difference and the smallest |cos|
between matching vectors.
"""

from __future__ import annotations

import argparse
import time

import _repo  # noqa: F401  (this checkout first on sys.path)
import jax
import jax.numpy as jnp
import numpy as np

from slt_sim.dynamics import hessian_basis, train_sgd
from slt_sim.models import digit_addition


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=24)
    ap.add_argument("--points", type=int, default=2)
    ap.add_argument("--vectors", type=int, default=3)
    args = ap.parse_args()
    model = digit_addition(3, hidden=(args.hidden,))
    key = jax.random.key(0)
    run = train_sgd(model, "momentum", key=key, lr=0.1, num_steps=600, num_seeds=1, n=5000,
                    batch_size=128, checkpoints=args.points + 1)
    pts = np.asarray(run.params[0, 1:])
    data = model.sample_data(jax.random.fold_in(key, 1), 256)
    tok = model.extra["token_loss"]

    def mean_loss(w):
        return jnp.mean(jax.vmap(lambda x, y: tok(w, x, y))(data.x, data.y))

    d = model.dim
    print(f"{model.name}: d = {d}, {args.points} basis points × {args.vectors} vectors, "
          f"{jax.devices()[0].platform}")

    # 1. Lanczos on HVPs (first call compiles the HVP; time the second)
    hessian_basis(mean_loss, pts[:1], 1)
    t0 = time.perf_counter()
    basis, mus, _, notes = hessian_basis(mean_loss, pts, args.vectors, tol=1e-10)
    t_lanczos = time.perf_counter() - t0

    # 2. dense Hessian + eigh, the same projections
    hess = jax.jit(jax.hessian(mean_loss))
    jax.block_until_ready(hess(jnp.asarray(pts[0])))
    t0 = time.perf_counter()
    Q = np.zeros((0, d))
    dense_vals, dense_vecs = [], []
    for p in pts:
        H = np.asarray(hess(jnp.asarray(p)))
        Pi = np.eye(d) - Q.T @ Q
        vals, vecs = np.linalg.eigh(Pi @ H @ Pi)
        top = np.argsort(vals)[::-1][:args.vectors]
        dense_vals += vals[top].tolist()
        dense_vecs += [vecs[:, j] for j in top]
        Q = np.vstack([Q, vecs[:, top].T])
    t_dense = time.perf_counter() - t0
    dense_vals = np.asarray(dense_vals)
    cos = np.abs(np.sum(basis * np.asarray(dense_vecs), axis=1))
    rel = np.max(np.abs(mus - dense_vals) / np.abs(dense_vals))
    print(f"Lanczos on HVPs : {t_lanczos:8.2f} s   eigenvalues {np.round(mus, 5).tolist()}")
    print(f"dense Hessian   : {t_dense:8.2f} s   eigenvalues {np.round(dense_vals, 5).tolist()}")
    print(f"speed-up {t_dense / t_lanczos:.1f}×; max relative eigenvalue difference {rel:.1e}; "
          f"min |cos(b_lanczos, b_dense)| {cos.min():.8f}; orthonormality error "
          f"{np.abs(basis @ basis.T - np.eye(len(basis))).max():.1e}")
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()
