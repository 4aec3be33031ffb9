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
    from slt_sim.measure.llc import estimate_llc

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
    from slt_sim.posterior.tempering import replica_exchange

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
