"""GrokkingExplorer, headless (p = 23): a fraction move retrains, λ̂ and the sweep on request."""

import numpy as np
import pytest

from slt_sim.dynamics import grokking as gk
from slt_sim.widgets import GrokkingExplorer, GrokkingSettings

SMALL = GrokkingSettings(llc=(("step_size", 1e-3), ("localization", 10.0), ("num_chains", 2),
                              ("num_draws", 200), ("num_burnin", 50)), llc_checkpoints=5,
                         sweep_fracs=(0.2, 0.7), sweep_seeds=1)


@pytest.fixture(scope="module")
def explorer():
    e = GrokkingExplorer(23, train_frac=0.6, settings=SMALL)
    yield e
    assert e.last_error is None, e.status.value


def test_fraction_move_retrains_and_matches_a_direct_run(explorer):
    assert explorer.run.test_acc[0, -1] >= 0.9              # f = 0.6 groks
    before = bytes(explorer.image.value)
    explorer.frac_slider.value = 0.2
    direct = gk.train_grokking(23, 0.2, 0, **{k: x for k, x in
                                               explorer.train_settings().items()})
    print(f"\nf = 0.2: final train/test {explorer.run.train_acc[0, -1]:.3f}/"
          f"{explorer.run.test_acc[0, -1]:.3f}; update {explorer.last_seconds:.1f} s")
    assert bytes(explorer.image.value) != before
    np.testing.assert_allclose(explorer.run.test_acc, direct.test_acc)
    assert explorer.run.test_acc[0, -1] < 0.5                # below critical: memorises only
    assert "f = 0.2" in explorer.status.value
    explorer.frac_slider.value = 0.6


def test_llc_and_sweep_on_request(explorer):
    explorer.llc_toggle.value = True
    traj = explorer.llc
    print(f"\nλ̂ {np.round(traj.llc_mean, 1)} at {traj.steps}; random {explorer.random_llc[0]:.1f}")
    assert traj is not None and len(traj.steps) == 5
    assert "λ̂ peak" in explorer.status.value
    explorer.sweep_toggle.value = True
    sw = explorer.sweep
    print(f"sweep: test acc {sw.test_acc_mean} at {sw.train_frac}")
    assert sw.test_acc_mean[-1] > sw.test_acc_mean[0]
    assert "critical fraction" in explorer.status.value
    explorer.llc_toggle.value = False
    explorer.sweep_toggle.value = False


def test_bad_input():
    with pytest.raises(ValueError, match="p must be one of"):
        GrokkingExplorer(29)
    with pytest.raises(TypeError, match="GrokkingSettings"):
        GrokkingExplorer(23, settings={"num_steps": 10})
