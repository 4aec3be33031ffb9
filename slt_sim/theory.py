"""Closed-form learning coefficients λ (RLCT) and multiplicities m, and free-energy asymptotics.

The learning coefficient λ and its multiplicity m are read off the zeta function
ζ(z) = ∫ K(w)^z φ(w) dw, whose largest pole is at z = −λ with order m; equivalently the prior
volume of {K < ε} scales as c·ε^λ·(−log ε)^(m−1) as ε → 0 (Watanabe 2009, *Algebraic Geometry and
Statistical Learning Theory*, Cambridge UP, ch. 2 and 6). They set the free energy

    F_n = −log ∫ φ(w) Π_i p(X_i | w) dw = n·L_n(w0) + λ log n − (m − 1) log log n + O_p(1).

Values are exact fractions (:class:`fractions.Fraction`) with a float view. Sources are cited per
function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from . import _validate as v


@dataclass(frozen=True)
class LearningCoefficient:
    """λ (exact fraction) and its multiplicity m, with the case of the theorem that gave them."""

    lam: Fraction
    m: int
    case: str = ""

    @property
    def lam_float(self) -> float:
        return float(self.lam)

    def as_dict(self) -> dict:
        return {"lambda": float(self.lam), "lambda_exact": _frac_str(self.lam), "m": self.m,
                "case": self.case}


def _frac_str(x: Fraction) -> str:
    x = Fraction(x)
    return f"{x.numerator}/{x.denominator}"


def regular(d: int) -> LearningCoefficient:
    """Regular model with d parameters: λ = d/2, m = 1."""
    d = v.as_int("d", d, lo=1)
    return LearningCoefficient(Fraction(d, 2), 1, "regular")


def normal_crossing(k, h=None) -> LearningCoefficient:
    r"""Normal crossing K(w) = Π w_i^{2k_i} with prior ∝ Π |w_i|^{h_i} (Watanabe 2009, ch. 6).

        λ = min_{i: k_i > 0} (h_i + 1) / (2 k_i),    m = #{i : (h_i + 1)/(2 k_i) = λ}.
    """
    k = v.int_tuple("k", k, lo=0)
    h = (0,) * len(k) if h is None else v.int_tuple("h", h, lo=0)
    if len(h) != len(k):
        raise ValueError(f"k and h must have the same length (k has {len(k)}, h has {len(h)})")
    if not any(ki > 0 for ki in k):
        raise ValueError(f"k must have at least one positive exponent, got {k}")
    ratios = [Fraction(hi + 1, 2 * ki) for ki, hi in zip(k, h) if ki > 0]
    lam = min(ratios)
    return LearningCoefficient(lam, sum(1 for r in ratios if r == lam), "normal crossing")


def reduced_rank_regression(M: int, N: int, H: int, r: int = 0) -> LearningCoefficient:
    r"""Reduced-rank regression y = B A x + ε (Aoyagi & Watanabe 2005, Main Theorem).

    Input x ∈ R^M, output y ∈ R^N, A: H×M, B: N×H (d = H(M + N) parameters), the true product
    B0 A0 of rank r, prior positive at the truth. With the four exclusive cases

    * case 2, M + H < N + r:  λ = (HM − Hr + Nr)/2,  m = 1;
    * case 3, N + H < M + r:  λ = (HN − Hr + Mr)/2,  m = 1;
    * case 4, M + N < H + r:  λ = MN/2,              m = 1 (a regular model in the product);
    * case 1, otherwise (N + r ≤ M + H, M + r ≤ N + H, H + r ≤ M + N), with
      D = 2(H + r)(M + N) − (M − N)² − (H + r)²:
      M + H + N + r even: λ = D/8, m = 1 ("case 1 (even)");
      M + H + N + r odd:  λ = (D + 1)/8, m = 2 ("case 1 (odd)").

    Reference: M. Aoyagi and S. Watanabe (2005), "Stochastic complexities of reduced rank
    regression in Bayesian estimation", *Neural Networks* 18(7):924–933. It is the two-matrix
    case of :func:`deep_linear_network` with widths (M, H, N).

    Args:
      M, N, H: input, output and hidden widths (positive integers).
      r: rank of the true product, 0 ≤ r ≤ min(M, N, H).

    Returns:
      :class:`LearningCoefficient` with ``case`` naming the case of the theorem.
    """
    M = v.as_int("M", M, lo=1)
    N = v.as_int("N", N, lo=1)
    H = v.as_int("H", H, lo=1)
    r = v.as_int("r", r, lo=0)
    if r > min(M, N, H):
        raise ValueError(f"r must be <= min(M, N, H) = {min(M, N, H)} "
                         f"(M={M}, N={N}, H={H}), got {r}")
    if M + H < N + r:
        return LearningCoefficient(Fraction(H * M - H * r + N * r, 2), 1, "case 2")
    if N + H < M + r:
        return LearningCoefficient(Fraction(H * N - H * r + M * r, 2), 1, "case 3")
    if M + N < H + r:
        return LearningCoefficient(Fraction(M * N, 2), 1, "case 4")
    d = 2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2
    if (M + H + N + r) % 2 == 0:
        return LearningCoefficient(Fraction(d, 8), 1, "case 1 (even)")
    return LearningCoefficient(Fraction(d + 1, 8), 2, "case 1 (odd)")


def _dln_sigma(deltas: tuple[int, ...]) -> tuple[int, ...]:
    """Aoyagi's set Σ (0-based layer indices): the unique initial segment of the sorted Δ's,
    not splitting ties, with |Σ| = ℓ + 1 ≥ 2, S ≥ ℓ·max_Σ Δ and S < ℓ·min_{k∉Σ} Δ_k."""
    order = sorted(range(len(deltas)), key=lambda s: deltas[s])
    found = []
    for size in range(2, len(deltas) + 1):
        inside = [deltas[s] for s in order[:size]]
        outside = [deltas[s] for s in order[size:]]
        if outside and max(inside) >= min(outside):  # condition 1 (ties stay together)
            continue
        ell, total = size - 1, sum(inside)
        if total < ell * max(inside):  # condition 2
            continue
        if outside and not total < ell * min(outside):  # condition 3
            continue
        found.append(tuple(sorted(order[:size])))
    if len(found) != 1:  # Aoyagi (2024) proves existence and uniqueness; guard the invariant
        raise RuntimeError(f"expected exactly one set Σ for Δ = {deltas}, found {found}")
    return found[0]


def deep_linear_network(widths, rank: int) -> LearningCoefficient:
    r"""Deep linear network x ↦ W_L ⋯ W_1 x (Aoyagi 2024, Main Theorem).

    Widths H_1 (input), H_2, …, H_{L+1} (output); W_s is H_{s+1}×H_s; the true product has rank
    r. Put Δ_s = H_s − r. There is a unique Σ ⊂ {1, …, L+1}, |Σ| = ℓ + 1 with ℓ ≥ 1, such that

    1. max_{σ∈Σ} Δ_σ < min_{k∉Σ} Δ_k (so Σ is an initial segment of the sorted Δ's, ties kept
       together),
    2. S := Σ_{σ∈Σ} Δ_σ ≥ ℓ·max_{σ∈Σ} Δ_σ,
    3. S < ℓ·min_{k∉Σ} Δ_k.

    With M = ⌈S/ℓ⌉ and a = S − (M − 1)ℓ (so 1 ≤ a ≤ ℓ),

        λ = [−r² + r(H_1 + H_{L+1})]/2 + a(ℓ − a)/(4ℓ) − ℓ(ℓ − 1)/4·(S/ℓ)²
            + ½ Σ_{σ<σ'∈Σ} Δ_σ Δ_σ',
        m = a(ℓ − a) + 1.

    Special cases: with two matrices (widths (M, H, N)) this is exactly
    :func:`reduced_rank_regression` (M, N, H, r). With one matrix (two widths, L = 1) Σ is both
    layers, ℓ = 1, a = 1 and the formula gives λ = H_1·H_2/2, m = 1: a linear model
    y = W x is regular with d = H_1·H_2 parameters, whatever r is. With all L + 1 widths equal
    to H, λ = (2rH − r²)/2 + (L + 1)(H − r)²/(4L) + a(L − a)/(4L), bounded as L → ∞.

    Reference: M. Aoyagi (2024), "Consideration on the learning efficiency of multiple-layered
    neural networks with linear units", *Neural Networks* 172:106132.

    Args:
      widths: layer widths (H_1, …, H_{L+1}), at least two positive integers (a sequence or a
        comma-separated string such as ``"4,3,4"``).
      rank: rank r of the true product, 0 ≤ r ≤ min(widths).

    Returns:
      :class:`LearningCoefficient`; ``case`` names Σ (1-based layer indices), ℓ and a.
    """
    widths = v.int_tuple("widths", widths, lo=1, min_length=2)
    r = v.as_int("rank", rank, lo=0)
    if r > min(widths):
        raise ValueError(f"rank must be <= min(widths) = {min(widths)} "
                         f"(widths={widths}), got {r}")
    deltas = tuple(h - r for h in widths)
    sigma = _dln_sigma(deltas)
    ell = len(sigma) - 1
    ds = [deltas[s] for s in sigma]
    total = sum(ds)
    big_m = -((-total) // ell)  # ⌈S/ℓ⌉
    a = total - (big_m - 1) * ell
    pairs = sum(ds[i] * ds[j] for i in range(len(ds)) for j in range(i + 1, len(ds)))
    lam = (Fraction(-r * r + r * (widths[0] + widths[-1]), 2) + Fraction(a * (ell - a), 4 * ell)
           - Fraction(ell * (ell - 1), 4) * Fraction(total, ell) ** 2 + Fraction(pairs, 2))
    case = f"Σ = {{{', '.join(str(s + 1) for s in sigma)}}}, ℓ = {ell}, a = {a}"
    if len(widths) == 2:
        case += " (one matrix: regular, λ = d/2)"
    return LearningCoefficient(lam, a * (ell - a) + 1, case)


def _tanh_pole(H: int, j: int) -> Fraction:
    return Fraction(H + j * j + j, 4 * j + 2)


def tanh_network(H: int) -> LearningCoefficient:
    r"""Two-layer tanh network y = Σ_{h=1}^H a_h tanh(b_h x) + ε, true function 0, no biases.

        λ = (H + i² + i)/(4i + 2),   i = ⌊√H⌋;     m = 2 if H = i² (a perfect square), else 1.

    λ is the minimum over integers j ≥ 0 of the candidate poles g(j) = (H + j² + j)/(4j + 2)
    (Aoyagi & Watanabe 2005, IEICE; Aoyagi's Vandermonde-matrix-type singularities). Since
    g(j + 1) − g(j) has the sign of (j + 1)² − H, the minimum sits at j = ⌊√H⌋ and is attained
    twice, at j = i − 1 and j = i, exactly when H = i²; the two coinciding poles give order
    m = 2. H = 1 is the normal crossing K ≍ a²b² (λ = 1/2, m = 2), a direct check.

    References: M. Aoyagi and S. Watanabe (2005), "Resolution of singularities and the
    generalization error with Bayesian estimation for layered neural network", IEICE Trans.
    J88-D-II(10):2112–2124 (λ; the multiplicity rule is the tie count of the candidate poles as
    derived above — we could not re-read the paper's statement of m, see docs/theory.md);
    Watanabe (2009), ch. 7.

    Args:
      H: number of hidden units (positive integer).
    """
    H = v.as_int("H", H, lo=1)
    i = math.isqrt(H)
    return LearningCoefficient(_tanh_pole(H, i), 2 if i * i == H else 1,
                               "perfect square" if i * i == H else "non-square")
