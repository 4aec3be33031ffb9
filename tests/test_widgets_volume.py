"""VolumeExplorer, headless: ε moves redraw the sublevel set and show V(ε) from volume_curve."""

import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import volume_curve
from slt_sim.widgets import VolumeExplorer


@pytest.fixture(scope="module")
def explorer():
    e = VolumeExplorer(eps=1e-2)
    yield e
    assert e.last_error is None, e.status.value


def test_eps_move_shows_the_exact_volume(explorer):
    explorer.landscape_picker.value = "a² + b²  (regular: λ = 1)"
    explorer.eps_slider.value = 1e-2
    before = bytes(explorer.image.value)
    explorer.eps_slider.value = 1e-1
    direct = volume_curve(explorer.model, eps=[1e-1], method="grid")
    v = float(explorer.point.volume[0])
    # uniform prior on [−1, 1]²: the disc of radius √ε has prior mass πε/4
    print(f"\na²+b², ε = 0.1: widget V = {v:.8f}, direct {direct.volume[0]:.8f}, "
          f"πε/4 = {np.pi * 0.1 / 4:.8f}; update {explorer.last_seconds:.3f} s")
    assert bytes(explorer.image.value) != before
    assert v == direct.volume[0]
    # within the grid method's stated accuracy (1e-3 relative; here 4e-5 and 1.5e-4)
    assert v == pytest.approx(np.pi * 0.1 / 4, rel=1e-3)


def test_normal_crossing_fit_and_closed_form(explorer):
    explorer.landscape_picker.value = "a²b²  (normal crossing: λ = 1/2, m = 2)"
    explorer.eps_slider.value = 1e-4
    s = explorer.scaling
    v = float(explorer.point.volume[0])
    closed = 1e-2 * (1 + 0.5 * np.log(1e4))            # √ε (1 + ½ log 1/ε)
    print(f"\na²b²: λ̂ = {s.lam_hat:.5f} [{s.lam_ci[0]:.5f}, {s.lam_ci[1]:.5f}], m̂ = {s.m_hat}; "
          f"V(1e-4) = {v:.8f}, closed form {closed:.8f}")
    assert s.lam_ci[0] <= 0.5 <= s.lam_ci[1] and s.m_hat == 2
    assert v == pytest.approx(closed, rel=1e-3)
    assert "m̂ = 2" in explorer.status.value


def test_rejects_models_it_cannot_draw():
    with pytest.raises(ValueError, match="2-parameter"):
        VolumeExplorer(models.two_basins_1d())
