"""Closed-form learning coefficients against published values, and free-energy asymptotics."""

import itertools
from fractions import Fraction

import pytest

from slt_sim import theory

# ---------------------------------------------------------------- reduced rank regression

# (M, N, H, r) -> (λ, m, case); worked by hand from Aoyagi & Watanabe (2005), Main Theorem.
RRR_TABLE = [
    ((5, 5, 3, 0), Fraction(13, 2), 2, "case 1 (odd)"),   # foundation issue row
    ((2, 2, 1, 0), Fraction(1), 2, "case 1 (odd)"),       # K = |a|²|b|²: two radial crossings
    ((3, 3, 2, 1), Fraction(7, 2), 2, "case 1 (odd)"),
    ((4, 4, 3, 1), Fraction(6), 1, "case 1 (even)"),      # same model as DLN 4-3-4, rank 1
    ((3, 3, 2, 0), Fraction(5, 2), 1, "case 1 (even)"),
    ((1, 5, 2, 0), Fraction(1), 1, "case 2"),             # M + H < N + r: λ = HM/2
    ((5, 1, 2, 1), Fraction(5, 2), 1, "case 3"),          # N + H < M + r: (HN − Hr + Mr)/2
    ((2, 2, 6, 0), Fraction(2), 1, "case 4"),             # M + N < H + r: λ = MN/2
    ((6, 2, 3, 1), Fraction(9, 2), 1, "case 3"),          # (3·2 − 3·1 + 6·1)/2
]


@pytest.mark.parametrize("args,lam,m,case", RRR_TABLE)
def test_rrr_lambda_matches_aoyagi_watanabe_table(args, lam, m, case):
    lc = theory.reduced_rank_regression(*args)
    print(f"RRR{args}: λ = {lc.lam} (expected {lam}), m = {lc.m} (expected {m}), {lc.case}")
    assert (lc.lam, lc.m, lc.case) == (lam, m, case)


def test_rrr_never_exceeds_regular_value_and_full_rank_case4_is_regular():
    for M, N, H in itertools.product(range(1, 7), repeat=3):
        for r in range(min(M, N, H) + 1):
            lc = theory.reduced_rank_regression(M, N, H, r)
            assert 0 <= lc.lam <= Fraction(H * (M + N), 2)
    # H ≥ M + N: the product BA ranges over all N×M matrices near a generic point → MN/2
    assert theory.reduced_rank_regression(2, 3, 7, 2).lam == Fraction(6, 2)


@pytest.mark.parametrize("kwargs,name", [
    ({"M": 3, "N": 3, "H": 2, "r": -1}, "r"), ({"M": 3, "N": 3, "H": 2, "r": 3}, "r"),
    ({"M": 0, "N": 3, "H": 2, "r": 0}, "M"), ({"M": 3, "N": 2.5, "H": 2, "r": 0}, "N"),
    ({"M": 3, "N": 3, "H": "x", "r": 0}, "H"),
])
def test_rrr_rejects_bad_arguments_naming_them(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b"):
        theory.reduced_rank_regression(**kwargs)


# ---------------------------------------------------------------- deep linear networks

def test_dln_with_two_matrices_equals_rrr_on_every_small_case():
    count = 0
    for M, N, H in itertools.product(range(1, 7), repeat=3):
        for r in range(min(M, N, H) + 1):
            rrr = theory.reduced_rank_regression(M, N, H, r)
            dln = theory.deep_linear_network((M, H, N), r)
            assert (dln.lam, dln.m) == (rrr.lam, rrr.m), ((M, H, N), r, rrr, dln)
            count += 1
    print(f"DLN (M, H, N) == RRR (M, N, H) in λ and m on all {count} cases with M, N, H ≤ 6")
    assert count == 657  # Σ over M, N, H ≤ 6 of (min(M, N, H) + 1)


def test_dln_published_example_widths_10_20_20_10_rank_10_gives_50():
    lc = theory.deep_linear_network([10, 20, 20, 10], 10)
    print(f"DLN [10,20,20,10], r=10: λ = {lc.lam}, m = {lc.m}, {lc.case}")
    assert lc.lam == 50 and lc.m == 1


def test_dln_4_3_4_rank_1_gives_6():
    lc = theory.deep_linear_network("4,3,4", 1)
    print(f"DLN 4-3-4, r=1: λ = {lc.lam}, m = {lc.m}")
    assert lc.lam == 6 and lc.m == 1


@pytest.mark.parametrize("L,H,r", [(1, 3, 1), (2, 5, 2), (3, 4, 1), (4, 6, 3), (5, 3, 0),
                                   (7, 5, 2), (10, 4, 4)])
def test_dln_equal_widths_matches_closed_form(L, H, r):
    lc = theory.deep_linear_network([H] * (L + 1), r)
    total = (L + 1) * (H - r)
    a = total - (-(-total // L) - 1) * L
    expected = (Fraction(2 * r * H - r * r, 2) + Fraction((L + 1) * (H - r) ** 2, 4 * L)
                + Fraction(a * (L - a), 4 * L))
    print(f"equal widths L={L}, H={H}, r={r}: λ = {lc.lam} (closed form {expected}), m = {lc.m}")
    assert lc.lam == expected and lc.m == a * (L - a) + 1


def test_dln_one_matrix_is_regular():
    for h1, h2 in itertools.product(range(1, 6), repeat=2):
        for r in range(min(h1, h2) + 1):
            lc = theory.deep_linear_network((h1, h2), r)
            assert (lc.lam, lc.m) == (Fraction(h1 * h2, 2), 1)


def test_dln_sigma_exists_uniquely_and_lambda_below_regular_for_deep_small_nets():
    n = 0
    for L in range(1, 5):
        for widths in itertools.product(range(1, 5), repeat=L + 1):
            for r in range(min(widths) + 1):
                lc = theory.deep_linear_network(widths, r)  # raises if Σ is not unique
                d = sum(a * b for a, b in itertools.pairwise(widths))
                assert 0 <= lc.lam <= Fraction(d, 2) and lc.m >= 1
                n += 1
    print(f"Σ unique and 0 ≤ λ ≤ d/2 on {n} deep linear networks (L ≤ 4, widths ≤ 4)")


def test_dln_ties_in_deltas_are_kept_together():
    # Δ = (0, 3, 3): Σ cannot stop inside the tie at 3, so it is all three layers
    lc = theory.deep_linear_network((1, 4, 4), 1)
    assert lc.case.startswith("Σ = {1, 2, 3}")
    assert (lc.lam, lc.m) == (theory.reduced_rank_regression(1, 4, 4, 1).lam, 1)


@pytest.mark.parametrize("widths,rank,name", [
    ((4, 3, 4), 4, "rank"), ((4, 3, 4), -1, "rank"), ((4,), 0, "widths"),
    ((4, 0, 4), 0, r"widths\[1\]"), ("4,x,4", 1, "widths"),
])
def test_dln_rejects_bad_arguments_naming_them(widths, rank, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name}"):
        theory.deep_linear_network(widths, rank)


# ---------------------------------------------------------------- tanh networks

def test_tanh_lambda_formula_and_perfect_square_multiplicity():
    expected = {1: (Fraction(1, 2), 2), 2: (Fraction(2, 3), 1), 3: (Fraction(5, 6), 1),
                4: (Fraction(1), 2), 5: (Fraction(11, 10), 1), 9: (Fraction(3, 2), 2),
                10: (Fraction(11, 7), 1)}
    for H, (lam, m) in expected.items():
        lc = theory.tanh_network(H)
        print(f"tanh H={H}: λ = {lc.lam}, m = {lc.m}")
        assert (lc.lam, lc.m) == (lam, m)


def test_tanh_lambda_is_min_of_candidate_poles_and_m_counts_ties():
    for H in range(1, 200):
        poles = [Fraction(H + j * j + j, 4 * j + 2) for j in range(40)]
        lc = theory.tanh_network(H)
        assert lc.lam == min(poles)
        assert lc.m == poles.count(min(poles))
        assert lc.lam <= H  # never above the regular value d/2 = H


def test_tanh_rejects_nonpositive_width():
    with pytest.raises(ValueError, match="^H"):
        theory.tanh_network(0)


# ---------------------------------------------------------------- free-energy asymptotics

def test_free_energy_asymptotic_matches_formula_and_is_vectorised():
    import math

    import numpy as np

    ns = np.array([3.0, 1e2, 1e6, 1e12])
    f = theory.free_energy_asymptotic(ns, loss=0.25, lam=Fraction(3, 2), m=3, const=-1.5)
    expected = [0.25 * n + 1.5 * math.log(n) - 2 * math.log(math.log(n)) - 1.5 for n in ns]
    print("F_n(loss=1/4, λ=3/2, m=3, c=-3/2) at", ns.tolist(), "=", f.tolist())
    assert f.dtype == np.float64 and f.shape == (4,)
    np.testing.assert_allclose(f, expected, rtol=1e-14)
    assert np.all(np.isfinite(f))
    assert theory.free_energy_asymptotic(np.e, 0.0, 1.0, 2) == pytest.approx(1.0)  # log log e = 0
    assert isinstance(theory.free_energy_asymptotic(10.0, 0.0, 0.5), float)
    grid = theory.free_energy_asymptotic(np.full((2, 3), 10.0), 0.0, 1.0)
    assert grid.shape == (2, 3)
    # m = 1: any n > 0 (the log log n term is absent)
    assert theory.free_energy_asymptotic(0.5, 0.0, 1.0) == pytest.approx(math.log(0.5))


@pytest.mark.parametrize("n,m,match", [(0.0, 1, "n must"), (-5.0, 1, "n must"), (1.0, 2, "n must"),
                                       (0.5, 3, "n must"), (float("nan"), 1, "n must")])
def test_free_energy_asymptotic_rejects_n_outside_domain(n, m, match):
    with pytest.raises(ValueError, match=match):
        theory.free_energy_asymptotic(n, 0.0, 1.0, m)


def test_free_energy_asymptotic_rejects_bad_lambda_and_m():
    with pytest.raises(ValueError, match="^lam"):
        theory.free_energy_asymptotic(10.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="^m"):
        theory.free_energy_asymptotic(10.0, 0.0, 1.0, m=0)


def test_critical_n_equal_multiplicities_matches_lambert_w():
    from scipy.special import lambertw

    # δ n = Δλ log n  ⇔  n = −(Δλ/δ) W(−δ/Δλ); branch −1 is the phase change, branch 0 is n ≈ 1
    complex_, simple = theory.FreeEnergyLaw(0.0, 1), theory.FreeEnergyLaw(0.01, Fraction(1, 2))
    exact = [float(-(0.5 / 0.01) * lambertw(-0.01 / 0.5, k).real) for k in (0, -1)]
    roots = theory.free_energy_crossings(complex_, simple)
    n_c = theory.critical_n(complex_, simple)
    print(f"crossings {roots}, Lambert W {exact}; critical n = {n_c}")
    assert roots == pytest.approx(exact, rel=1e-10)
    assert n_c == pytest.approx(exact[1], rel=1e-10)
    assert theory.critical_n(simple, complex_) == n_c


def test_critical_n_with_log_log_term_and_constants_solves_the_crossing_equation():
    import math

    a = theory.FreeEnergyLaw(loss=0.0, lam=1, m=1, const=0.7)
    b = theory.FreeEnergyLaw(loss=0.002, lam=Fraction(1, 2), m=2, const=-0.3)
    n_c = theory.critical_n(a, b)
    gap = (n_c * (b.loss - a.loss) - (a.lam - b.lam) * math.log(n_c)
           + (a.m - b.m) * math.log(math.log(n_c)) - (a.const - b.const))
    print(f"critical n = {n_c:.6f}, residual of the crossing equation = {gap:.2e}")
    assert abs(gap) < 1e-9
    below, above = a.free_energy(n_c / 1.1) - b.free_energy(n_c / 1.1), \
        a.free_energy(n_c * 1.1) - b.free_energy(n_c * 1.1)
    assert below > 0 > above  # simple b preferred below, complex a above


def test_critical_n_is_none_when_free_energies_never_cross():
    same_lam = theory.FreeEnergyLaw(0.0, 1), theory.FreeEnergyLaw(0.1, 1)
    assert theory.critical_n(*same_lam) is None
    law = theory.FreeEnergyLaw(0.0, Fraction(1, 2), 2)
    assert theory.critical_n(law, law) is None
    # the crossing (≈ 282) lies outside the searched range
    a, b = theory.FreeEnergyLaw(0.0, 1), theory.FreeEnergyLaw(0.01, 0.5)
    assert theory.critical_n(a, b, n_range=(1e3, 1e9)) is None


def test_critical_n_accepts_model_regions():
    from slt_sim import models

    singular, regular = models.two_basins_2d().regions
    n_c = theory.critical_n(regular, singular)
    law_r, law_s = (theory.FreeEnergyLaw.from_region(r) for r in (regular, singular))
    print(f"two_basins_2d regions {regular.name} vs {singular.name}: predicted critical n = {n_c}")
    assert n_c is not None and abs(law_r.free_energy(n_c) - law_s.free_energy(n_c)) < 1e-8
    assert theory.critical_n(law_r, law_s) == n_c


@pytest.mark.parametrize("kwargs,match", [
    ({"n_range": (10.0, 1.0)}, "n_range"), ({"n_range": (0.0, 1e3)}, r"n_range\[0\]"),
    ({"n_range": 5.0}, "n_range"),
])
def test_critical_n_rejects_bad_range(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        theory.critical_n(theory.FreeEnergyLaw(0, 1), theory.FreeEnergyLaw(0.1, 0.5), **kwargs)


def test_free_energy_law_rejects_unknown_region_parameters():
    class Partial:
        name, loss, lam, m = "basin", 0.1, None, 1

    with pytest.raises(ValueError, match="no lam"):
        theory.FreeEnergyLaw.from_region(Partial())
    with pytest.raises(TypeError, match="^b must be"):
        theory.critical_n(theory.FreeEnergyLaw(0, 1), object())
    with pytest.raises(ValueError, match="^m"):
        theory.FreeEnergyLaw(0.0, 1.0, m=0)
