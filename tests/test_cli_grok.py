"""`slt-sim grok`: the JSON contract of a run and of a sweep, and exit code 2 on bad input."""

import json

import pytest

from slt_sim.cli import main

FAST = ["--p", "23", "--train-frac", "0.6", "--steps", "1500", "--lr", "1e-2",
        "--checkpoints", "16"]


def _json(capsys, argv):
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_grok_run_reports_accuracies_grok_step_and_llc(capsys):
    # the λ̂ settings of tests/test_grokking.py (same compiled sampler when run together)
    out = _json(capsys, ["grok", *FAST, "--llc-chains", "2", "--llc-draws", "200",
                         "--llc-gamma", "10", "--llc-checkpoints", "5"])
    # GrokkingRun.as_dict() (run 0: true labels, run 1: random labels) + LLCTrajectory.as_dict()
    print({k: out[k] for k in ("grok_step", "memorise_step", "llc_random_labels")})
    for k in ("train_acc", "test_acc", "grok_step", "memorise_step", "llc", "llc_random_labels",
              "settings", "steps"):
        assert k in out
    assert out["test_acc"][0][-1] >= 0.9 and out["grok_step"][0] > out["memorise_step"][0]
    llc = out["llc"]
    assert len(llc["steps"]) == len(llc["llc_mean"]) == len(llc["llc_std"]) == 5
    assert llc["steps"] == out["steps"][-5:]
    assert max(llc["llc_mean"]) >= llc["llc_mean"][-1]
    assert set(out["llc_random_labels"]) == {"llc_mean", "llc_std"}
    assert out["settings"]["llc"]["step_size"] == 1e-3 and llc["settings"]["step_size"] == 1e-3


def test_cli_grok_sweep_reports_each_fraction_and_the_critical_fraction(capsys):
    out = _json(capsys, ["grok", "--p", "11", "--sweep-frac", "0.3,0.7", "--seeds", "2",
                         "--steps", "20", "--checkpoints", "3", "--no-llc"])
    assert {"sweep", "critical_frac", "predicted_critical_frac"} <= set(out)
    assert [r["train_frac"] for r in out["sweep"]] == [0.3, 0.7]
    row = out["sweep"][0]
    for k in ("test_acc_mean", "test_acc_per_seed", "grok_step_median"):
        assert k in row
    assert len(row["test_acc_per_seed"]) == 2
    assert out["predicted_critical_frac"] is None          # --no-llc: no free energies


@pytest.mark.parametrize("argv, name", [
    (["--p", "2"], "--p"),
    (["--train-frac", "1.0"], "--train-frac"),
    (["--train-frac", "0"], "--train-frac"),
    (["--sweep-frac", "0.2,1.5"], "--sweep-frac"),
    (["--sweep-frac", "0.2,x"], "--sweep-frac"),
    (["--weight-decay", "-1"], "--weight-decay"),
    (["--steps", "0"], "--steps"),
])
def test_cli_grok_bad_input_exits_2_naming_the_argument(capsys, argv, name):
    with pytest.raises(SystemExit) as exc:
        main(["grok", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0]
