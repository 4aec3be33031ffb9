"""Warning categories of slt_sim, and the one way diagnostics are reported.

Every problem a computation finds is reported twice, in the same words: on the result (a
``warnings: tuple[str, ...]`` field, so it travels with the numbers into JSON, tables and plots)
and as a Python warning of the area's category, issued by :func:`emit`. All categories derive
from :class:`SLTSimWarning`, so one filter silences (or raises) all of them::

    import warnings, slt_sim
    warnings.simplefilter("ignore", slt_sim.SLTSimWarning)   # the results still carry them
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable


class SLTSimWarning(UserWarning):
    """Base class of every warning slt_sim issues."""


class ConvergenceWarning(SLTSimWarning):
    """NUTS diagnostics (R̂, ESS, divergences) say the draws may not represent the posterior."""


class QuadratureWarning(SLTSimWarning):
    """The exact engine's own error estimate exceeds its tolerance: the numbers may be off."""


class LLCWarning(SLTSimWarning):
    """An LLC estimate failed a chain diagnostic (divergence, R-hat, drift, sign, acceptance)."""


class CalibrationWarning(SLTSimWarning):
    """No (ε, γ) setting of an LLC calibration sweep passed its checks."""


class VolumeWarning(SLTSimWarning):
    """A volume curve V(ε) may be off (non-monotone grid lines, ε below the reached volume)."""


class FitWarning(SLTSimWarning):
    """A fitted law (free-energy slope, broken power law, critical size) is poorly determined."""


class TrainingWarning(SLTSimWarning):
    """A training-dynamics analysis (POLCA, grokking sweep) found a problem with its input."""


CATEGORIES = (SLTSimWarning, ConvergenceWarning, QuadratureWarning, LLCWarning,
              CalibrationWarning, VolumeWarning, FitWarning, TrainingWarning)


def emit(messages: str | Iterable[str], category: type[Warning] = SLTSimWarning, *,
         stacklevel: int = 2) -> tuple[str, ...]:
    """Issue each message as a Python warning of ``category``; return them as a tuple.

    ``stacklevel`` means what it means to ``warnings.warn`` called where ``emit`` is called
    (2, the default: the line that called the public function calling ``emit``). The returned
    tuple is what the result's ``warnings`` field holds.
    """
    msgs = (messages,) if isinstance(messages, str) else tuple(messages)
    for msg in msgs:
        warnings.warn(msg, category, stacklevel=stacklevel + 1)
    return msgs


__all__ = ["CalibrationWarning", "ConvergenceWarning", "FitWarning", "LLCWarning",
           "QuadratureWarning", "SLTSimWarning", "TrainingWarning", "VolumeWarning", "emit"]
