"""detect_transitions finds planted plateaus, drops and jumps, and nothing in flat noise."""

import numpy as np
import pytest

from slt_sim.dynamics import detect_transitions, trace_noise


def _staircase(levels, lengths, noise, seed, ramp=0):
    rng = np.random.default_rng(seed)
    parts = []
    for i, (lev, n) in enumerate(zip(levels, lengths)):
        parts.append(np.full(n, lev))
        if ramp and i + 1 < len(levels):
            parts.append(np.linspace(lev, levels[i + 1], ramp + 2)[1:-1])
    y = np.concatenate(parts)
    return y + noise * rng.standard_normal(y.size)


def test_detect_transitions_finds_planted_loss_drops():
    # loss plateaus at TMS-like levels with drops after checkpoints 40 and 90 (steps ×10)
    levels, lengths = [0.1667, 0.1111, 0.0687], [40, 50, 60]
    y = _staircase(levels, lengths, noise=0.002, seed=0)
    steps = 10 * np.arange(y.size)
    rep = detect_transitions(y, steps, direction="down")
    found = [(t.step, round(t.before, 4), round(t.after, 4)) for t in rep.transitions]
    print("planted drops at steps 400, 900; found", found, "noise", round(rep.noise, 5))
    assert len(rep.transitions) == 2
    assert abs(rep.transitions[0].step - 400) <= 10 and abs(rep.transitions[1].step - 900) <= 10
    for t, (a, b) in zip(rep.transitions, [(0.1667, 0.1111), (0.1111, 0.0687)]):
        assert t.kind == "drop"
        assert t.before == pytest.approx(a, abs=0.002) and t.after == pytest.approx(b, abs=0.002)
    assert len(rep.plateaus) == 3
    assert rep.noise == pytest.approx(0.002, rel=0.3)


def test_detect_transitions_finds_llc_jumps_through_ramps():
    # λ̂ trace stepping 2 → 5.5 → 7 with 6-checkpoint ramps and estimator noise 0.25
    y = _staircase([2.0, 5.5, 7.0], [30, 30, 30], noise=0.25, seed=1, ramp=6)
    rep = detect_transitions(y, direction="up")
    found = [(t.start_step, t.step, t.end_step, round(t.change, 2)) for t in rep.transitions]
    print("planted jumps at ramps 30..35 and 66..71; found", found)
    assert len(rep.transitions) == 2
    first, second = rep.transitions
    assert 27 <= first.step <= 38 and 63 <= second.step <= 74
    assert first.change == pytest.approx(3.5, abs=0.4)
    assert second.change == pytest.approx(1.5, abs=0.4)
    assert all(t.kind == "jump" for t in rep.transitions)


def test_detect_transitions_flat_noise_has_none_and_direction_filters():
    rng = np.random.default_rng(2)
    flat = 1.0 + 0.05 * rng.standard_normal(200)
    rep = detect_transitions(flat)
    print("flat trace: plateaus", len(rep.plateaus), "transitions", len(rep.transitions))
    assert rep.transitions == ()
    up_then_down = _staircase([1.0, 2.0, 1.5], [20, 20, 20], 0.0, 0)
    assert [t.kind for t in detect_transitions(up_then_down).transitions] == ["jump", "drop"]
    assert [t.kind for t in detect_transitions(up_then_down, direction="down").transitions] \
        == ["drop"]


def test_detect_transitions_batch_and_divergence_and_bad_input():
    y = np.stack([_staircase([1.0, 0.5], [20, 20], 0.01, s) for s in range(3)])
    y[2, 30:] = np.nan  # a diverged run: its trace ends at the NaN
    reps = detect_transitions(y)
    assert [len(r.transitions) for r in reps] == [1, 1, 1]
    assert reps[2].steps[-1] == 29
    assert trace_noise(np.ones(10)) == 0.0
    with pytest.raises(ValueError, match="steps"):
        detect_transitions(np.ones(5), steps=[0, 1, 1, 2, 3])
    with pytest.raises(ValueError, match="direction"):
        detect_transitions(np.ones(5), direction="sideways")
    with pytest.raises(ValueError, match="trace"):
        detect_transitions(np.ones((2, 2, 2)))
