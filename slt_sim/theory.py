"""Closed-form learning coefficients λ (RLCT) and multiplicities m, and free-energy asymptotics.

Values are exact fractions (:class:`fractions.Fraction`) with a float view. Sources are cited per
function; see also ``REFERENCE``-style notes in each docstring.
"""

from __future__ import annotations

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
