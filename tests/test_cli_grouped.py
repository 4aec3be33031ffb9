"""`slt-sim grouped`: JSON keys (per-seed, per-task learning steps and widths) and exit 2."""

import json

import pytest

from slt_sim.cli import main

SMALL = ["--seeds", "2", "--steps", "60", "--tasks", "2", "--bits", "4", "--k", "2",
         "--hidden", "4", "--n", "200", "--batch-size", "16", "--checkpoints", "5"]


def test_cli_grouped_json_has_learning_steps_and_widths_per_seed_and_task(capsys):
    capsys.readouterr()
    assert main(["grouped", "--objective", "grouped", *SMALL, "--threshold", "0.69",
                 "--start-level", "0.72", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    times = out["times"]            # CapabilityResult.as_dict(): LearningTimes fields
    print({k: times[k] for k in ("learning_step", "width")}, out["num_groups"])
    assert out["num_groups"] == 2
    assert len(times["learning_step"]) == 2 and all(len(r) == 2 for r in times["learning_step"])
    assert len(times["width"]) == 2 and all(len(r) == 2 for r in times["width"])
    for row_l, row_w in zip(times["learning_step"], times["width"]):
        for ls, w in zip(row_l, row_w):
            assert (ls is None) == (w is None)  # null where a task was not learned
            assert ls is None or (0 <= ls <= 60 and 0 <= w <= ls)
    s = out["settings"]
    assert s["objective"]["name"] == "grouped" and s["num_seeds"] == 2 and s["num_steps"] == 60
    assert s["threshold"] == 0.69 and s["start_level"] == 0.72


@pytest.mark.parametrize("argv,msg", [
    (["--objective", "median"], "--objective"),
    (["--seeds", "0"], "--seeds"),
    (["--n", "100", "--batch-size", "500"], "--batch-size"),
    (["--threshold", "0.5", "--start-level", "0.4"], "--start-level"),
    (["--tasks", "30", "--bits", "4", "--k", "2"], "num_tasks"),
])
def test_cli_grouped_bad_input_exit_2(capsys, argv, msg):
    with pytest.raises(SystemExit) as exc:
        main(["grouped", *argv])
    assert exc.value.code == 2
    assert msg in capsys.readouterr().err
