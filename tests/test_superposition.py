"""Toy model of superposition: closed-form loss, k-gon critical points, phases.

Chen, Lau, Mendel, Wei, Murfet (2023)."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from slt_sim import models
from slt_sim.models import superposition as tms

C = 6


@pytest.fixture(scope="module")
def model():
    return models.toy_superposition(C)


def test_kgon_losses_match_published_values(model):
    l5 = float(model.population_loss(models.kgon(C, 5)))
    l6 = float(model.population_loss(models.kgon(C, 6)))
    print(f"c=6: L(5-gon) = {l5:.6f} (published 0.06874), L(6-gon) = {l6:.6f} (published 0.04819)")
    assert round(l5, 5) == 0.06874 and round(l6, 5) == 0.04819
    # k <= 4: the columns do not interfere (cos ≤ 0), l* = 1, b* = 0 reconstructs each live
    # feature exactly, and each of the c − k dead ones costs 1/(3c)
    for k in (1, 2, 3, 4):
        assert float(model.population_loss(models.kgon(C, k))) == pytest.approx(
            (C - k) / (3 * C), abs=1e-12)


def test_closed_form_loss_matches_monte_carlo(model):
    key = jax.random.key(0)
    ws = 0.8 * jax.random.normal(key, (4, model.dim))
    ws = jnp.concatenate([ws, models.kgon(C, 5)[None], models.kgon_plus(C, 4, 2)[None]])
    data = model.sample_data(jax.random.key(1), 200_000)
    per_sample = jax.jit(model.per_sample_loss)
    pop = jax.jit(model.population_loss)
    for w in ws:
        per = per_sample(w, data)
        mc, se = float(jnp.mean(per)), float(jnp.std(per)) / np.sqrt(per.size)
        exact = float(pop(w))
        print(f"closed form {exact:.5f}  Monte Carlo {mc:.5f} ± {se:.5f}")
        assert abs(exact - mc) < 4 * se + 1e-9


def test_kplus_lowers_loss_by_one_over_4c_squared(model):
    for k in (4, 5):
        for p in (1, 2 if k == 4 else 1):
            diff = float(model.population_loss(models.kgon(C, k))) - \
                float(model.population_loss(models.kgon_plus(C, k, p)))
            assert diff == pytest.approx(p / (4 * C * C), abs=1e-12)


def test_kgons_are_critical_with_morse_bott_hessian_ranks(model):
    """rank(Hessian)/2 at the 5-gon, 6-gon, 5+ equals the λ the module states (7, 17/2, 17/2)."""
    grad = jax.jit(jax.grad(model.population_loss))
    hess = jax.jit(jax.hessian(model.population_loss))
    for w, lam in ((models.kgon(C, 5, angle=0.3), Fraction(7)),
                   (models.kgon(C, 6), Fraction(17, 2)),
                   (models.kgon_plus(C, 5), Fraction(17, 2))):
        g = grad(w)
        ev = np.linalg.eigvalsh(np.asarray(hess(w)))
        rank = int(np.sum(ev > 1e-6))
        print(f"|grad| = {float(jnp.linalg.norm(g)):.1e}, min eig = {ev[0]:.1e}, rank = {rank}, "
              f"λ = rank/2 = {rank / 2}")
        assert float(jnp.linalg.norm(g)) < 1e-7
        assert ev[0] > -1e-7  # PSD up to the optimiser's precision on (l*, b*)
        assert Fraction(rank, 2) == lam
    assert tms.kgon_lambda(C, 5) == 7 and tms.kgon_lambda(C, 6) == Fraction(17, 2)
    assert tms.kgon_lambda(C, 5, plus=1) == Fraction(17, 2)
    assert tms.kgon_lambda(C, 4) is None  # b* = 0: a ReLU kink on the point


def test_classify_phase_names_kgons_under_symmetries(model):
    R = jnp.array([[0.0, -1.0], [1.0, 0.0]])
    perm = np.random.default_rng(0).permutation(C)
    names = []
    for k in range(1, C + 1):
        w = models.kgon(C, k, angle=0.7)
        W, b = w[:2 * C].reshape(2, C), w[2 * C:]
        w_sym = tms.pack((R @ W)[:, perm], b[perm])  # rotate the plane, relabel the features
        names.append((models.classify_phase(w, C), models.classify_phase(w_sym, C)))
    print("k-gon phases:", names)
    assert names == [(str(k), str(k)) for k in range(1, C + 1)]
    batch = jnp.stack([models.kgon_plus(C, 5), models.kgon_plus(C, 4, 2), models.kgon(C, 3)])
    assert list(models.classify_phase(batch, C)) == ["5+", "4++", "3"]
    # a live column inside the hull of a 5-gon is reported
    w = models.kgon(C, 5)
    w = w.at[jnp.array([5, C + 5])].set(jnp.array([0.55, 0.0]))
    assert models.classify_phase(w, C) == "5(1 in)"


def test_phase_regions_agree_with_fast_index_and_carry_theory(model):
    small = models.toy_superposition(4)  # 15 regions: the generic region_index compiles fast
    ws = jnp.concatenate([jax.random.normal(jax.random.key(3), (300, small.dim)),
                          jnp.stack([models.kgon(4, k) for k in range(1, 5)]),
                          jnp.stack([models.kgon_plus(4, k, 1) for k in range(1, 4)])])
    slow = jax.jit(jax.vmap(small.region_index))(ws)
    fast = jax.jit(jax.vmap(small.extra["region_index"]))(ws)
    assert bool(jnp.all(slow == fast))
    assert [small.region_names[i] for i in np.asarray(fast[-7:])] == \
        ["1", "2", "3", "4", "1+", "2+", "3+"]
    r5, r6 = model.region("5"), model.region("6")
    assert r5.lam == 7 and r6.lam == Fraction(17, 2)
    assert r5.loss == pytest.approx(0.068744, abs=1e-6)
    assert model.region("5+").loss == pytest.approx(r5.loss - 1 / 144, abs=1e-12)


def test_tms_data_and_bad_input(model):
    d = model.sample_data(jax.random.key(0), 1000)
    assert d.x.shape == (1000, C) and bool(jnp.all(d.x == d.y))
    assert bool(jnp.all(jnp.sum(d.x > 0, axis=1) <= 1))  # one active feature
    assert model.dim == 18 and model.is_potential is False
    with pytest.raises(ValueError, match="c"):
        models.toy_superposition(1)
    with pytest.raises(ValueError, match="k"):
        models.kgon(6, 7)
    with pytest.raises(ValueError, match="dead_bias"):
        models.kgon(6, 5, dead_bias=0.3)
    with pytest.raises(ValueError, match="last dimension"):
        models.classify_phase(jnp.zeros(17), 6)
    with pytest.raises(ValueError, match="plus"):
        models.kgon_plus(6, 6)


def test_kgon_llc_estimates_within_15_percent_of_theory(model):
    """SGLD λ̂ at the 5-gon and 6-gon: L = closed-form population loss, n = 10⁵ (nβ = n/log n).

    The dead feature of the 5-gon (W_6 = 0, b_6 < 0) is exactly flat near the point and adds 0
    to λ, but only within |W_6| ≲ |b*|/l* ≈ 0.24; the localisation γ = 1 would let it wander
    about 1 away and revive, so it is held fixed (``param_mask``): λ is the live features' LLC.
    """
    from slt_sim.measure import estimate_llc

    def pop(w, batch):
        return model.population_loss(w)

    dead = np.ones(model.dim)
    dead[[C - 1, 2 * C - 1, 3 * C - 1]] = 0.0
    for k, lam, mask in ((5, 7.0, dead), (6, 8.5, None)):
        r = estimate_llc(pop, models.kgon(C, k), key=jax.random.key(k), n=100_000,
                         step_size=1e-5, num_chains=8, num_draws=4000, num_burnin=1000,
                         param_mask=mask)
        print(f"{k}-gon: λ̂ = {r.llc_mean:.2f} ± {r.llc_std:.2f} (theory {lam}, "
              f"{100 * (r.llc_mean / lam - 1):+.1f}%)")
        assert abs(r.llc_mean / lam - 1) < 0.15


def test_posterior_prefers_5gon_at_small_n_and_6gon_at_large_n(model):
    """Replica exchange over an n ladder (population loss, β = 1): occupancy of phases 5 and 6."""
    from slt_sim.posterior import replica_exchange

    ns = np.geomspace(1, 3000, 20)
    occ = replica_exchange(model, ns, key=jax.random.key(0), num_replicas=4, num_steps=6000,
                           num_burnin=2000)
    five, six = occ.occupancy["5"], occ.occupancy["6"]
    for j in (9, 12, 14, 16, 19):
        print(f"n = {ns[j]:7.1f}: P(6-gon) = {six[j]:.2f} ± {occ.occupancy_se['6'][j]:.2f}, "
              f"P(5-gon) = {five[j]:.2f} ± {occ.occupancy_se['5'][j]:.2f}")
    print(f"measured 5 → 6 crossing n ≈ {occ.crossing('6', '5'):.0f}; min swap acceptance "
          f"{occ.swap_acceptance.min():.2f}")
    small = (ns > 20) & (ns < 100)
    assert np.all(five[small] > six[small])
    assert np.all(six[ns > 800] > 0.95)
    assert occ.swap_acceptance.min() > 0.02
    assert 100 < occ.crossing("6", "5") < 500


# ------------------------------------------------------------------ the paper's setting (issue 11)
def test_gaussian_likelihood_is_half_our_loss_and_moves_the_predicted_crossing(model):
    """Normal(·, σ = 1) likelihood: ℓ = ‖y − f‖²/2, so the population loss, the per-sample loss
    and the region losses are exactly half ours, and the asymptotic crossing n ΔL/2 = Δλ log n
    moves from 445 to 1,010 (the posterior at n is ours at n/2)."""
    from slt_sim.theory import FreeEnergyLaw, critical_n

    g = models.toy_superposition(C, likelihood="gaussian")
    g2 = models.toy_superposition(C, likelihood="gaussian", sigma=0.5)
    w = model.sample_prior(jax.random.key(0), (3,))
    ref = [float(model.population_loss(x)) for x in w]
    assert [float(g.population_loss(x)) for x in w] == pytest.approx(np.multiply(ref, 0.5),
                                                                       rel=1e-12)
    assert float(g2.population_loss(w[0])) == pytest.approx(2.0 * ref[0], rel=1e-12)
    data = model.sample_data(jax.random.key(1), 50)
    assert float(g.empirical_loss(w[0], data)) == pytest.approx(
        0.5 * float(model.empirical_loss(w[0], data)), rel=1e-12)
    assert g.region("6").loss == pytest.approx(0.5 * model.region("6").loss, rel=1e-12)
    assert g.extra["likelihood_scale"] == 0.5 and "σ = 1" in g.noise
    assert model.extra["likelihood_scale"] == 1.0 and "σ² = 1/2" in model.noise

    def crit(m):
        return critical_n(*(FreeEnergyLaw(m.region(k).loss, float(m.region(k).lam))
                            for k in ("6", "5")))
    print(f"predicted crossing: ours {crit(model):.0f}, gaussian σ = 1 {crit(g):.0f}")
    assert crit(model) == pytest.approx(445, rel=0.01)
    assert crit(g) == pytest.approx(1010, rel=0.01)
    with pytest.raises(ValueError, match="likelihood"):
        models.toy_superposition(C, likelihood="normal")
    with pytest.raises(ValueError, match="sigma"):
        models.toy_superposition(C, likelihood="gaussian", sigma=0.0)


def test_paper_constant_is_the_prior_term_alone():
    """Chen et al.'s Δc = 2.7535 = ½‖w*₆‖² − ½‖w*₅‖² = 6.37767 − 3.62417 (dead biases 0): only
    the N(0, 1) prior density at each k-gon. With it and our exp(−nL), n ΔL = Δλ log n + Δc gives
    the paper's predicted n ≈ 600."""
    from scipy.optimize import brentq

    p6, p5 = tms.prior_term(C, 6), tms.prior_term(C, 5)
    print(f"½‖w6‖² = {p6:.5f}, ½‖w5‖² = {p5:.5f}, Δc = {p6 - p5:.4f}")
    assert round(p6, 4) == 6.3776 and round(p5, 4) == 3.6242
    assert round(p6 - p5, 4) == 2.7535
    dl = tms.kgon_norm_bias(C, 5)[2] - tms.kgon_norm_bias(C, 6)[2]
    n_pred = brentq(lambda n: n * dl - 1.5 * np.log(n) - (p6 - p5), 50, 1e5)
    assert n_pred == pytest.approx(601, abs=5)


def test_hull_vertex_count_counts_kplus_and_inner_columns_as_the_kgon():
    """The demos' classifier (hull vertices of all columns) calls 5⁺ and a 5-gon with a short
    column inside '5'; ours names them '5+' and '5(1 in)'."""
    w5, w6 = tms.kgon(C, 5), tms.kgon(C, 6)
    inner = w5.at[5].set(0.6).at[C + 5].set(0.1)  # feature 6 live (norm > 0.5), inside the hull
    for w, hull, ours in ((w5, 5, "5"), (w6, 6, "6"), (tms.kgon_plus(C, 5), 5, "5+"),
                          (inner, 5, "5(1 in)"), (tms.kgon(C, 3), 3, "3")):
        assert tms.hull_vertex_count(w, C) == hull
        assert tms.classify_phase(w, C) == ours
    batch = jnp.stack([w5, w6, inner])
    assert tms.hull_vertex_count(batch, C).tolist() == [5, 6, 5]
    with pytest.raises(ValueError, match="last dimension"):
        tms.hull_vertex_count(jnp.zeros(5), C)


@pytest.mark.slow
def test_gaussian_likelihood_doubles_the_measured_population_crossing(model):
    """Replica exchange on the population loss: the σ = 1 Gaussian likelihood moves the measured
    5 → 6 crossing by ×2 (exact in distribution; tolerance for the sampling noise)."""
    from slt_sim.posterior import replica_exchange

    g = models.toy_superposition(C, likelihood="gaussian")
    ns = np.geomspace(1, 5000, 28)
    cross = {}
    for name, m in (("ours", model), ("gaussian", g)):
        occ = replica_exchange(m, ns, key=jax.random.key(3), num_replicas=4, num_steps=12_000,
                               num_burnin=3000)
        cross[name] = occ.crossing("6", "5")
        assert occ.swap_acceptance.min() > 0.05
    print(f"measured crossing: ours {cross['ours']:.0f}, gaussian σ = 1 {cross['gaussian']:.0f}, "
          f"ratio {cross['gaussian'] / cross['ours']:.2f}")
    assert 150 < cross["ours"] < 300
    assert 1.6 < cross["gaussian"] / cross["ours"] < 2.5
