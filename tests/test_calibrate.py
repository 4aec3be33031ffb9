"""calibrate_llc: the (ε, γ) sweep against closed forms, its references and its recommendation."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import slt_sim as slt
from slt_sim.measure import calibrate_llc, exact_localized_llc

N = 10_000
NBETA = N / math.log(N)


def _sgld_formula(eps, gamma, d=2):
    # K = ‖w‖²: U = (2nβ + γ)‖w‖²/2, SGLD variance 1/(h(1 − εh/4)), λ̂ = nβ d · variance.
    h = 2 * NBETA + gamma
    return NBETA * d / (h * (1 - eps * h / 4))


def test_sweep_matches_closed_forms_and_shows_both_biases():
    m = slt.models.quadratic(2)
    eps, gam = (1e-5, 3e-5, 5e-4), (1.0, 300.0, 3000.0)
    cal = calibrate_llc(m, jnp.zeros(2), key=jax.random.key(0), n=N, step_sizes=eps,
                        localizations=gam, sampler="sgld", num_chains=8, num_draws=4000,
                        num_burnin=500)
    print(cal.table())
    assert cal.llc_mean.shape == (3, 3) and cal.reference_kind == "exact-localized"
    for j, g in enumerate(gam):       # quadrature reference = exact nβ d/(2nβ + γ)
        assert cal.reference[j] == pytest.approx(NBETA * 2 / (2 * NBETA + g), rel=1e-4)
    for i, e in enumerate(eps):
        for j, g in enumerate(gam):
            f = _sgld_formula(e, g)
            assert abs(cal.llc_mean[i, j] - f) < 4 * cal.llc_std[i, j] + 0.03 * f, (e, g)
    # larger ε biases λ̂ up, larger γ pulls it down
    assert np.all(np.diff(cal.llc_mean, axis=0) > -2 * cal.llc_std[1:]) and \
        cal.llc_mean[2, 0] > 1.2 * cal.llc_mean[0, 0]
    assert np.all(np.diff(cal.llc_mean, axis=1) < 0)
    # MALA (unbiased at any ε; it mixes best at the largest) agrees with the exact value, and its
    # acceptance falls with ε
    assert np.all(np.abs(cal.mala_llc[2] / cal.reference - 1) < 0.04)
    assert cal.acceptance[0, 0] > 0.99 and cal.acceptance[2, 0] < cal.acceptance[0, 0]
    # the recommendation passes every check and is accurate
    i, j = cal.recommended_index
    assert cal.ok[i, j] and cal.recommended == {"step_size": 3e-5, "localization": 1.0}
    assert abs(cal.bias[i, j] / cal.reference[j]) < 0.05


def test_theory_reference_for_a_data_model_at_its_true_parameter():
    m = slt.models.reduced_rank_regression(2, 2, 1, 1)
    cal = calibrate_llc(m, None, key=jax.random.key(1), n=2000, step_sizes=(1e-4,),
                        localizations=(1.0,), num_chains=2, num_draws=300, num_burnin=100,
                        mala=False)
    print(cal.table())
    assert cal.reference_kind == "theory" and cal.reference == float(m.lam)
    assert cal.acceptance is None and cal.mala_llc is None
    assert cal.bias.shape == (1, 1)


def test_exact_localised_reference_of_the_m2_crossing():
    # K = a²b² at nβ = 1e4/log 1e4, γ = 1: ∫ over b is Gaussian, leaving a 1-D integral.
    from scipy import integrate

    t, g = NBETA, 1.0

    def z(tt):
        return integrate.quad(lambda a: np.exp(-g * a * a / 2) / np.sqrt(tt * a * a + g / 2),
                              0, np.inf, limit=400)[0]

    h = 1e-4
    expected = -t * (math.log(z(t * (1 + h))) - math.log(z(t * (1 - h)))) / (2 * h * t)
    got = exact_localized_llc(slt.models.normal_crossing((1, 1)), jnp.zeros(2), t, g)
    print(f"exact localised E[nβK]: quadrature engine {got:.5f}, 1-D integral {expected:.5f}")
    assert got == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("kwargs, match", [
    ({"step_sizes": ()}, "step_sizes must not be empty"),
    ({"localizations": (-1.0,)}, "localizations must all be >= 0"),
    ({"reference": "theory"}, "reference must be 'auto'"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        calibrate_llc(slt.models.quadratic(2), jnp.zeros(2), key=jax.random.key(0), n=N,
                      num_draws=10, num_burnin=0, **kwargs)


def test_a_calibration_where_nothing_passes_fails_loudly():
    """ε = 1e-5 with 1,000 draws: the chains never leave w* (λ̂ ≈ 0) — a failed check, and with
    no passing setting there is no recommendation anywhere (result, table, JSON, plot)."""
    m = slt.models.normal_crossing((1, 2))
    with pytest.warns(slt.CalibrationWarning, match="CALIBRATION FAILED"):
        cal = calibrate_llc(m, jnp.zeros(2), key=jax.random.key(1), n=N, step_sizes=(1e-5,),
                            localizations=(0.1,), num_chains=4, num_draws=1000,
                            num_burnin=200, mala=False)
    print(cal.table())
    assert not cal.passed and cal.recommended == {} and cal.recommended_index is None
    assert cal.table().startswith("CALIBRATION FAILED")
    assert "hardly left w*" in cal.warnings[0][0] or "hardly left w*" in " ".join(cal.warnings[0])
    out = cal.as_dict()
    assert out["passed"] is False and out["recommended"] is None
    from matplotlib.figure import Figure

    from slt_sim.viz import plot_calibration
    ax = Figure().subplots()
    assert plot_calibration(cal, ax=ax) is ax.figure
    assert any("calibration failed" in t.get_text() for t in ax.texts)
    json.dumps(out)


def test_a_gamma_that_confines_the_chains_is_never_recommended():
    """a²b² at nβ = 1000: the exact target at γ = 100 is far below the unlocalised one."""
    m = slt.models.normal_crossing((1, 1))
    cal = calibrate_llc(m, jnp.zeros(2), key=jax.random.key(0), n=100_000, nbeta=1000.0,
                        step_sizes=(3e-4,), localizations=(1.0, 100.0), num_chains=4,
                        num_draws=1000, num_burnin=200, mala=False)
    print(cal.table(), cal.target_shift, cal.reference_unlocalized)
    assert cal.reference_unlocalized == pytest.approx(
        exact_localized_llc(m, jnp.zeros(2), 1000.0, None))
    assert abs(cal.target_shift[0]) < 0.1 < abs(cal.target_shift[1])
    assert not cal.ok[0, 1] and any("confines" in w for w in cal.warnings[1])
    assert cal.passed and cal.recommended["localization"] == 1.0


def test_sgld_step_bias_rejects_a_step_that_mala_still_accepts():
    # the ring (a² + b² − 1)²: across it h ≈ 8nβ, so at ε = 1e-4 SGLD's variance there is 28%
    # too large (λ̂ ≈ 0.65 against an exact target of 0.50) while MALA still accepts > 90%.
    # The predicted step bias (from the Hessian at w*) rejects it; ε = 3e-5 is recommended.
    ring = slt.models.polynomial("(a^2+b^2-1)^2")
    cal = calibrate_llc(ring, jnp.array([1.0, 0.0]), key=jax.random.key(0), n=10_000,
                        step_sizes=(3e-5, 1e-4), localizations=(1.0,))
    print("\n" + cal.table())
    assert cal.acceptance[1, 0] > 0.9                      # the acceptance check passes …
    assert not cal.ok[1, 0] and any("sharpest" in w for w in cal.warnings[1])   # … this not
    assert cal.recommended == {"step_size": 3e-5, "localization": 1.0}
    # the prediction tracks the measured bias against the exact localised target
    assert np.all(np.abs(cal.step_bias[:, 0] - cal.bias[:, 0]) < 3 * cal.llc_std[:, 0] + 0.02)
    assert cal.step_bias[1, 0] > 0.1 and cal.bias[1, 0] > 0.1
    assert cal.as_dict()["step_bias"][1][0] == pytest.approx(cal.step_bias[1, 0])


def test_a_loss_without_second_derivatives_leaves_the_step_bias_unchecked_not_failed():
    # a backward pass through a host callback: gradients work, Hessians do not
    from _losses import host_callback_loss

    cal = calibrate_llc(host_callback_loss, jnp.zeros(2),
                        key=jax.random.key(0), n=10_000, step_sizes=(1e-4,),
                        localizations=(1.0,), num_draws=400, num_burnin=100)
    assert cal.step_bias is None and any("unchecked" in note for note in cal.notes)
    assert cal.passed                            # the other checks decide, as before
