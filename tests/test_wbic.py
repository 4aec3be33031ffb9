"""WBIC and the multi-temperature λ estimator.

1. The NUTS energies E_β[n L_n] agree with exact quadrature (E_β[nK] = n dF/dt at t = nβ, by a
   central difference of the exact free energy) within 4 MCSE + 0.02.
2. Accuracy against theory, averaged over 4 data seeds: reduced-rank regression (2,2,1,0) and
   (3,3,2,1) at n = 1e4 in the default run; tanh networks H = 1, 2 are slow-marked (no
   sufficient statistics: every gradient touches all n points; 16 data seeds at n = 1e4, run on
   a GPU). For tanh H = 2 the default run checks the estimator's own target at n = 1e3 and 1e4
   without a sampler (importance sampling of the population posterior). The printout gives
   Watanabe's plain estimator and the multiplicity-corrected one (``multiplicity=m`` with m̂
   estimated by volume scaling of K — no theory enters the estimate; see
   slt_sim.measure.wbic_lambda), each with its relative bias. The 15 % assertion is on the corrected
   estimator: for m = 2 the plain slope is biased by ≈ −(m−1)/log(nβ) (−11 % to −40 % here),
   which is the theory, not sampling error.
3. For tanh H = 3 at n = 5000 (the command line's cheap default: 3 temperatures) the slope's own
   target is the same with 3 or 5 temperatures, ≈ 21 % below λ = 5/6 (no sampler).
"""

import io
import math
import warnings

import jax
import numpy as np
import pytest

from slt_sim import models
from slt_sim.measure import (
    default_betas,
    multi_temperature_lambda,
    resolve_multiplicity,
    slope_fit,
    wbic,
)
from slt_sim.posterior import ConvergenceWarning, exact_posterior, graded_grid
from slt_sim.viz import plot_energy_slope


def _exact_energy(model, n, betas, rel=1e-3):
    """E_β[n K] for a potential: n dF/dt at t = nβ (central difference of exact F)."""
    grid = graded_grid(model.box, model.focus, min_width=1e-6)
    t = n * np.asarray(betas)
    ts = np.concatenate([t * (1 - rel), t * (1 + rel)])
    f = exact_posterior(model, ts, grid=grid, keep_density=False,
                        marginals_2d=False).free_energy
    k = len(t)
    return n * (f[k:] - f[:k]) / (2 * rel * t)


def test_energies_and_wbic_match_exact_on_normal_crossing():
    model = models.normal_crossing((1, 1))
    n = 1e4
    betas = default_betas(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = multi_temperature_lambda(model, key=jax.random.key(0), n=n, num_chains=8,
                                     num_warmup=300, num_samples=1000, target_accept=0.9)
        # 40 chains at β* = 1/log n: the same batch shape as the 5 × 8 chains above, so the
        # compiled sampler is reused
        w = wbic(model, key=jax.random.key(1), n=n, num_chains=40, num_warmup=300,
                 num_samples=1000, target_accept=0.9)
    exact = _exact_energy(model, n, np.append(betas, 1 / math.log(n)))
    print(f"\nnormal_crossing((1,1)) n = {n:g}: E_β[nK] NUTS vs exact")
    for b, got, se, want in zip(betas, r.mean_energy[0], r.energy_mcse[0], exact[:-1]):
        print(f"  β = {b:.4f}: {got:.4f} ± {se:.4f}  exact {want:.4f}  "
              f"({(got - want) / se:+.1f} MCSE)")
        assert abs(got - want) <= 4 * se + 0.02
    print(f"  WBIC: {w.value:.4f} ± {w.mcse[0]:.4f}  exact {exact[-1]:.4f}")
    assert abs(w.value - exact[-1]) <= 4 * w.mcse[0] + 0.02
    lam_exact = slope_fit(1 / betas, exact[:-1], np.ones(len(betas)), n)[0]
    print(f"  slope λ̂: NUTS {r.lam_hat:.3f} [{r.lam_ci[0]:.3f}, {r.lam_ci[1]:.3f}], exact "
          f"energies {lam_exact:.3f}; theory λ = 1/2 (m = 2); WBIC λ̂ = {w.lam_hat[0]:.3f}")
    assert r.lam_ci[0] - 0.02 <= lam_exact <= r.lam_ci[1] + 0.02
    fig = plot_energy_slope(r, theory=0.5)
    fig.savefig(io.BytesIO(), format="png")
    assert fig.axes[0].get_xlabel() == "1/β"


ACCURACY = [
    # name, model, n, NUTS settings (chains/temperatures are vectorised; 4 data seeds)
    ("rrr(2,2,1,0)", lambda: models.reduced_rank_regression(2, 2, 1, 0), 10_000,
     dict(num_chains=4, num_warmup=300, num_samples=500, target_accept=0.9)),
    ("rrr(3,3,2,1)", lambda: models.reduced_rank_regression(3, 3, 2, 1), 10_000,
     dict(num_chains=2, num_warmup=200, num_samples=300, target_accept=0.9, num_betas=3)),
]


def _accuracy_case(name, make, n, settings, num_datasets=4):
    model = make()
    lam = float(model.lam)
    # m for the correction: m̂ from volume scaling of the population loss K (6–9 s for RRR);
    # the model's theory is only used to report the bias
    m = resolve_multiplicity(model, "volume", key=jax.random.key(7))
    m_source = "volume scaling"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = multi_temperature_lambda(model, key=jax.random.key(2024), n=n,
                                     num_datasets=num_datasets, **settings)
    corrected = np.array([slope_fit(1 / r.betas, r.mean_energy[i], r.energy_mcse[i], n, m)[0]
                          for i in range(num_datasets)])
    plain_bias = r.lam_hat / lam - 1
    corr_bias = corrected.mean() / lam - 1
    se = corrected.std(ddof=1) / math.sqrt(num_datasets)
    print(f"\n{name} n = {n}: λ = {lam:.4f} (m = {model.m}); {num_datasets} data seeds, "
          f"{r.seconds:.1f} s;"
          f" correction uses m = {m} from {m_source}")
    print(f"  plain (Watanabe)      λ̂ = {r.lam_hat:.4f}  bias {100 * plain_bias:+.1f}%  "
          f"per seed {np.round(r.lam_hats, 3)}")
    print(f"  corrected (m = {m})     λ̂ = {corrected.mean():.4f} ± {se:.4f}  "
          f"bias {100 * corr_bias:+.1f}%  per seed {np.round(corrected, 3)}")
    print(f"  R-hat(energy) max {r.rhat_max:.3f}, divergences {r.divergences}")
    assert m == model.m, f"volume scaling gave m̂ = {m}, theory m = {model.m}"
    return corr_bias


@pytest.mark.parametrize("name,make,n,settings", ACCURACY, ids=[a[0] for a in ACCURACY])
def test_multi_temperature_lambda_within_15_percent_on_reduced_rank_regression(name, make, n,
                                                                               settings):
    assert abs(_accuracy_case(name, make, n, settings)) < 0.15


TANH = [
    ("tanh(H=1)", lambda: models.tanh_network(1)),
    ("tanh(H=2)", lambda: models.tanh_network(2)),
]


TANH_1000 = [
    pytest.param(*TANH[0], id="tanh(H=1)"),
    pytest.param(*TANH[1], id="tanh(H=2)", marks=pytest.mark.xfail(
        reason="measured −39 %: at n = 1e3 the estimator's own target (population posterior, "
               "no sampler) is 0.485, −27 %; competing poles 0.8 and 1 (docs/mcmc.md)",
        strict=False)),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,make", TANH_1000)
def test_multi_temperature_lambda_on_tanh_networks_at_n_1000(name, make):
    # The tanh likelihood has no sufficient statistics (each gradient touches all n points):
    # about 90–120 s per case on 2 loaded cores with these short chains, so it is slow-marked.
    # Measured (4 seeds): H = 1 corrected +8.9 %; H = 2 (m = 1) −39 % — see docs/mcmc.md.
    settings = dict(num_chains=2, num_warmup=200, num_samples=300, max_tree_depth=6,
                    num_betas=3)
    assert abs(_accuracy_case(name, make, 1000, settings)) < 0.15


@pytest.mark.slow
@pytest.mark.parametrize("name,make", TANH, ids=[a[0] for a in TANH])
def test_multi_temperature_lambda_within_15_percent_on_tanh_networks_at_n_10000(name, make):
    # 16 data seeds: the U_n term of Watanabe's expansion moves each data set's slope by ≈ ±0.07,
    # and for H = 2 the estimator's own target is only 13 % below 2/3 at n = 1e4
    # (test_population_target_of_the_slope_for_tanh_h2_is_13_percent_low_at_n_10000).
    # On one H100: 50 s (H = 2) and 22 s (H = 1); hours on 2 CPU cores. Measured:
    # H = 2 −14.3 % ± 2.5 %, H = 1 (corrected, m̂ = 2) +4.5 % ± 4.8 % (docs/mcmc.md).
    settings = dict(num_chains=4, num_warmup=300, num_samples=500, max_tree_depth=8)
    assert abs(_accuracy_case(name, make, 10_000, settings, num_datasets=16)) < 0.15


def test_wbic_and_multi_temperature_reject_bad_input():
    model = models.normal_crossing((1, 1))
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="n"):
        wbic(model, key=key, n=1.0)
    with pytest.raises(ValueError, match="betas"):
        multi_temperature_lambda(model, key=key, n=100, betas=[0.2, 0.2])
    with pytest.raises(ValueError, match="multiplicity"):
        multi_temperature_lambda(model, key=key, n=100, multiplicity=0)
    with pytest.raises(ValueError, match="potential"):
        wbic(model, key=key, n=100, num_datasets=3)


def test_population_target_of_the_slope_for_tanh_h2_is_13_percent_low_at_n_10000():
    # Sampler-free: E_β[nK] under φ(w) e^{−nβK(w)} by self-normalised importance sampling from
    # the prior (2e6 draws; the effective sample size is printed and checked), then the same
    # slope fit as multi_temperature_lambda over the default temperatures. This is what the
    # estimator converges to with infinite chains and no data noise: for tanh H = 2 (λ = 2/3,
    # m = 1) it is 0.58 at n = 1e4 — why the NUTS runs land ≈ 15 % low (docs/mcmc.md).
    model = models.tanh_network(2)
    k = np.concatenate([np.asarray(jax.jit(jax.vmap(model.population_loss))(
        model.sample_prior(jax.random.key(40 + i), (500_000,)))) for i in range(4)])
    out = {}
    for n in (1e3, 1e4):
        betas = default_betas(n)
        energies, ess = [], []
        for b in betas:
            logw = -n * b * k
            w = np.exp(logw - logw.max())
            w /= w.sum()
            energies.append(n * np.sum(w * k))
            ess.append(1 / np.sum(w ** 2))
        assert min(ess) > 1e5
        out[n] = slope_fit(1 / betas, np.array(energies), np.ones(len(betas)), n)[0]
    print(f"\ntanh H = 2 population target of the slope: n = 1e3 {out[1e3]:.3f}, n = 1e4 "
          f"{out[1e4]:.3f} (λ = 2/3)")
    assert 0.45 < out[1e3] < 0.52 and 0.55 < out[1e4] < 0.61


def test_population_target_of_the_slope_for_tanh_h3_at_n_5000_is_the_same_with_3_or_5_betas():
    # The `slt-sim lambda --model tanh --H 3 --method wbic --n 5000` default uses the ends and
    # the middle of Watanabe's interval (3 temperatures, docs/mcmc.md). Sampler-free, as above:
    # the slope's own target with 3 temperatures equals the 5-temperature one (E_β[nK] is
    # straight in 1/β over the interval), and both sit ≈ 21 % below λ = 5/6 at n = 5000 —
    # where the NUTS runs land (0.56–0.66 over three data seeds).
    model = models.tanh_network(3)
    k = np.concatenate([np.asarray(jax.jit(jax.vmap(model.population_loss))(
        model.sample_prior(jax.random.key(40 + i), (250_000,)))) for i in range(4)])
    n = 5000
    out = {}
    for num in (3, 5):
        betas = default_betas(n, num)
        energies, ess = [], []
        for b in betas:
            logw = -n * b * k
            w = np.exp(logw - logw.max())
            w /= w.sum()
            energies.append(n * np.sum(w * k))
            ess.append(1 / np.sum(w ** 2))
        assert min(ess) > 2e4
        out[num] = slope_fit(1 / betas, np.array(energies), np.ones(num), n)[0]
    print(f"\ntanh H = 3, n = 5000: population target of the slope, 3 temperatures "
          f"{out[3]:.3f}, 5 temperatures {out[5]:.3f} (λ = 5/6)")
    assert abs(out[3] - out[5]) < 0.01
    assert 0.60 < out[3] < 0.72
