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

import numpy as np

from . import _validate as v
from ._results import AsDict


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
    ratios = [Fraction(hi + 1, 2 * ki) for ki, hi in zip(k, h, strict=True) if ki > 0]
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

    The published λ equals min_{j ≥ 0} g(j) with g(j) = (H + j² + j)/(4j + 2): since
    g(j + 1) − g(j) has the sign of (j + 1)² − H, the minimum sits at j = ⌊√H⌋, and it is attained
    twice (j = i − 1 and j = i) exactly when H = i². Reading the g(j) as competing poles of the
    zeta function, two coinciding largest poles give order m = 2 at perfect squares and m = 1
    otherwise. H = 1 is a direct check: K ≍ a²b², a normal crossing with λ = 1/2, m = 2.

    References: M. Aoyagi and S. Watanabe (2005), "Resolution of singularities and the
    generalization error with Bayesian estimation for layered neural network", IEICE
    Transactions (in Japanese), for λ. The multiplicity rule above is our derivation from the
    tie count of the candidate poles; we could not re-read the paper's own statement of m, so
    treat m as derived, not quoted (checked directly only at H = 1).

    Args:
      H: number of hidden units (positive integer).
    """
    H = v.as_int("H", H, lo=1)
    i = math.isqrt(H)
    return LearningCoefficient(_tanh_pole(H, i), 2 if i * i == H else 1,
                               "perfect square" if i * i == H else "non-square")


# ---------------------------------------------------------------------------------------------
# Free-energy asymptotics and the predicted critical n of a Bayesian phase change


def free_energy_asymptotic(n, loss: float, lam, m: int = 1, const: float = 0.0):
    r"""Watanabe's asymptotic free energy F_n ≈ n·loss + λ log n − (m − 1) log log n + const.

    Watanabe (2009), ch. 6 main theorem (realizable, relatively finite variance): the free energy
    F_n = −log ∫ φ(w) exp(−n L_n(w)) dw of a region whose best loss is ``loss`` and whose
    learning coefficient and multiplicity are λ, m. Evaluated in float64 straight from log n,
    so it is finite for any finite n > 0 (n = 1e12 is fine).

    Domain: n > 0. The log log n term is real only for n > 1, so with m > 1 every n must exceed
    1 (a ValueError otherwise); for 1 < n < e it is negative and the asymptotic form is not
    meaningful there anyway. With m = 1 the term is absent and any n > 0 is accepted.

    Args:
      n: data count(s), scalar or array-like (vectorised; float64).
      loss: the region's minimum loss L (per sample; the n·L term).
      lam: learning coefficient λ (Fraction or float, ≥ 0).
      m: multiplicity m ≥ 1.
      const: the O(1) constant (0 unless fitted).

    Returns:
      float64 NumPy array shaped like ``n`` (a Python float for scalar ``n``).
    """
    scalar = np.ndim(n) == 0
    ns = v.as_float_array("n", n, lo=0.0, lo_open=True, ndim=np.ndim(n) or 1)
    loss = v.as_float("loss", loss)
    lam = v.as_float("lam", lam, lo=0.0)
    m = v.as_int("m", m, lo=1)
    const = v.as_float("const", const)
    log_n = np.log(ns)
    out = ns * loss + lam * log_n + const
    if m > 1:
        if np.any(ns <= 1.0):
            bad = ns[ns <= 1.0].ravel()[0]
            raise ValueError(f"n must all be > 1 when m > 1 (log log n is undefined for n <= 1), "
                             f"got {bad:g}")
        out = out - (m - 1) * np.log(log_n)
    return float(out.reshape(())) if scalar else out


@dataclass(frozen=True)
class FreeEnergyLaw(AsDict):
    r"""A region's asymptotic free-energy law F_n ≈ n·loss + λ log n − (m − 1) log log n + const.

    Attributes:
      loss: the region's minimum loss L.
      lam: its (local) learning coefficient λ.
      m: its multiplicity m.
      const: O(1) constant (0 unless fitted, e.g. from exact free energies at small n).
    """

    loss: float
    lam: Fraction | float
    m: int = 1
    const: float = 0.0

    def __post_init__(self):
        v.as_float("loss", self.loss)
        v.as_float("lam", self.lam, lo=0.0)
        v.as_int("m", self.m, lo=1)
        v.as_float("const", self.const)

    @classmethod
    def from_region(cls, region, const: float = 0.0) -> FreeEnergyLaw:
        """Law of anything with ``.loss``, ``.lam`` and ``.m`` (e.g. ``slt_sim.models.Region``)."""
        name = getattr(region, "name", repr(region))
        for field in ("loss", "lam", "m"):
            if getattr(region, field, None) is None:
                raise ValueError(f"region {name!r} has no {field}; its free-energy law is unknown")
        return cls(float(region.loss), region.lam, int(region.m), const)

    def free_energy(self, n):
        """F_n from this law (see :func:`free_energy_asymptotic`)."""
        return free_energy_asymptotic(n, self.loss, self.lam, self.m, self.const)


def _as_law(name: str, x) -> FreeEnergyLaw:
    if isinstance(x, FreeEnergyLaw):
        return x
    if all(hasattr(x, f) for f in ("loss", "lam", "m")):
        return FreeEnergyLaw.from_region(x)
    raise TypeError(f"{name} must be a FreeEnergyLaw or have .loss, .lam and .m (like a "
                    f"models.Region), got {type(x).__name__}")


def free_energy_crossings(a, b, n_range: tuple[float, float] = (1.0, 1e12),
                          resolution: int = 4096) -> tuple[float, ...]:
    r"""All n in ``n_range`` where the asymptotic free energies of ``a`` and ``b`` are equal.

    Solves F_n(a) = F_n(b), i.e.

        n (L_a − L_b) + (λ_a − λ_b) log n − (m_a − m_b) log log n + (c_a − c_b) = 0,

    in t = log n: a scan of ``resolution`` equally spaced points of t brackets each sign change,
    then :func:`scipy.optimize.brentq` refines it (to ~1e-12 relative in n). Two crossings
    closer than one scan step can be missed. When either law has m > 1 the scan starts at
    max(n_lo, e) (log log n must be positive for the law to make sense). Identical laws never
    cross (they tie everywhere) and give ``()``.

    Args:
      a, b: :class:`FreeEnergyLaw` or objects with ``.loss``, ``.lam``, ``.m`` (``Region``).
      n_range: (n_lo, n_hi) with 0 < n_lo < n_hi.
      resolution: number of scan points (≥ 16).

    Returns:
      increasing tuple of crossing points n.
    """
    from scipy import optimize  # imported here: keeps `import slt_sim` light

    a, b = _as_law("a", a), _as_law("b", b)
    lo, hi = _n_range(n_range)
    resolution = v.as_int("resolution", resolution, lo=16)
    if max(a.m, b.m) > 1:
        lo = max(lo, math.e)
        if lo >= hi:
            return ()
    if a == b:
        return ()

    def gap(t):
        n = np.exp(t)
        return a.free_energy(n) - b.free_energy(n)

    ts = np.linspace(math.log(lo), math.log(hi), resolution)
    ds = gap(ts)
    roots = []
    for i in range(resolution - 1):
        if ds[i] == 0.0:
            roots.append(ts[i])
        elif ds[i] * ds[i + 1] < 0.0:
            roots.append(optimize.brentq(lambda t: float(gap(np.array([t]))[0]), ts[i], ts[i + 1],
                                         xtol=1e-13, rtol=1e-13))
    if ds[-1] == 0.0:
        roots.append(ts[-1])
    return tuple(float(math.exp(t)) for t in roots)


def critical_n(a, b, n_range: tuple[float, float] = (1.0, 1e12)) -> float | None:
    r"""Predicted critical n of a Bayesian phase change between regions ``a`` and ``b``.

    The posterior mass of a region is ∝ exp(−F_n), so the preferred region switches where the
    asymptotic free energies cross (Watanabe 2009, internal model selection; Chen et al. 2023,
    arXiv:2310.06301):

        n (L_b − L_a) = (λ_a − λ_b) log n − (m_a − m_b) log log n + (c_a − c_b).

    Typically a has the lower loss and the larger λ: b (simpler, worse) wins below the crossing,
    a above it. The *last* crossing in ``n_range`` is returned: beyond it the preference no
    longer changes (up to n_hi). Earlier crossings can occur at n ≈ 1, where every log term
    vanishes and only the loss gap and constants remain; the asymptotic law means nothing there
    (all crossings are available from :func:`free_energy_crossings`).

    Args:
      a, b: :class:`FreeEnergyLaw` or objects with ``.loss``, ``.lam``, ``.m`` (e.g.
        ``slt_sim.models.Region``; constants then default to 0 — wrap with
        ``FreeEnergyLaw.from_region(region, const=c)`` to include a fitted constant).
      n_range: where to look, (n_lo, n_hi).

    Returns:
      the largest crossing n in ``n_range``, or ``None`` when the two laws do not cross there
      (one region is preferred throughout, or the laws are identical).
    """
    roots = free_energy_crossings(a, b, n_range)
    return roots[-1] if roots else None


def _n_range(n_range) -> tuple[float, float]:
    try:
        lo, hi = n_range
    except (TypeError, ValueError):
        raise TypeError(f"n_range must be a pair (n_lo, n_hi), got {n_range!r}") from None
    lo = v.as_float("n_range[0]", lo, lo=0.0, lo_open=True)
    hi = v.as_float("n_range[1]", hi, lo=0.0, lo_open=True)
    if not lo < hi:
        raise ValueError(f"n_range must have n_lo < n_hi, got ({lo:g}, {hi:g})")
    return lo, hi
