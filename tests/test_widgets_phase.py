"""PhaseExplorer, headless: slider moves redraw the figure and show what the engines compute."""

import io
import sys

import numpy as np
import pytest
from PIL import Image

from slt_sim import models
from slt_sim.posterior import exact_posterior, phase_sweep
from slt_sim.widgets import PhaseExplorer, with_gaussian_prior


@pytest.fixture(scope="module")
def shared_explorer():
    return PhaseExplorer(n=1000.0)


@pytest.fixture()
def explorer(shared_explorer):
    assert shared_explorer.last_error is None
    yield shared_explorer
    assert shared_explorer.last_error is None, shared_explorer.status.value


def _masses(post):
    return {k: float(v[0]) for k, v in post.region_masses.items()}


def test_n_slider_redraws_and_matches_exact_posterior(explorer):
    explorer.landscape_picker.value = "two basins, 1-D"
    explorer.beta_slider.value = 1.0
    explorer.n_slider.value = 1000.0
    before = bytes(explorer.image.value)
    assert before.startswith(b"\x89PNG")
    assert explorer.posterior.dominant_region == ["wide"]

    explorer.n_slider.value = 20000.0                   # past the critical n ≈ 10,500
    after = bytes(explorer.image.value)
    direct = exact_posterior(explorer.model, [20000.0], grid=explorer.grid)
    small = exact_posterior(explorer.model, [1000.0], grid=explorer.grid)
    print(f"\n1-D: n=1000 → {_masses(small)}; n=20000 widget {_masses(explorer.posterior)} "
          f"direct {_masses(direct)}; update {explorer.last_seconds:.3f} s")
    assert after != before
    assert explorer.posterior.ns[0] == 20000.0
    assert explorer.posterior.dominant_region == ["narrow"]
    np.testing.assert_allclose(explorer.posterior.region_log_masses, direct.region_log_masses,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(explorer.posterior.mean, direct.mean, rtol=1e-12)
    assert "critical n" in explorer.status.value


def test_sweep_matches_phase_sweep_and_known_critical_n(explorer):
    explorer.landscape_picker.value = "two basins, 1-D"
    explorer.beta_slider.value = 1.0
    direct = phase_sweep(explorer.model, explorer.sweep_ns, grid=explorer.grid)
    crit = explorer.sweep.critical_n_exact
    print(f"\n1-D critical n: widget {crit:.2f}, direct {direct.critical_n_exact:.2f}, "
          f"prediction {explorer.sweep.critical_n_predicted:.2f}")
    assert crit == pytest.approx(direct.critical_n_exact, rel=1e-9)
    np.testing.assert_allclose(explorer.sweep.region_masses, direct.region_masses, atol=1e-12)
    # two_basins_1d is built so that the jump sits between n = 10,000 and 11,000
    assert 10_000 < crit < 11_000


def test_landscape_2d_heatmap_and_critical_n(explorer):
    explorer.beta_slider.value = 1.0
    explorer.landscape_picker.value = "two basins, 2-D"
    explorer.n_slider.value = 1000.0
    img_small_n = bytes(explorer.image.value)
    assert explorer.model.dim == 2
    assert explorer.posterior.log_density.shape == (1,) + explorer.grid.shape
    assert explorer.posterior.dominant_region == ["singular"]
    explorer.n_slider.value = 10000.0
    assert bytes(explorer.image.value) != img_small_n
    assert explorer.posterior.dominant_region == ["regular"]
    crit = explorer.sweep.critical_n_exact
    # the engine's default ~900² grid gives 2960.96; the explorer's coarser grid must agree
    print(f"\n2-D critical n on the explorer grid {explorer.grid.shape}: {crit:.3f} "
          f"(default grid: 2960.96); update {explorer.last_seconds:.3f} s")
    assert crit == pytest.approx(2960.96, rel=1e-4)


def test_beta_rescales_critical_n(explorer):
    # for a potential, p_n^β depends on n·β only, so the critical n scales exactly as 1/β
    explorer.landscape_picker.value = "two basins, 1-D"
    explorer.beta_slider.value = 1.0
    crit_1 = explorer.sweep.critical_n_exact
    img = bytes(explorer.image.value)
    explorer.beta_slider.value = 0.5
    crit_half = explorer.sweep.critical_n_exact
    print(f"\ncritical n at β=1: {crit_1:.4f}, at β=0.5: {crit_half:.4f}, "
          f"ratio {crit_half / crit_1:.8f} (theory 2)")
    assert bytes(explorer.image.value) != img
    assert crit_half / crit_1 == pytest.approx(2.0, rel=1e-7)
    direct = exact_posterior(explorer.model, [explorer.n], beta=0.5, grid=explorer.grid)
    np.testing.assert_allclose(explorer.posterior.region_log_masses, direct.region_log_masses,
                               atol=1e-12)
    explorer.beta_slider.value = 1.0


def test_gaussian_prior_moves_mass_toward_its_centre(explorer):
    # 1-D toy at n = 10,000 (below the jump): a prior centred between the basins helps the narrow
    # one, whose prior penalty c_n²/(2s²) shrinks, so the jump comes earlier
    explorer.landscape_picker.value = "two basins, 1-D"
    explorer.beta_slider.value = 1.0
    explorer.n_slider.value = 10000.0
    base = _masses(explorer.posterior)["narrow"]
    crit_base = explorer.sweep.critical_n_exact
    with explorer.holding():                            # one recomputation for three changes
        explorer.prior_centre_slider.value = 0.5
        explorer.prior_scale_slider.value = 1.0
        explorer.prior_picker.value = "Gaussian"
    explorer.refresh()
    shifted = _masses(explorer.posterior)["narrow"]
    direct = exact_posterior(with_gaussian_prior(models.two_basins_1d(), 0.5, 1.0), [10000.0],
                             grid=explorer.grid)
    # Laplace: the narrow basin's prior penalty drops by ((11)² − (11 − 0.5)²)/2 = 5.375 and the
    # wide one's grows by 0.5²/2 = 0.125, so n_c falls by (5.375 + 0.125)/δ ≈ 896
    print(f"\nnarrow mass at n=10000: N(0, 1) prior {base:.3e}, N(0.5, 1) prior {shifted:.4f} "
          f"(direct {_masses(direct)['narrow']:.4f}); critical n {crit_base:.1f} → "
          f"{explorer.sweep.critical_n_exact:.1f} (Laplace shift −{5.5 / 0.006135:.0f})")
    assert shifted > 0.5 > base
    assert shifted == pytest.approx(_masses(direct)["narrow"], rel=1e-10)
    assert crit_base - explorer.sweep.critical_n_exact == pytest.approx(5.5 / 0.006135, rel=0.02)
    explorer.prior_picker.value = "model's own"
    assert _masses(explorer.posterior)["narrow"] == pytest.approx(base, rel=1e-10)


def test_no_pyplot_figures_are_created(explorer):
    explorer.n_slider.value = 4321.0
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
    assert explorer.figure is not None and explorer.figure.canvas is not None


def test_custom_model_and_bad_models():
    with pytest.raises(ValueError, match="at least two regions"):
        PhaseExplorer(models.normal_crossing((1, 1)))
    with pytest.raises(ValueError, match="n must be <= 1e"):
        PhaseExplorer(n=1e9)
    with pytest.raises(TypeError, match="Model"):
        PhaseExplorer("two_basins_1d")


def test_incremental_redraw_is_pixel_identical_to_a_full_redraw(explorer):
    explorer.landscape_picker.value = "two basins, 2-D"
    explorer.n_slider.value = 2000.0
    explorer.n_slider.value = 4000.0                    # an incremental (blitted) redraw
    shown = np.asarray(Image.open(io.BytesIO(bytes(explorer.image.value))))
    canvas = explorer.figure.canvas
    canvas.draw()                                       # draw every artist from scratch
    full = np.asarray(canvas.buffer_rgba())
    differing = np.mean(np.any(shown != full, axis=-1))
    print(f"\nblitted vs full redraw: {shown.shape}, fraction of differing pixels {differing:.2e}")
    assert shown.shape == full.shape
    # the moving artists are drawn last when blitted, so where the n marker's anti-aliased edge
    # touches a static line a few pixels blend in the other order; anything more is a bug
    assert differing < 1e-4


def test_custom_model_with_progress_bar_during_the_sweep(monkeypatch):
    import slt_sim.widgets.phase as phase_mod

    seen = []

    def recording_sweep(*args, **kwargs):
        seen.append((explorer_ref[0].progress.layout.visibility if explorer_ref else "building",
                     explorer_ref[0].progress_label.value if explorer_ref else ""))
        return phase_sweep(*args, **kwargs)

    explorer_ref = []
    monkeypatch.setattr(phase_mod, "phase_sweep", recording_sweep)
    # ten times the depth gap: Laplace puts the jump at 64.415 / 0.06135 ≈ 1050
    model = models.two_basins_1d(depth_gap=0.06135)
    explorer = PhaseExplorer(model, n=500.0)
    explorer_ref.append(explorer)
    assert explorer.landscape_picker.value == f"custom: {model.name}"
    assert explorer.model is model
    explorer.beta_slider.value = 2.0                    # a new sweep, with the bar showing
    crit = explorer.sweep.critical_n_exact
    print(f"\ncustom two_basins_1d(depth_gap=0.06135): critical n at β=2 {crit:.2f} "
          f"(Laplace at β=1: 1050; halved by β=2); progress states during sweeps {seen}")
    assert seen[-1][0] == "visible" and "region masses" in seen[-1][1]
    assert explorer.progress.layout.visibility == "hidden"
    assert crit == pytest.approx(1050 / 2, rel=0.01)
    assert explorer.last_error is None


def test_sgd_overlay_matches_train_sgd(explorer):
    import jax

    from slt_sim.dynamics import train_sgd

    explorer.landscape_picker.value = "two basins, 2-D"
    explorer.beta_slider.value = 1.0
    explorer.n_slider.value = 3000.0
    without = bytes(explorer.image.value)
    with explorer.holding():
        explorer.lr_slider.value = 0.05
        explorer.steps_slider.value = 200
        explorer.seeds_slider.value = 32
    explorer.sgd_box.value = True
    with_sgd = bytes(explorer.image.value)
    direct = train_sgd(explorer.model, "sgd", key=jax.random.key(0), num_steps=200,
                       num_seeds=32, lr=0.05)
    ends = explorer.sgd.final_region_fractions()
    print(f"\nSGD (lr 0.05, 200 steps, 32 runs) ends {ends}; posterior at n=3000 "
          f"{_masses(explorer.posterior)}")
    assert with_sgd != without
    np.testing.assert_array_equal(np.asarray(explorer.sgd.params), np.asarray(direct.params))
    assert "SGD ends" in explorer.status.value
    # gradient descent is local: from uniform prior draws both basins are reached, in a ratio
    # that has nothing to do with the posterior masses at any n
    assert 0.0 < ends["singular"] < 1.0 and 0.0 < ends["regular"] < 1.0
    run = explorer.sgd
    explorer.n_slider.value = 5000.0                    # n does not rerun SGD on a potential
    assert explorer.sgd is run
    explorer.lr_slider.value = 0.2
    assert explorer.sgd is not run
    explorer.sgd_box.value = False
    assert explorer.sgd is None and "SGD" not in explorer.status.value
