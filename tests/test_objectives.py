"""Training objectives (grouped, gradient-clustered, SVD-grouped, group DRO), the multitask
sparse-parity model and the learning-time tools: autodiff identities and definitions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import slt_sim as slt
from slt_sim.dynamics import learning_times
from slt_sim.dynamics import objectives as O
from slt_sim.models import Data, multitask_sparse_parity


@pytest.fixture(scope="module")
def setup():
    model = multitask_sparse_parity(num_tasks=3, n_bits=6, k=2, alpha=0.5, hidden=6)
    w = model.extra["init"](jax.random.key(1))
    data = model.sample_data(jax.random.key(2), 24)

    def per_sample(w, batch):
        return jax.vmap(model.loss, in_axes=(None, 0, 0))(w, batch.x, batch.y)

    return model, w, data, per_sample


def test_sparse_parity_labels_are_parities_of_task_subsets_and_frequencies_are_zipf(setup):
    model = multitask_sparse_parity(num_tasks=4, n_bits=8, k=3, alpha=0.4, hidden=5)
    T, subsets = 4, model.extra["subsets"]
    assert len({tuple(s) for s in subsets}) == T  # distinct subsets
    d = model.sample_data(jax.random.key(0), 4000)
    x, y = np.asarray(d.x), np.asarray(d.y)
    t = np.asarray(model.extra["groups"](d))
    assert np.all(x[np.arange(len(t)), t] == 1) and np.all(x[:, :T].sum(1) == 1)
    parity = np.array([x[i, T + subsets[t[i]]].sum() % 2 for i in range(len(t))])
    assert np.array_equal(parity, y)
    p = np.arange(1, T + 1) ** -1.4
    np.testing.assert_allclose(np.bincount(t, minlength=T) / len(t), p / p.sum(), atol=0.025)
    assert model.dim == 5 * (T + 8 + 2) + 1
    w = model.extra["init"](jax.random.key(0))
    assert float(model.empirical_loss(w * 0, d)) == pytest.approx(np.log(2))  # chance


def test_grouped_loss_gradient_equals_two_ell_g_weighted_mean_loss_gradient(setup):
    model, w, data, per_sample = setup
    ids = model.extra["groups"](data)
    G = 3

    def grouped(w):
        return O.grouped_loss(per_sample(w, data), ids, G, 2.0)

    def weighted(w):  # Σ_g 2 sg(ℓ_g) ℓ_g: the mean loss with per-group weights 2ℓ_g
        means, counts = O.group_means(per_sample(w, data), ids, G)
        return jnp.sum(2.0 * jax.lax.stop_gradient(means) * means)

    np.testing.assert_allclose(jax.grad(grouped)(w), jax.grad(weighted)(w), rtol=1e-12,
                               atol=1e-15)


def test_power_one_with_equal_groups_is_number_of_groups_times_mean_loss():
    losses = jnp.asarray([0.3, 1.2, 0.7, 0.1, 2.0, 0.5])
    ids = jnp.asarray([0, 1, 2, 2, 0, 1])  # two samples in each of 3 groups
    val = O.grouped_loss(losses, ids, 3, 1.0)
    assert float(val) == pytest.approx(3 * float(jnp.mean(losses)), rel=1e-14)
    g1 = jax.grad(lambda z: O.grouped_loss(z, ids, 3, 1.0))(losses)
    np.testing.assert_allclose(g1, 3 * jax.grad(jnp.mean)(losses), rtol=1e-14)


def test_empty_groups_are_masked_no_nan_in_value_gradient_or_dro_weights(setup):
    model, w, data, per_sample = setup
    ids = jnp.zeros(data.x.shape[0], jnp.int32)  # only group 0 present of 4
    losses = per_sample(w, data)
    val, grad = jax.value_and_grad(lambda w: O.grouped_loss(per_sample(w, data), ids, 4))(w)
    assert float(val) == pytest.approx(float(jnp.mean(losses)) ** 2, rel=1e-12)
    assert np.all(np.isfinite(grad))
    means, counts = O.group_means(losses, ids, 4)
    assert np.all(np.isfinite(means)) and list(np.asarray(counts[1:])) == [0, 0, 0]
    q = O.dro_weights(jnp.full(4, 0.25), means, counts, 0.5)
    np.testing.assert_allclose(q[1:] / q[1], 1.0)  # absent groups: unchanged up to normalising
    assert float(q[0]) > 0.25 and float(jnp.sum(q)) == pytest.approx(1.0)


def test_group_dro_weights_follow_the_exponentiated_gradient_rule(setup):
    model, w, data, per_sample = setup
    groups = model.extra["groups"]
    obj = O.group_dro(3, groups, step_size=0.7)
    state = obj.init(w, data, jax.random.key(0))
    q = np.full(3, 1 / 3)
    ids = np.asarray(groups(data))
    for w_t in (w, 1.3 * w):
        state = obj.update(state, w_t, data, per_sample)
        ell = np.asarray(per_sample(w_t, data))
        lg = np.array([ell[ids == g].mean() for g in range(3)])
        q = q * np.exp(0.7 * lg)
        q = q / q.sum()
        np.testing.assert_allclose(state.q, q, rtol=1e-12)
    # L = Σ q_g ℓ_g with q held constant
    grad = jax.grad(lambda w: obj.value(per_sample(w, data), state, data))(w)
    want = sum(q[g] * jax.grad(lambda w, g=g: jnp.mean(per_sample(w, data)[ids == g]))(w)
               for g in range(3))
    np.testing.assert_allclose(grad, want, rtol=1e-10, atol=1e-14)


def test_svd_grouped_loss_with_stop_gradient_matches_its_definition(setup):
    model, w, data, per_sample = setup
    r = 3
    obj = O.svd_grouped(rank=r, refresh_every=5)
    state = obj.update(obj.init(w, data, jax.random.key(0)), w, data, per_sample)
    Gm = np.asarray(jax.jacrev(lambda w: per_sample(w, data))(w))  # (B, D)
    _, s, vt = np.linalg.svd(Gm, full_matrices=False)
    alpha = Gm @ vt.T  # coordinates on all right singular vectors
    alpha_hat = alpha / np.sqrt(np.sum(alpha ** 2, axis=1, keepdims=True))
    ell = np.asarray(per_sample(w, data))
    B = len(ell)
    literal = np.sum((s[:r] * (ell @ alpha_hat[:, :r])) ** 2)
    value = float(obj.value(per_sample(w, data), state, data))
    assert value == pytest.approx(literal / (B * s[0]) ** 2, rel=1e-10)
    # gradient with σ, α̂ constant: Σ_i 2 σ_i² (Σ_x ℓ α̂_i) Σ_x α̂_i(x) ∇ℓ(x), same scale
    c = ell @ alpha_hat[:, :r]
    want = (2 * (s[:r] ** 2 * c) @ (alpha_hat[:, :r].T @ Gm)) / (B * s[0]) ** 2
    grad = jax.grad(lambda w: obj.value(per_sample(w, data), state, data))(w)
    np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-14)
    # σ, directions are kept between refreshes: a step later only α̂ follows the gradients
    state2 = obj.update(state, 1.1 * w, data, per_sample)
    np.testing.assert_array_equal(state2.sigma, state.sigma)


def test_per_example_gradients_restricted_and_sketched(setup):
    model, w, data, per_sample = setup
    full = np.asarray(O.per_example_gradients(per_sample, w, data))
    np.testing.assert_allclose(full, jax.jacrev(lambda w: per_sample(w, data))(w), rtol=1e-12)
    idx = np.arange(model.dim - 7, model.dim)  # the output layer
    part = O.per_example_gradients(per_sample, w, data, param_indices=idx, chunk=5)
    np.testing.assert_allclose(part, full[:, idx], rtol=1e-12)
    buckets, signs = O.count_sketch(jax.random.key(3), model.dim, 16)
    sk = np.asarray(O.per_example_gradients(per_sample, w, data, sketch=(buckets, signs, 16)))
    want = np.zeros((full.shape[0], 16))
    for j in range(model.dim):
        want[:, int(buckets[j])] += float(signs[j]) * full[:, j]
    np.testing.assert_allclose(sk, want, rtol=1e-10, atol=1e-14)


def test_spherical_kmeans_recovers_separated_directions():
    rng = np.random.default_rng(0)
    dirs = np.eye(5)[:3] * 4
    lab = np.repeat(np.arange(3), 20)
    pts = dirs[lab] + 0.3 * rng.normal(size=(60, 5))
    _, got = O.spherical_kmeans(jnp.asarray(pts), 3, jax.random.key(0))
    got = np.asarray(got)
    # a permutation of the true labels
    assert all(len(set(got[lab == g])) == 1 for g in range(3)) and len(set(got)) == 3


def test_train_sgd_mean_objective_reproduces_plain_training_and_others_stay_finite(setup):
    model = multitask_sparse_parity(num_tasks=3, n_bits=6, k=2, alpha=0.5, hidden=6)
    kw = dict(key=jax.random.key(0), num_steps=30, num_seeds=2, n=200, batch_size=16,
              lr=0.01, init=model.extra["init"], checkpoints=3)
    plain = slt.train_sgd(model, "adam", **kw)
    meaned = slt.train_sgd(model, "adam", objective=O.mean(), **kw)
    np.testing.assert_allclose(meaned.params, plain.params, rtol=1e-10, atol=1e-12)
    assert plain.settings["objective"] == "mean"
    # the objectives with state refreshed inside the scan (grouped: CLI test; DRO: below)
    for obj in (O.gradient_clustered(3, refresh_every=10),
                O.svd_grouped(3, refresh_every=10, sketch_dim=20)):
        res = slt.train_sgd(model, "adam", objective=obj, **kw)
        assert res.num_diverged == 0 and np.all(np.isfinite(res.params))
        assert res.settings["objective"]["name"] == obj.name
    with pytest.raises(ValueError, match="potential"):
        slt.train_sgd(slt.models.quadratic(2), num_steps=5, key=jax.random.key(0),
                      objective=O.mean())
    with pytest.raises(TypeError, match="objective"):
        slt.train_sgd(model, num_steps=5, n=10, key=jax.random.key(0), objective="grouped")


def test_learning_times_and_widths_on_synthetic_curves():
    steps = np.arange(0, 1001, 10)
    # a sigmoid drop from log 2 to 0 centred at c with width scale s
    def drop(c, s):
        return np.log(2) / (1 + np.exp((steps - c) / s))
    traces = np.stack([drop(300, 20), drop(600, 60), np.full_like(steps, 0.69, dtype=float)])
    lt = learning_times(traces, steps, threshold=0.1, start_level=0.6)
    # first checkpoint with y ≤ θ: c + s log(log2/θ − 1); width: s (log(log2/θ − 1)
    # − log(log2/0.6 − 1)), both rounded up to the 10-step grid
    for j, (c, s) in enumerate(((300, 20), (600, 60))):
        t_learn = c + s * np.log(np.log(2) / 0.1 - 1)
        t_start = c + s * np.log(np.log(2) / 0.6 - 1)
        assert lt.learning_step[j] == 10 * np.ceil(t_learn / 10)
        assert lt.width[j] == 10 * np.ceil(t_learn / 10) - 10 * np.ceil(t_start / 10)
    assert np.isnan(lt.learning_step[2]) and np.isnan(lt.width[2]) and not lt.learned[2]
    d = lt.as_dict()
    assert d["learning_step"][2] is None and d["width"][0] == lt.width[0]
    two = learning_times(traces[None, :2], steps, threshold=0.1, start_level=0.6)
    assert two.spread()[0] == lt.learning_step[1] - lt.learning_step[0]
    assert np.isnan(lt.spread())  # one never learned: the span is unknown
    with pytest.raises(ValueError, match="start_level"):
        learning_times(traces, steps, threshold=0.5, start_level=0.4)
    with pytest.raises(ValueError, match="checkpoint axis"):
        learning_times(traces.T, steps, threshold=0.1, start_level=0.6)


def test_train_capabilities_aggregate_is_frequency_weighted_task_loss():
    model = multitask_sparse_parity(num_tasks=2, n_bits=4, k=2, alpha=0.0, hidden=4)
    res = slt.train_capabilities(model, "dro", key=jax.random.key(0), num_steps=20,
                                 num_seeds=2, n=100, batch_size=10, checkpoints=3,
                                 eval_per_group=50)
    assert res.group_loss.shape == (2, 3, 2) and res.group_accuracy.shape == (2, 3, 2)
    np.testing.assert_allclose(res.loss, res.group_loss @ np.array([2 / 3, 1 / 3]))  # P ∝ 1/t
    ev = model.extra["sample_balanced"](jax.random.key(9), 50)
    assert isinstance(ev, Data) and list(np.bincount(model.extra["groups"](ev))) == [50, 50]
    d = res.as_dict()
    assert {"times", "aggregate_times", "num_groups", "settings"} <= set(d)
    assert d["num_groups"] == 2 and len(d["times"]["learning_step"]) == 2
