r"""Plateaus and drops in a loss trace, jumps in an LLC trace: as data, with their steps.

A training trace y_1, …, y_K (loss or λ̂ at checkpoints s_1 < … < s_K) is fitted by a piecewise
constant function with the least penalised squared error (optimal partitioning, an exact dynamic
program in O(K²)):

    min over segmentations  Σ_segments Σ_{i ∈ seg} (y_i − ȳ_seg)²  +  P · (#segments),
    P = 3 σ² log K,   σ = max(σ̂, 0.005 · range(y)),

where σ̂ = 1.4826 · MAD(Δy)/√2 is a robust noise level from the first differences (the floor keeps
a noise-free trace from being cut at every point). Adjacent segments whose means differ by less
than ``min_change`` (default max(3σ, 5% of the range)) are merged. A segment is a *plateau* when
it spans at least ``min_plateau`` checkpoints and is flat: the means of its two halves differ by
less than max(8σ̂/√n, 2% of the range) for n points (a segment that is not flat is trimmed from
one end, up to half its length, to drop a ramp the fit attached to it). A *transition* joins two
consecutive plateaus whose levels differ by at least ``min_change``; short or sloped segments in
between (a ramp) belong to it. It records the last step of the plateau before, the first step of
the plateau after, the step of the largest jump between segment means in between, the two levels
and their difference (negative for a loss drop, positive for an LLC jump).

For a capability measured by a loss that starts high and falls (a task's loss), simpler numbers
say when and how fast it arrived (:func:`learning_times`): the *learning step* is the first
checkpoint s_j with y_j ≤ ``threshold``, and the *transition width* is the number of steps
between the first checkpoint with y ≤ ``start_level`` and the learning step,

    t_learn = min{s_j : y_j ≤ θ},     width = t_learn − min{s_j : y_j ≤ θ_start},   θ < θ_start,

both undefined (NaN) when the trace never reaches θ. Widths are resolved to the checkpoint
spacing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._results import AsDict, fields_dict


@dataclass(frozen=True)
class Plateau(AsDict):
    """A flat stretch of a trace: checkpoints ``start_step``..``end_step`` at ``level`` (mean)."""

    start_step: int
    end_step: int
    level: float
    num_points: int


@dataclass(frozen=True)
class Transition(AsDict):
    """A change of level between two plateaus.

    ``step`` is the checkpoint step of the largest single change between the plateaus;
    ``change = after − before`` (negative: a drop).
    """

    start_step: int
    end_step: int
    step: int
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def kind(self) -> str:
        return "drop" if self.after < self.before else "jump"


@dataclass(frozen=True)
class TransitionReport:
    """Plateaus and transitions found in one trace, with the settings used.

    ``boundaries`` are the indices 0 = t_0 < … < t_m = K of the fitted piecewise-constant
    segments [t_j, t_{j+1}).
    """

    steps: np.ndarray
    trace: np.ndarray
    plateaus: tuple[Plateau, ...]
    transitions: tuple[Transition, ...]
    noise: float
    min_change: float
    boundaries: tuple[int, ...] = ()

    @property
    def transition_steps(self) -> np.ndarray:
        return np.asarray([t.step for t in self.transitions], dtype=np.int64)

    def as_dict(self) -> dict:
        return {
            "plateaus": [{"start_step": p.start_step, "end_step": p.end_step, "level": p.level,
                          "num_points": p.num_points} for p in self.plateaus],
            "transitions": [{"start_step": t.start_step, "end_step": t.end_step, "step": t.step,
                             "before": t.before, "after": t.after, "change": t.change,
                             "kind": t.kind} for t in self.transitions],
            "noise": self.noise, "min_change": self.min_change,
        }


@dataclass(frozen=True)
class LearningTimes:
    """When each trace first fell below a threshold, and how long its fall took.

    Attributes:
      steps: checkpoint steps (K,).
      learning_step: first checkpoint step with trace ≤ ``threshold``, shape = the traces'
        leading shape (e.g. (S, T) for S seeds × T tasks); NaN where never reached.
      width: steps from the first checkpoint with trace ≤ ``start_level`` to the learning step
        (same shape); NaN where never learned.
      threshold, start_level: the two loss levels θ < θ_start.
      settings: how the traces were made (free-form, JSON-ready).
    """

    steps: np.ndarray
    learning_step: np.ndarray
    width: np.ndarray
    threshold: float
    start_level: float
    settings: dict = field(default_factory=dict)

    @property
    def learned(self) -> np.ndarray:
        """True where the trace reached the threshold."""
        return np.isfinite(self.learning_step)

    def spread(self, axis: int = -1) -> np.ndarray:
        """Span max − min of the learning steps along ``axis`` (e.g. across tasks, per seed);
        NaN where one of them was never learned (the span is then unknown, not small)."""
        ls = self.learning_step
        return np.where(np.all(np.isfinite(ls), axis=axis),
                        np.nanmax(np.where(np.isfinite(ls), ls, -np.inf), axis=axis)
                        - np.nanmin(np.where(np.isfinite(ls), ls, np.inf), axis=axis), np.nan)

    def as_dict(self) -> dict:
        """The fields as plain Python (for JSON); a step never reached is null."""
        return fields_dict(self)


def learning_times(traces, steps, *, threshold: float, start_level: float,
                   settings: dict | None = None) -> LearningTimes:
    r"""Learning step and transition width of every trace (module docstring).

    Args:
      traces: loss values at checkpoints with the checkpoint axis LAST, shape (..., K)
        (e.g. (S, T, K): seeds × tasks × checkpoints). A non-finite value counts as not below
        any level.
      steps: checkpoint steps (K,), strictly increasing.
      threshold: θ, the level below which a capability counts as learned.
      start_level: θ_start > θ, the level at which its fall counts as begun.
      settings: recorded with the result.
    """
    y = np.asarray(traces, dtype=float)
    s = np.asarray(steps)
    if y.ndim < 1 or y.shape[-1] != s.shape[0] or s.ndim != 1:
        raise ValueError(f"traces must have the checkpoint axis last, of length len(steps) = "
                         f"{s.shape[0] if s.ndim == 1 else s.shape}, got shape {y.shape}")
    if np.any(np.diff(s) <= 0):
        raise ValueError("steps must be strictly increasing")
    theta = v.as_float("threshold", threshold)
    start = v.as_float("start_level", start_level)
    if not start > theta:
        raise ValueError(f"start_level must be > threshold = {theta:g}, got {start:g}")

    def first_below(level):
        below = np.isfinite(y) & (y <= level)
        return np.where(np.any(below, axis=-1), s[np.argmax(below, axis=-1)].astype(float),
                        np.nan)

    t_learn = first_below(theta)
    return LearningTimes(steps=s, learning_step=t_learn, width=t_learn - first_below(start),
                         threshold=theta, start_level=start, settings=dict(settings or {}))


def trace_noise(trace) -> float:
    """Robust noise level σ̂ = 1.4826 · MAD(first differences) / √2 of a trace."""
    y = np.asarray(trace, dtype=float)
    if y.size < 3:
        return 0.0
    d = np.diff(y)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def detect_transitions(trace, steps=None, *, min_plateau: int | None = None,
                       min_change: float | None = None, direction: str | None = None
                       ) -> TransitionReport | list[TransitionReport]:
    r"""Find plateaus and the drops / jumps between them in a loss or LLC trace.

    Args:
      trace: values at checkpoints, shape (K,), or (S, K) for S runs (then a list of reports).
        Non-finite values (a diverged run) end the trace there.
      steps: checkpoint steps (K,), increasing; default 0..K−1.
      min_plateau: least number of checkpoints in a plateau (default max(3, ⌈K/15⌉), so a
        short stretch of a noisy ramp is not taken for a plateau).
      min_change: least level difference of a transition, and of two adjacent segments that are
        kept apart (default max(3σ, 5% of the range); see the module docstring).
      direction: ``"down"`` keeps only drops (loss), ``"up"`` only jumps (LLC), ``None`` both.

    Returns:
      :class:`TransitionReport` (or a list of them, one per run).
    """
    y = np.asarray(trace, dtype=float)
    if y.ndim == 2:
        return [detect_transitions(row, steps, min_plateau=min_plateau,
                                   min_change=min_change, direction=direction) for row in y]
    if y.ndim != 1:
        raise ValueError(f"trace must have shape (K,) or (S, K), got {y.shape}")
    K = y.shape[0]
    if K < 2:
        raise ValueError(f"trace must have at least 2 checkpoints, got {K}")
    if steps is None:
        s = np.arange(K, dtype=np.int64)
    else:
        s = np.asarray(steps)
        if s.shape != (K,):
            raise ValueError(f"steps must have shape ({K},) like trace, got {s.shape}")
        if np.any(np.diff(s) <= 0):
            raise ValueError("steps must be strictly increasing")
    min_plateau = max(3, -(-K // 15)) if min_plateau is None else \
        v.as_int("min_plateau", min_plateau, lo=1)
    if direction not in (None, "down", "up"):
        raise ValueError(f"direction must be 'down', 'up' or None, got {direction!r}")
    finite = np.isfinite(y)
    if not finite[0]:
        raise ValueError("trace must start with a finite value")
    end = K if finite.all() else int(np.argmin(finite))
    y, s = y[:end], s[:end]

    sigma = trace_noise(y)
    span = float(np.max(y) - np.min(y))
    sig = max(sigma, 0.005 * span)
    gap = max(3.0 * sig, 0.05 * span) if min_change is None else \
        v.as_float("min_change", min_change, lo=0.0)
    bounds = _optimal_partition(y, 3.0 * sig * sig * np.log(max(len(y), 2)))
    bounds = _merge_close(y, bounds, gap)
    segs = list(itertools.pairwise(bounds))  # half-open [a, b)
    flat = [_flat_part(y, a, b, min_plateau, sigma, 0.02 * span) for a, b in segs]
    plateau_idx = [i for i, f in enumerate(flat) if f is not None]
    plateaus = tuple(Plateau(int(s[a]), int(s[b - 1]), float(np.mean(y[a:b])), b - a)
                     for a, b in (flat[i] for i in plateau_idx))
    means = [float(np.mean(y[a:b])) for a, b in segs]
    transitions = []
    for (i0, i1), p0, p1 in zip(itertools.pairwise(plateau_idx), plateaus[:-1],
                                plateaus[1:]):
        change = p1.level - p0.level
        if abs(change) < gap:
            continue
        if (direction == "down" and change > 0) or (direction == "up" and change < 0):
            continue
        jumps = [abs(means[j + 1] - means[j]) for j in range(i0, i1)]
        j = i0 + int(np.argmax(jumps))
        transitions.append(Transition(p0.end_step, p1.start_step, int(s[segs[j + 1][0]]),
                                      p0.level, p1.level))
    return TransitionReport(steps=s, trace=y, plateaus=plateaus, transitions=tuple(transitions),
                            noise=sigma, min_change=gap, boundaries=tuple(int(x) for x in bounds))


def _optimal_partition(y: np.ndarray, penalty: float) -> list[int]:
    """Segment boundaries 0 = t_0 < … < t_m = K minimising SSE + penalty · m (exact DP)."""
    K = len(y)
    c1 = np.concatenate([[0.0], np.cumsum(y)])
    c2 = np.concatenate([[0.0], np.cumsum(y * y)])
    best = np.zeros(K + 1)
    prev = np.zeros(K + 1, dtype=np.int64)
    for t in range(1, K + 1):
        starts = np.arange(t)
        length = t - starts
        sse = (c2[t] - c2[starts]) - (c1[t] - c1[starts]) ** 2 / length
        cost = best[starts] + np.maximum(sse, 0.0) + penalty
        j = int(np.argmin(cost))
        best[t], prev[t] = cost[j], j
    out = [K]
    while out[-1] > 0:
        out.append(int(prev[out[-1]]))
    return out[::-1]


def _merge_close(y: np.ndarray, bounds: list[int], gap: float) -> list[int]:
    """Remove the boundary between the closest adjacent segments while their means differ < gap."""
    bounds = list(bounds)
    while len(bounds) > 2:
        means = [np.mean(y[a:b]) for a, b in itertools.pairwise(bounds)]
        diffs = np.abs(np.diff(means))
        j = int(np.argmin(diffs))
        if diffs[j] >= gap:
            break
        del bounds[j + 1]
    return bounds


def _flat_part(y: np.ndarray, a: int, b: int, min_len: int, sigma: float, floor: float):
    """[a', b') ⊂ [a, b): the segment itself if flat, else the longest flat piece left after
    trimming one end (a ramp the segmentation attached to a plateau), or None.

    Flat: the two half means differ by less than max(8σ̂/√n, floor) (4 standard errors of the
    difference for pure noise, or a small fraction of the trace's range).
    """
    for trim in range((b - a) // 2 + 1):
        for lo, hi in ((a + trim, b), (a, b - trim)):
            n = hi - lo
            if n >= min_len and _drift(y[lo:hi]) < max(8.0 * sigma / np.sqrt(n), floor):
                return lo, hi
    return None


def _drift(seg: np.ndarray) -> float:
    """|mean of the second half − mean of the first half|: how much a segment moves."""
    if seg.size < 2:
        return 0.0
    h = seg.size // 2
    return float(abs(np.mean(seg[seg.size - h:]) - np.mean(seg[:h])))
