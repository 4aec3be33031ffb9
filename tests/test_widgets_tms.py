"""TMSExplorer, headless (small settings): the play button steps the SGD run, n picks a rung."""

import jax
import numpy as np
import pytest

from slt_sim.dynamics import train_sgd
from slt_sim.models import superposition as tms
from slt_sim.widgets import TMSExplorer, TMSSettings

SMALL = TMSSettings(ladder=(1.0, 10.0, 100.0, 1000.0), replicas=2, rex_steps=300,
                    sgd_steps=2000, checkpoints=12, llc_draws=40)


@pytest.fixture(scope="module")
def explorer():
    e = TMSExplorer(6, settings=SMALL)
    yield e
    assert e.last_error is None, e.status.value


def test_play_steps_through_the_run(explorer):
    explorer.play.value = 0
    first = bytes(explorer.image.value)
    W0, _ = explorer.columns()
    last = len(explorer.run.steps) - 1
    explorer.play.value = last                      # the play button drives the slider
    assert explorer.checkpoint_slider.value == last
    W, b = explorer.columns()
    s = SMALL
    direct = train_sgd(explorer.model, "sgd", key=jax.random.fold_in(jax.random.key(s.seed), 2),
                       num_steps=s.sgd_steps, num_seeds=1, lr=s.lr, n=s.n,
                       batch_size=s.batch_size, init=np.zeros(explorer.model.dim),
                       init_noise=s.init_scale, checkpoints=s.checkpoints,
                       checkpoint_spacing="log")
    w_end = np.asarray(direct.params)[0, -1]
    print(f"\nTMS c=6, {s.sgd_steps} SGD steps: phase {explorer.phase()}, loss "
          f"{explorer.run.population_loss[0, -1]:.4f}; column norms at step 0 "
          f"{np.round(np.linalg.norm(W0, axis=0), 3)}, at the end "
          f"{np.round(np.linalg.norm(W, axis=0), 3)}")
    assert bytes(explorer.image.value) != first
    np.testing.assert_array_equal(W, w_end[:12].reshape(2, 6))
    np.testing.assert_array_equal(b, w_end[12:])
    assert np.all(np.linalg.norm(W0, axis=0) < 0.5)           # init N(0, 0.05²)
    assert explorer.phase() == tms.classify_phase(w_end, 6)
    assert "phase" in explorer.status.value


def test_n_picks_a_rung_of_the_posterior_ladder(explorer):
    explorer.n_slider.value = 1.0
    small = explorer.posterior_weights()
    img = bytes(explorer.image.value)
    explorer.n_slider.value = 1000.0
    large = explorer.posterior_weights()
    occ = explorer.occupancy.occupancy
    print(f"\nposterior phase weights: n=1 {small}; n=1000 {large}")
    assert bytes(explorer.image.value) != img
    for name, w in large.items():
        assert w == pytest.approx(float(occ[name][3]))
    # the formula's 5 → 6 crossing (n ΔL = Δλ log n) is printed beside the measured one
    assert "formula n ≈ 445" in explorer.status.value


def test_bad_settings():
    with pytest.raises(TypeError, match="TMSSettings"):
        TMSExplorer(6, settings={"ladder": (1, 10)})
    with pytest.raises(ValueError, match="c must be"):
        TMSExplorer(2)
