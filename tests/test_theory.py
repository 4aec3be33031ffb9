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
    (dict(M=3, N=3, H=2, r=-1), "r"), (dict(M=3, N=3, H=2, r=3), "r"),
    (dict(M=0, N=3, H=2, r=0), "M"), (dict(M=3, N=2.5, H=2, r=0), "N"),
    (dict(M=3, N=3, H="x", r=0), "H"),
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
                d = sum(a * b for a, b in zip(widths, widths[1:]))
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
        poles = [Fraction(H + j * j + j, 4 * j + 2) for j in range(0, 40)]
        lc = theory.tanh_network(H)
        assert lc.lam == min(poles)
        assert lc.m == poles.count(min(poles))
        assert lc.lam <= H  # never above the regular value d/2 = H


def test_tanh_rejects_nonpositive_width():
    with pytest.raises(ValueError, match="^H"):
        theory.tanh_network(0)
