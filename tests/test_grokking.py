"""Modular addition and grokking: the model, AdamW training over runs, λ̂ through grokking.

A fast configuration (p = 23, training fraction 0.6, AdamW lr 1e-2, weight decay 1, 1,500 full-batch
steps) memorises by step ~90 and generalises by step ~1,000. λ̂ settings for it come from
``calibrate_llc`` at the final network (ε = 1e-3, γ = 10 recommended; docs/grokking.md).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import slt_sim as slt
from slt_sim.dynamics import grokking as gk
from slt_sim.models import modular as ma

FAST = {"num_steps": 1500, "lr": 1e-2, "weight_decay": 1.0, "checkpoints": 16}
FAST_LLC = {"step_size": 1e-3, "localization": 10.0, "num_chains": 2, "num_draws": 200,
            "num_burnin": 50}


@pytest.fixture(scope="module")
def run():
    # one vectorised call: the true-label run and its random-label twin
    # padded to p² like the explorer's runs (one compiled program for both test files)
    return gk.train_grokking(23, 0.6, 0, random_labels=[False, True], grid=False, pad_to=23 ** 2,
                             **FAST)


@pytest.fixture(scope="module")
def llc(run):
    ks = [int(np.searchsorted(run.steps, s)) for s in (39, 110, 313, 890, 1500)]
    traj = gk.grokking_llc(run, 0, key=jax.random.key(2), checkpoints=ks, settings=FAST_LLC)
    rand = gk.point_llc(run, 1, key=jax.random.key(3), settings=FAST_LLC)
    return traj, rand


# ----------------------------------------------------------------------------- the model
def test_model_counts_parameters_splits_nested_and_labels_are_modular_sums():
    m = slt.models.modular_addition(53, 0.4, seed=0)
    assert m.dim == 53 * 12 + 24 * 48 + 48 + 48 * 53 == 4380
    tr, te = m.extra["train"], m.extra["test"]
    assert tr.n == round(0.4 * 53 ** 2) and tr.n + te.n == 53 ** 2
    np.testing.assert_array_equal(tr.y, (tr.x[:, 0] + tr.x[:, 1]) % 53)
    assert not set(m.extra["train_index"]) & set(m.extra["test_index"])
    small = ma.split_indices(53, 0.2, 0)[0]
    assert set(small) <= set(m.extra["train_index"])          # nested for one seed
    rand = slt.models.modular_addition(53, 0.4, seed=0, random_labels=True)
    agree = float(np.mean(np.asarray(rand.extra["train"].y) == np.asarray(tr.y)))
    print(f"\nrandom labels agree with the true ones on {agree:.3f} of the pairs (1/p = 0.019)")
    assert agree < 0.05


def test_per_sample_loss_is_the_cross_entropy_and_engines_run_unchanged():
    m = slt.models.modular_addition(7, 0.5, seed=1, embed_dim=3, hidden=5)
    w = m.extra["init"](jax.random.key(0))
    data = m.extra["train"]
    lg = m.extra["logits"](w, data.x)
    manual = -jax.nn.log_softmax(lg)[jnp.arange(data.n), data.y]
    np.testing.assert_allclose(m.per_sample_loss(w, data), manual, rtol=1e-12)
    sgd = slt.train_sgd(m, optax.adamw(1e-2, weight_decay=0.1), key=jax.random.key(0),
                        num_steps=50, num_seeds=2, data=data, init=w, checkpoints=3)
    assert np.all(sgd.loss[:, -1] < sgd.loss[:, 0])
    est = slt.estimate_llc(m, sgd.final_params[0], key=jax.random.key(1), data=data,
                           num_chains=2, num_draws=20, num_burnin=5)
    assert np.isfinite(est.llc_mean)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="p must be >= 3"):
        slt.models.modular_addition(2)
    with pytest.raises(ValueError, match="train_frac must be < 1"):
        slt.models.modular_addition(7, 1.0)
    with pytest.raises(ValueError, match="activation"):
        slt.models.modular_addition(7, 0.5, activation="tanh")
    with pytest.raises(ValueError, match=r"train_fracs\[1\] must be > 0"):
        gk.train_grokking(7, [0.5, 0.0])
    with pytest.raises(ValueError, match="init must have shape"):
        gk.train_grokking(7, 0.5, init=np.zeros(3))


# ----------------------------------------------------------------------------- grokking
def test_test_accuracy_jumps_after_train_accuracy(run):
    mem, grok = run.memorise_step(), run.grok_step()
    print(f"\np = 23, f = 0.6: train acc ≥ 0.9 at step {mem[0]:.0f}, test acc ≥ 0.9 at step "
          f"{grok[0]:.0f}; final train/test {run.train_acc[0, -1]:.3f}/{run.test_acc[0, -1]:.3f}"
          f"; random labels: train {run.train_acc[1, -1]:.3f}, test {run.test_acc[1, -1]:.3f}")
    assert np.isfinite(mem[0]) and np.isfinite(grok[0])
    assert grok[0] >= 4 * mem[0]                     # generalisation comes well after
    at_mem = int(np.searchsorted(run.steps, mem[0]))
    assert run.test_acc[0, at_mem] < 0.2             # memorised, not generalised, at that point
    assert run.test_acc[0, -1] >= 0.9
    # the control memorises and cannot generalise
    assert run.train_acc[1, -1] >= 0.95 and run.test_acc[1, -1] < 0.15


def test_llc_rises_while_memorising_and_falls_when_generalising(run, llc):
    traj, _ = llc
    peak = int(np.argmax(traj.llc_mean))
    print(f"\nλ̂ at steps {traj.steps.tolist()}: {np.round(traj.llc_mean, 1).tolist()} "
          f"(s.e. {np.round(traj.llc_std, 1).tolist()}), nβ = {traj.nbeta:.1f}")
    assert 0 < peak < len(traj.steps) - 1            # rises, then falls
    se = np.hypot(traj.llc_std[peak], traj.llc_std[-1])
    assert traj.llc_mean[-1] < traj.llc_mean[peak] - 3 * se
    assert traj.llc_mean[0] < traj.llc_mean[peak] - 3 * np.hypot(traj.llc_std[0],
                                                                 traj.llc_std[peak])
    # the fall happens while test accuracy jumps: λ̂ is lower at the end than at memorisation
    assert traj.llc_mean[-1] < 0.6 * traj.llc_mean[peak]


def test_random_label_memoriser_has_higher_llc_than_generalising_network(llc):
    traj, (lam_rand, se_rand, loss_rand) = llc
    print(f"\nsame sampler settings: λ̂(random-label memoriser) = {lam_rand:.1f} ± {se_rand:.1f} "
          f"(train loss {loss_rand:.3g}), λ̂(generalising) = {traj.llc_mean[-1]:.1f} ± "
          f"{traj.llc_std[-1]:.1f}")
    assert lam_rand > traj.llc_mean[-1] + 3 * np.hypot(se_rand, traj.llc_std[-1])
