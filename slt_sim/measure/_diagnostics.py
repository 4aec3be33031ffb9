r"""Diagnostics of LLC chains: each number comes with a plain-language warning and a remedy.

* split R-hat of the loss trace (Gelman et al., BDA3 §11.4): chains split in halves; values
  above 1.1 mean the chains disagree about the mean loss, i.e. they have not mixed;
* drift: λ̂ from the second half of the draws minus λ̂ from the first half;
* chains that hardly moved: in most chains the excess loss of the first quarter of the draws is
  below half of the last quarter's — still climbing out of w* (a step size far too small for the
  run's length; with localisation γ the slowest, flat directions relax in about 2/(εγ) steps);
* negative estimate: E_w[L_n] < L_n(w*) means the chains found lower loss nearby, so w* is not
  a local minimum (or the chains ran off);
* divergence: a non-finite loss, or a loss so far above L_n(w*) that the chain left the basin;
* MALA acceptance: the fraction of Langevin proposals an exact Metropolis test accepts at this
  step size.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

RHAT_LIMIT = 1.1
DRIFT_LIMIT = 0.1          # relative change of λ̂ between halves
ACCEPTANCE_LIMIT = 0.8
STILL_CLIMBING = 0.5       # first-quarter loss below this fraction of the last quarter's …
CLIMBING_CHAINS = 0.75     # … in this fraction of the chains: they have not left w*


class Report(NamedTuple):
    llc_mean: float
    llc_std: float
    llc_per_chain: np.ndarray
    numbers: dict
    warnings: tuple[str, ...]


def split_rhat(trace: np.ndarray) -> float:
    """Split R-hat of a (chains, draws) array; NaN when it cannot be computed."""
    t = trace.shape[1]
    half = t // 2
    if half < 2 or not np.all(np.isfinite(trace)):
        return float("nan")
    seqs = np.concatenate([trace[:, :half], trace[:, t - half:]], axis=0)
    means = seqs.mean(axis=1)
    within = seqs.var(axis=1, ddof=1).mean()
    between = half * means.var(ddof=1)
    if within <= 0:
        return float("nan") if between <= 0 else float("inf")
    var_plus = (half - 1) / half * within + between / half
    return float(math.sqrt(var_plus / within))


def divergence_threshold(d_free: int) -> float:
    """nβ·(L − L_n(w*)) above which a chain is called divergent: 10 d + 100.

    Under the localised posterior nβ(L − L(w*)) is of order λ ≤ d/2 with fluctuations of order
    √d, so a value 20 times the regular-model λ is far outside the basin.
    """
    return 10.0 * d_free + 100.0


def diverged_chains(trace: np.ndarray, init_loss: float, nbeta: float, d_free: int
                    ) -> np.ndarray:
    """Chains (rows of a (chains, draws) loss trace) whose loss became NaN/inf or whose
    nβ·(L − L_n(w*)) went above :func:`divergence_threshold`."""
    with np.errstate(over="ignore", invalid="ignore"):
        excess = nbeta * (np.where(np.isfinite(trace), trace, np.inf) - init_loss)
    return ~np.all(np.isfinite(trace), axis=1) | \
        (np.max(excess, axis=1) > divergence_threshold(d_free))


def mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error (std / √count) of per-chain values; NaN when too few."""
    mean = float(values.mean()) if values.size else float("nan")
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size >= 2 \
        else float("nan")
    return mean, se


def diagnose(trace: np.ndarray, init_loss: float, nbeta: float, d_free: int, *,
             acceptance: np.ndarray | None, step_size: float, localization: float,
             sampler: str) -> Report:
    """λ̂ per chain and the diagnostics of a (chains, draws) loss trace."""
    c, t = trace.shape
    finite = np.all(np.isfinite(trace), axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        excess = nbeta * (np.where(np.isfinite(trace), trace, np.inf) - init_loss)
    diverged = diverged_chains(trace, init_loss, nbeta, d_free)
    per_chain = nbeta * (trace.mean(axis=1) - init_loss)
    good = ~diverged
    kept = per_chain[good]
    mean, std = mean_and_se(kept)

    half = t // 2
    first = nbeta * (trace[good, :half].mean(axis=1) - init_loss)
    second = nbeta * (trace[good, t - half:].mean(axis=1) - init_loss)
    drift = float(np.mean(second - first)) if kept.size else float("nan")
    drift_se = float(np.std(second - first, ddof=1) / math.sqrt(kept.size)) \
        if kept.size >= 2 else float("nan")
    rhat = split_rhat(trace[good]) if kept.size else float("nan")

    numbers = {
        "rhat": rhat, "drift": drift, "drift_se": drift_se,
        "negative": bool(kept.size and mean < 0), "negative_chains": int(np.sum(kept < 0)),
        "diverged_chains": int(np.sum(diverged)), "nonfinite_chains": int(np.sum(~finite)),
        "max_excess_loss": float(np.nanmax(np.where(np.isfinite(excess), excess, np.nan)))
        if np.any(np.isfinite(excess)) else float("nan"),
        "divergence_threshold": divergence_threshold(d_free),
        "free_parameters": d_free,
    }
    warnings: list[str] = []
    if diverged.any():
        numbers["diverged"] = True
        what = ("the loss became NaN or infinite" if (~finite).any() else
                f"nβ·(L − L(w*)) went above {divergence_threshold(d_free):g}")
        warnings.append(
            f"{int(diverged.sum())} of {c} chains diverged ({what}); "
            + ("no chain is usable. " if not kept.size else "λ̂ uses the other chains. ")
            + f"The step size ε = {step_size:g} is too large for this loss: divide it by 3–10, "
              "or raise the localisation γ.")
    else:
        numbers["diverged"] = False
    if kept.size and mean < 0:
        warnings.append(
            f"λ̂ = {mean:.3g} is negative: the chains found lower loss than at w*, so w* is not a "
            "local minimum of L_n (train it further, e.g. slt-sim llc --at trained) or the chains "
            "drifted off; raise the localisation γ or lower the step size.")
    if math.isfinite(rhat) and rhat > RHAT_LIMIT:
        warnings.append(
            f"R-hat of the loss trace is {rhat:.3f} (> {RHAT_LIMIT}): the chains disagree about "
            "the mean loss, so they have not mixed. Run more draws and burn-in, or use a larger "
            "step size if the traces crawl (check the MALA acceptance first).")
    scale = max(abs(mean), 0.1) if math.isfinite(mean) else 1.0
    significant = not math.isfinite(drift_se) or abs(drift) > 3 * drift_se
    # chains still climbing out of w*: in most chains the last quarter of the draws sits far
    # above the first (a per-chain test: the chains' levels may differ by orders of magnitude)
    quarter = t // 4
    climbing = 0
    if kept.size and quarter >= 2:
        q_first = trace[good, :quarter].mean(axis=1) - init_loss
        q_last = trace[good, t - quarter:].mean(axis=1) - init_loss
        climbing = int(np.sum((q_last > 0) & (q_first < STILL_CLIMBING * q_last)))
    relax = 2.0 / (step_size * localization) if localization > 0 else float("inf")
    numbers["relaxation_steps"] = relax
    numbers["climbing_chains"] = climbing
    if kept.size and climbing >= CLIMBING_CHAINS * kept.size:
        timing = (f" With γ = {localization:g} the flat directions relax in about 2/(εγ) = "
                  f"{relax:.3g} steps, against {t} draws here." if math.isfinite(relax) else "")
        warnings.append(
            f"the chains have hardly left w*: in {climbing} of {kept.size} chains the loss of "
            f"the last quarter of the draws is more than {1 / STILL_CLIMBING:g}× that of the "
            f"first — still climbing, so λ̂ = {mean:.3g} is far below its target.{timing} Raise "
            "the step size ε (checking the MALA acceptance) or run many more burn-in steps and "
            "draws.")
    elif math.isfinite(drift) and abs(drift) > DRIFT_LIMIT * scale and significant:
        direction = "rising" if drift > 0 else "falling"
        warnings.append(
            f"λ̂ is still {direction} along the chains (second half minus first half = "
            f"{drift:+.3g}, more than {DRIFT_LIMIT:.0%} of λ̂): the chains have not settled. "
            "Increase num_burnin (and num_draws); if it keeps rising the chains may be leaving "
            "the basin of w*: raise the localisation γ.")
    if acceptance is not None:
        rate = float(np.mean(acceptance))
        numbers["acceptance_rate"] = rate
        if rate < ACCEPTANCE_LIMIT:
            warnings.append(
                f"MALA accepted {rate:.0%} of Langevin proposals at ε = {step_size:g} "
                f"(below {ACCEPTANCE_LIMIT:.0%}): at this ε unadjusted SGLD would be noticeably "
                "biased (usually upwards) and MALA mixes slowly. Lower the step size by 2–4×.")
    del sampler
    return Report(mean, std, per_chain, numbers, tuple(warnings))
