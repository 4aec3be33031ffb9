"""POLCA (slt_sim.dynamics.polca_decomposition) and the digit-addition model it is studied on."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from slt_sim.dynamics import (
    acceleration_points,
    cluster_trajectories,
    decompose_loss,
    filter_trajectories,
    flat_step,
    hessian_basis,
    polca,
)
from slt_sim.models import Data, addition_carries, addition_digits, digit_addition


@pytest.fixture(scope="module")
def tiny():
    """1-digit addition, 2 hidden units (d = 102), a short random parameter path, 6 samples."""
    model = digit_addition(1, hidden=(2,))
    key = jax.random.key(0)
    w0 = model.sample_prior(key)
    path = w0 + 0.1 * jnp.cumsum(jax.random.normal(jax.random.key(1), (6, model.dim)), axis=0)
    data = model.sample_data(jax.random.key(2), 6)
    return model, np.asarray(path), data


def test_addition_digits_carries_and_sampler_agree():
    x, y = addition_digits(np.array([999, 123, 45]), np.array([1, 456, 55]), 3)
    assert y.tolist() == [[1, 0, 0, 0], [0, 5, 7, 9], [0, 1, 0, 0]]
    assert addition_carries(x).tolist() == [[True, True, True, False],
                                             [False, False, False, False],
                                             [False, True, True, False]]
    model = digit_addition(3, hidden=(8,))
    d = model.sample_data(jax.random.key(3), 500)
    a = np.asarray(d.x[:, :3]) @ np.array([100, 10, 1])
    b = np.asarray(d.x[:, 3:]) @ np.array([100, 10, 1])
    assert np.array_equal(np.asarray(d.y) @ np.array([1000, 100, 10, 1]), a + b)
    # about 45% of the tens/hundreds/thousands tokens carry, never the units
    frac = addition_carries(d.x).mean(axis=0)
    assert frac[-1] == 0 and np.all(np.abs(frac[:3] - 0.45) < 0.08)
    w = model.sample_prior(jax.random.key(4))
    tok = model.extra["token_loss"](w, d.x[0], d.y[0])
    assert tok.shape == (4,) and float(model.loss(w, d.x[0], d.y[0])) == pytest.approx(
        float(jnp.sum(tok)), rel=1e-12)


def test_full_orthonormal_basis_first_order_terms_sum_to_first_order_taylor_change(tiny):
    model, path, data = tiny
    tok = model.extra["token_loss"]
    basis, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((model.dim, model.dim)))
    first, second, loss = decompose_loss(tok, path, basis.T, data)
    jac = jax.vmap(jax.jacrev(tok), in_axes=(None, 0, 0))  # (n, T, d)
    for k in range(path.shape[0] - 1):
        taylor = np.asarray(jac(jnp.asarray(path[k]), data.x, data.y) @ (path[k + 1] - path[k]))
        np.testing.assert_allclose(first[:, k].sum(axis=0), taylor.reshape(-1), rtol=1e-9,
                                   atol=1e-12)
    assert second.shape == first.shape == (model.dim, path.shape[0] - 1, data.n * 2)
    assert loss.shape == (path.shape[0], data.n * 2)


def test_basis_is_orthonormal_and_each_vector_tops_the_projected_hessian(tiny):
    model, path, data = tiny

    def mean_loss(w):
        return jnp.mean(jax.vmap(lambda x, y: model.extra["token_loss"](w, x, y))(data.x, data.y))

    pts = path[[1, 3, 5]]
    basis, mus, where, notes = hessian_basis(mean_loss, pts, 2, tol=1e-12)
    hessian = jax.jit(jax.hessian(mean_loss))
    assert basis.shape == (6, model.dim) and not notes and where.tolist() == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(basis @ basis.T, np.eye(6), atol=1e-10)
    for j in range(6):
        Q = basis[:2 * (j // 2)]  # the span found before this vector's point
        H = np.asarray(hessian(jnp.asarray(pts[where[j]])))
        Pi = np.eye(model.dim) - Q.T @ Q
        M = Pi @ H @ Pi
        top = np.linalg.eigvalsh(M)[::-1][:2]
        assert np.abs(Q @ basis[j]).max(initial=0.0) < 1e-10  # orthogonal to the earlier span
        np.testing.assert_allclose(M @ basis[j], mus[j] * basis[j], atol=1e-7)  # an eigenvector
        assert mus[j] == pytest.approx(top[j % 2], rel=1e-8)  # ... of the top eigenvalues


@pytest.mark.filterwarnings("ignore:HDBSCAN found no POLCA cluster")  # 12 examples: all noise
def test_second_order_decomposition_is_exact_on_a_quadratic_loss():
    rng = np.random.default_rng(5)
    d, n = 6, 12
    R = np.linalg.qr(rng.standard_normal((d, d)))[0]
    A = R @ np.diag([5.0, 3.0, 2.0, 1.0, 0.5, 0.25]) @ R.T
    Aj = jnp.asarray(A)

    def loss(w, x, y):
        r = w - x
        return 0.5 * r @ Aj @ r

    data = Data(jnp.asarray(rng.standard_normal((n, d))), jnp.zeros((n, 1)))
    path = np.cumsum(rng.standard_normal((8, d)), axis=0)
    res = polca(loss, path, data, basis_checkpoints=[3] * d, vectors_per_checkpoint=1,
                   min_cluster_size=3)
    np.testing.assert_allclose(np.abs(res.basis @ R), np.eye(d), atol=1e-8)  # A's eigenvectors
    np.testing.assert_allclose(res.eigenvalues, [5.0, 3.0, 2.0, 1.0, 0.5, 0.25], rtol=1e-8)
    exact = res.loss - res.loss[0]
    np.testing.assert_allclose(res.projected.sum(axis=0), exact, atol=1e-9)
    assert res.captured_fraction == pytest.approx(1.0, abs=1e-10)
    assert res.captured_fraction_first_order != pytest.approx(1.0, abs=1e-3)


def test_filter_drops_rising_vectors_and_rising_examples():
    t = np.linspace(0, 1, 11)
    traj = np.zeros((3, 11, 4))
    traj[0] = -np.outer(t, [1.0, 2.0, -0.5, 1.0])  # example 2 rises along vector 0
    traj[1] = np.outer(t, [1.0, 1.0, -0.5, 0.2])  # mean rises: vector 1 dropped
    traj[2] = -np.outer(t, [0.1, 0.1, 0.1, 0.1])
    kept, mask = filter_trajectories(traj)
    assert kept.tolist() == [0, 2]
    assert mask[0].tolist() == [True, True, False, True]
    assert not mask[1].any() and mask[2].all()


def _sigmoid_groups(rng, n=40, K=101):
    steps = np.arange(K) * 10.0
    t = np.arange(K)
    early = -1 / (1 + np.exp(-(t - 25) / 2.5))
    late = -1 / (1 + np.exp(-(t - 80) / 2.5))
    X = np.vstack([early + 0.02 * rng.standard_normal((n, K)),
                   late + 0.02 * rng.standard_normal((n, K))])
    return steps, X, np.repeat([0, 1], n)


def test_hdbscan_separates_early_and_late_breakthroughs_and_times_them():
    steps, X, truth = _sigmoid_groups(np.random.default_rng(0))
    labels = cluster_trajectories(X, min_cluster_size=10)
    found = sorted(set(labels.tolist()) - {-1})
    assert len(found) == 2
    for c in found:  # each cluster is one group, and most trajectories are clustered
        assert len(set(truth[labels == c].tolist())) == 1
    assert np.mean(labels >= 0) > 0.9
    pts = acceleration_points(X, steps, smooth=5)
    # the maximal acceleration of a drop −σ((t − t0)/s) is at t0 − 1.3 s: steps 217, 767
    assert np.nanmean(pts[truth == 0]) == pytest.approx(217, abs=40)
    assert np.nanmean(pts[truth == 1]) == pytest.approx(767, abs=40)
    # a convex, decelerating decay has no point of maximal acceleration
    assert np.isnan(acceleration_points(np.exp(-steps / 200.0)[None], steps)[0])
    # the mean loss is flat (95% of its fall done) between the two drops: the late one is hidden
    total = np.exp(-steps / 60.0)
    assert flat_step(total, steps) == pytest.approx(60 * np.log(20), abs=25)


def test_polca_pipeline_on_a_short_run_flags_and_scores(tiny):
    model, path, data = tiny
    labels = np.zeros((data.n, 2), dtype=bool)
    labels[:, 0] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a random path: little is captured, which it says
        res = polca(model, path, data, basis_checkpoints=2, vectors_per_checkpoint=1,
                       labels=labels, min_cluster_size=2, smooth=1)
    assert all(isinstance(w, str) for w in res.warnings)
    assert res.basis_size == 2 and res.projected.shape == (2, 6, 12)
    d = res.as_dict()
    assert set(d) >= {"basis_size", "captured_fraction", "clusters", "carry_homogeneity",
                      "hidden_breakthrough_fraction"}
    assert set(d["carry_homogeneity"]) == {"polca", "first_order", "raw_loss"}
    for c in res.clusters:
        assert res.cluster_mean(c).shape == (6,)
    from matplotlib.figure import Figure

    from slt_sim.viz import plot_polca

    for method in ("polca", "raw_loss"):
        assert isinstance(plot_polca(res, method=method), Figure)


@pytest.mark.parametrize("kwargs,msg", [
    ({"basis_checkpoints": 0}, "basis_checkpoints"),
    ({"vectors_per_checkpoint": 0}, "vectors_per_checkpoint"),
    ({"flat_fraction": 2.0}, "flat_fraction"),
    ({"steps": np.arange(3)}, "steps"),
    ({"smooth": 5}, "smooth"),
])
def test_polca_bad_arguments_name_themselves(tiny, kwargs, msg):
    model, path, data = tiny
    with pytest.raises(ValueError, match=msg):
        polca(model, path, data, **{"smooth": 1, **kwargs})
