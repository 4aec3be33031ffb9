"""Broken neural scaling laws (slt_sim.measure.scaling): the formula, the fit, the published
4-digit-addition extrapolation, the limit of predictability, double descent and a Bayesian phase
change read as a break."""

import warnings

import numpy as np
import pytest

import slt_sim as slt
from slt_sim.measure import BNSLParams, bnsl, collapsed_breaks, fit_bnsl, fit_power_law

# the authors' noiseless simulation of 4-digit addition (their code release): one sharp break
SIM = BNSLParams(0.41388453071629455, 2.2772722897737556, 0.055077348404973955,
                 (5.662903816010331,), (612.5836172918001,), (0.059193036393742314,))


def direct(x, p):
    y = p.b * x ** (-p.c0)
    for c, d, f in zip(p.c, p.d, p.f):
        y = y * (1 + (x / d) ** (1 / f)) ** (-c * f)
    return p.a + y


def test_zero_breaks_is_the_plain_power_law():
    x = np.geomspace(1, 1e6, 50)
    p = BNSLParams(0.3, 2.0, 0.7)
    np.testing.assert_allclose(bnsl(x, p), 0.3 + 2.0 * x ** -0.7, rtol=1e-14)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_stable_form_equals_direct_form_where_finite(k):
    rng = np.random.default_rng(k)
    x = np.geomspace(1e-2, 1e7, 400)
    for _ in range(20):
        p = BNSLParams(rng.uniform(0, 1), rng.uniform(0.1, 5), rng.uniform(-0.5, 1),
                       tuple(rng.uniform(-2, 3, k)), tuple(np.sort(10 ** rng.uniform(0, 5, k))),
                       tuple(10 ** rng.uniform(-1, 0.5, k)))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ref = direct(x, p)
        ok = np.isfinite(ref) & (np.abs(ref) < 1e250)
        np.testing.assert_allclose(bnsl(x, p)[ok], ref[ok], rtol=1e-9, atol=1e-300)


def test_stable_form_keeps_the_asymptote_where_the_direct_form_overflows():
    x = np.geomspace(10, 1e4, 200)
    far = x > 1000                                     # (x/d)^(1/f) > 1e308 from x ≈ 413
    down = BNSLParams(0.1, 1.0, 0.3, (1.0,), (100.0,), (0.002,))
    up = BNSLParams(0.1, 1.0, 0.3, (-1.0,), (100.0,), (0.002,))
    with np.errstate(over="ignore", invalid="ignore"):
        ref_down, ref_up = direct(x, down), direct(x, up)
    print("direct form past the break: down", ref_down[far][:2], "up", ref_up[far][:2])
    assert np.all(ref_down[far] == 0.1) and np.all(np.isinf(ref_up[far]))   # lost / overflowed
    # far past a sharp break y − a = b d^c x^(−c0−c): the stable form keeps it
    np.testing.assert_allclose(bnsl(x[far], down) - 0.1, 100.0 * x[far] ** -1.3, rtol=1e-12)
    np.testing.assert_allclose(bnsl(x[far], up) - 0.1, 0.01 * x[far] ** 0.7, rtol=1e-12)


def test_slopes_of_any_number_of_breaks_are_the_partial_sums():
    p = BNSLParams(0.0, 1.0, 0.2, (0.3, -0.4, 1.0, 0.5), (1e2, 1e4, 1e6, 1e8), (0.05,) * 4)
    mids = [1e1, 1e3, 1e5, 1e7, 1e9]
    got = [(np.log(bnsl(1.01 * m, p)) - np.log(bnsl(m / 1.01, p))) / np.log(1.01 ** 2)
           for m in mids]
    print("log-log slopes between breaks", np.round(got, 6), "expected", p.slopes())
    np.testing.assert_allclose(got, p.slopes(), atol=1e-6)


def test_four_digit_addition_extrapolates_within_rmsle_002_and_power_law_does_not():
    data = slt.load_scaling_curve("four_digit_addition")
    assert len(data.x) == 17 and data.fit_first == 14
    k = data.fit_first
    fit = slt.fit_bnsl(data.x[:k], data.y[:k], breaks=1, x_test=data.x[k:], y_test=data.y[k:])
    pl = slt.fit_power_law(data.x[:k], data.y[:k], x_test=data.x[k:], y_test=data.y[k:],
                           starts=2)
    print(f"\nBNSL: {fit.params}\n  train RMSLE {fit.fit_rmsle:.4g}, extrapolation RMSLE "
          f"{fit.extrapolation_rmsle:.4g}; power law: train {pl.fit_rmsle:.4g}, extrapolation "
          f"{pl.extrapolation_rmsle:.4g}")
    assert fit.extrapolation_rmsle < 0.02
    assert pl.extrapolation_rmsle > 10 * fit.extrapolation_rmsle
    assert 550 < fit.params.d[0] < 700 and fit.params.c[0] > 1   # a sharp drop near x ≈ 600
    assert fit.warnings == ()
    out = fit.as_dict()
    assert set(out["params"]) == {"a", "b", "c0", "c", "d", "f"}
    assert [e["x"] for e in out["extrapolation"]] == [800.0, 864.0, 928.0]


def test_limit_of_predictability_fit_before_the_break_fails_fit_at_its_onset_succeeds():
    """Noiseless one-break curve (d = 612.6, f = 0.059): 30 points each on [50, cut]."""
    x_test = np.geomspace(700, 4000, 12)
    out = {}
    for cut in (300.0, 500.0):
        x = np.geomspace(50, cut, 30)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_bnsl(x, bnsl(x, SIM), 1, x_test=x_test, y_test=bnsl(x_test, SIM))
        out[cut] = fit
        print(f"data up to x = {cut:g}: train RMSLE {fit.fit_rmsle:.2g}, extrapolation RMSLE "
              f"{fit.extrapolation_rmsle:.3g}, d1 = {fit.params.d[0]:.4g}; "
              f"{len(caught)} warning(s)")
    early, onset = out[300.0], out[500.0]
    assert early.fit_rmsle < 1e-3                      # it fits its data perfectly well …
    assert early.extrapolation_rmsle > 0.3             # … and misses the break
    assert onset.extrapolation_rmsle < 1e-3            # the onset carries the break's signature
    assert onset.params.d[0] == pytest.approx(612.58, rel=1e-3)


def test_double_descent_is_fitted_with_a_negative_c():
    truth = BNSLParams(0.05, 2.0, 0.5, (-1.5, 2.5), (100.0, 1000.0), (0.2, 0.2))
    x = np.geomspace(10, 1e4, 30)
    y = bnsl(x, truth)
    assert np.any(np.diff(y) > 0) and np.any(np.diff(y) < 0)     # non-monotone
    grid = {"a": [0.0, 0.05], "b": [1.0, 2.0, 4.0], "c0": [0.25, 0.5], "c": [-2.0, -1.0, 1.0, 3.0],
            "d": [30.0, 100.0, 300.0, 1000.0, 3000.0], "f": [0.1, 0.3]}
    fit = fit_bnsl(x[:24], y[:24], 2, x_test=x[24:], y_test=y[24:], grid=grid)
    print(fit.params, fit.fit_rmsle, fit.extrapolation_rmsle)
    assert fit.params.c[0] < 0 < fit.params.c[1]
    assert fit.extrapolation_rmsle < 1e-3
    np.testing.assert_allclose(fit.params.d, truth.d, rtol=1e-3)


def test_collapsed_break_and_grid_edge_are_warned():
    x = np.geomspace(1, 1e3, 20)
    y = 0.5 + 2.0 * x ** -0.8
    with pytest.warns(UserWarning, match="edge of its grid"):
        fit = fit_power_law(x, y, grid={"a": [0.0, 0.1, 0.2], "b": [1.0, 2.0, 3.0],
                                        "c0": [0.0, 0.05, 0.1]})
    assert any("c0" in w for w in fit.warnings)
    p = BNSLParams(0.5, 2.0, 0.8, (1.0,), (1e6,), (0.1,))      # the break lies beyond the data
    assert collapsed_breaks(p, 1, 1e3) == [0]
    assert collapsed_breaks(BNSLParams(0.5, 2.0, 0.8, (1.0,), (30.0,), (0.1,)), 1, 1e3) == []


@pytest.mark.parametrize("kwargs,match", [
    (dict(x=[1, 2, 3, 4, 5, 6], y=[1, 1, 1, 1, 1, 1], breaks=2), "at least 9 points"),
    (dict(x=[0, 2, 3, 4, 5, 6], y=[1, 1, 1, 1, 1, 1], breaks=1), "x must all be > 0"),
    (dict(x=[1, 2, 3, 4, 5, 6], y=[1, 1, -1, 1, 1, 1], breaks=1), "y must all be > 0"),
    (dict(x=[1, 2, 3], y=[1, 1], breaks=0), "same length"),
    (dict(x=[1, 2, 3, 4, 5, 6], y=[1, 1, 1, 1, 1, 1], breaks=-1), "breaks must be >= 0"),
])
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_bnsl(**kwargs)


def test_bayesian_phase_change_is_a_break_at_the_critical_n():
    """two_basins_2d: the Bayes generalisation error of the potential, G(n) = F_{n+1} − F_n,
    sits near the loss gap δ while the posterior is in the singular basin and falls to ≈ λ/n = 1/n
    after the jump to the regular one; a one-break BNSL puts its break near the exact critical n.
    A fit on n before the change extrapolates the plateau: it cannot see the break coming."""
    model = slt.models.two_basins_2d()
    ns = np.geomspace(200, 40000, 24)
    post = slt.exact_posterior(model, np.concatenate([ns, ns + 1]), keep_density=False,
                               marginals_2d=False)
    gen = post.free_energy[24:] - post.free_energy[:24]
    log_odds = np.log(post.region_masses["regular"][:24] / post.region_masses["singular"][:24])
    i = int(np.argmax(log_odds > 0))                   # the exact crossing, interpolated in log n
    n_c = float(np.exp(np.interp(0.0, log_odds[i - 1:i + 1], np.log(ns[i - 1:i + 1]))))
    fit = fit_bnsl(ns, gen, 1)
    early = ns < 1000
    before = fit_bnsl(ns[early], gen[early], 1, x_test=ns[~early], y_test=gen[~early])
    print(f"\nexact critical n ≈ {n_c:,.0f}; fitted break d1 = {fit.params.d[0]:,.0f} "
          f"(c1 = {fit.params.c[0]:.3g}, f1 = {fit.params.f[0]:.3g}); fit on n < 1000 predicts "
          f"G({ns[-1]:,.0f}) = {before.y_test_pred[-1]:.3g} (exact {gen[-1]:.3g}), "
          f"extrapolation RMSLE {before.extrapolation_rmsle:.3g}")
    assert 2800 < n_c < 3100                           # phase_sweep: 2,961
    assert fit.params.d[0] == pytest.approx(n_c, rel=0.15)
    assert fit.params.c[0] > 1                         # a sharp drop, not a gentle bend
    assert before.y_test_pred[-1] > 0.5 * model.region("singular").loss   # still on the plateau
    assert before.extrapolation_rmsle > 1.0
