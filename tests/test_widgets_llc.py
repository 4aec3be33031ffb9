"""LLCExplorer, headless: each move reruns estimate_llc and shows its λ̂, traces and warnings."""

import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import estimate_llc
from slt_sim.widgets import LLCExplorer


@pytest.fixture(scope="module")
def explorer():
    e = LLCExplorer(chains=4, nbeta=1_000)
    yield e
    assert e.last_error is None, e.status.value


def test_step_size_move_reruns_the_estimator(explorer):
    explorer.localization_slider.value = 1.0
    explorer.step_slider.value = 1e-4
    before = bytes(explorer.image.value)
    explorer.step_slider.value = 3e-4
    direct = estimate_llc(explorer.model, explorer.w_star, **explorer.run_settings())
    r = explorer.result
    print(f"\nε = 3e-4, γ = 1, nβ = 1000: widget λ̂ = {r.llc_mean:.4f} ± {r.llc_std:.4f}, direct "
          f"{direct.llc_mean:.4f}; calibration recommends {explorer.calibration.recommended}; "
          f"update {explorer.last_seconds:.3f} s")
    assert bytes(explorer.image.value) != before
    assert r.settings["step_size"] == 3e-4 and r.nbeta == 1000.0 \
        and r.settings["num_chains"] == 4
    np.testing.assert_array_equal(r.loss_trace, direct.loss_trace)
    assert r.llc_mean == direct.llc_mean
    assert f"{r.llc_mean:.4f}" in explorer.status.value


def test_too_large_step_size_is_explained_in_words(explorer):
    explorer.step_slider.value = 1e-2
    print(f"\nε = 1e-2 warnings: {explorer.result.warnings}")
    assert explorer.result.warnings
    assert "diverged" in explorer.status.value and "step size" in explorer.status.value
    explorer.step_slider.value = 3e-4
    assert "diverged" not in explorer.status.value


def test_localization_pulls_the_estimate_down(explorer):
    # γ confines the chains near w*: at fixed ε, λ̂(γ = 100) < λ̂(γ = 0.1) (the bias direction
    # that estimate_llc documents)
    explorer.step_slider.value = 3e-4
    explorer.localization_slider.value = 0.1
    loose = explorer.result.llc_mean
    explorer.localization_slider.value = 100.0
    tight = explorer.result.llc_mean
    print(f"\nλ̂ at ε = 3e-4: γ = 0.1 → {loose:.4f}, γ = 100 → {tight:.4f}")
    assert tight < loose
    explorer.localization_slider.value = 1.0


def test_rejects_data_models():
    with pytest.raises(ValueError, match="potentials"):
        LLCExplorer(models.reduced_rank_regression(2, 2, 1, 1))
    with pytest.raises(ValueError, match="nbeta must be one of"):
        LLCExplorer(nbeta=1234)


def test_default_view_opens_on_a_setting_that_hits_its_exact_target():
    e = LLCExplorer()
    r = e.result
    print(f"\ndefault: ε = {r.settings['step_size']:g}, γ = {r.settings['localization']:g}: "
          f"λ̂ = {r.llc_mean:.4f} ± {r.llc_std:.4f}, exact target {e.target:.4f}; "
          f"calibration passed: {e.calibration.passed}")
    st = r.settings
    assert (st["step_size"], st["localization"], r.nbeta) == (3e-4, 1.0, 1000.0)
    assert abs(r.llc_mean / e.target - 1) < 0.1 and not r.warnings
    assert "exact target" in e.status.value
