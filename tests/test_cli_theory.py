"""`slt-sim theory`: JSON contract, readable output and exit code 2 on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from slt_sim.cli import main


def _json(capsys, argv):
    assert main(["theory", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    print(argv, "->", out)
    return out


@pytest.mark.parametrize("argv,lam,exact,m,inputs", [
    (["normal-crossing", "--k", "1,2", "--h", "0,0"], 0.25, "1/4", 1, {"k": [1, 2], "h": [0, 0]}),
    (["normal-crossing", "--k", "1,1"], 0.5, "1/2", 2, {"k": [1, 1], "h": [0, 0]}),
    (["rrr", "--M", "3", "--N", "3", "--H", "2", "--r", "1"], 3.5, "7/2", 2,
     {"M": 3, "N": 3, "H": 2, "r": 1}),
    (["rrr", "--M", "5", "--N", "5", "--H", "3", "--r", "0"], 6.5, "13/2", 2,
     {"M": 5, "N": 5, "H": 3, "r": 0}),
    (["dln", "--widths", "4,3,4", "--rank", "1"], 6.0, "6/1", 1, {"widths": [4, 3, 4], "rank": 1}),
    (["tanh", "--H", "4"], 1.0, "1/1", 2, {"H": 4}),
    (["tanh", "--H", "2"], 2 / 3, "2/3", 1, {"H": 2}),
    (["regular", "--d", "3"], 1.5, "3/2", 1, {"d": 3}),
])
def test_theory_json_has_lambda_exact_m_case_model_and_inputs(capsys, argv, lam, exact, m, inputs):
    out = _json(capsys, argv)
    assert out["lambda"] == pytest.approx(lam, rel=1e-15)
    assert out["lambda_exact"] == exact and out["m"] == m
    assert out["model"] == argv[0] and isinstance(out["case"], str)
    for key, value in inputs.items():
        assert out[key] == value


def test_theory_without_json_prints_one_readable_line(capsys):
    assert main(["theory", "rrr", "--M", "3", "--N", "3", "--H", "2", "--r", "1"]) == 0
    out = capsys.readouterr().out
    print(out)
    assert out.count("\n") == 1 and "λ = 7/2" in out and "m = 2" in out


@pytest.mark.parametrize("argv,name", [
    (["rrr", "--M", "3", "--N", "3", "--H", "2", "--r", "-1"], "--r"),
    (["rrr", "--M", "3", "--N", "3", "--H", "2.5", "--r", "1"], "--H"),
    (["rrr", "--M", "3", "--N", "3", "--H", "2", "--r", "3"], "r"),
    (["dln", "--widths", "4,3,4", "--rank", "4"], "rank"),
    (["dln", "--widths", "4,x,4", "--rank", "1"], "--widths"),
    (["normal-crossing", "--k", "1,2", "--h", "0"], "--k and --h"),
    (["normal-crossing", "--k", "0,0"], "k"),
    (["tanh", "--H", "abc"], "--H"),
    (["regular", "--d", "0"], "--d"),
])
def test_theory_bad_input_exits_2_naming_the_argument(capsys, argv, name):
    with pytest.raises(SystemExit) as exc:
        main(["theory", *argv])
    err = capsys.readouterr().err
    print(argv, "->", err.strip())
    assert exc.value.code == 2
    assert err.startswith("slt-sim theory: error: ") and name in err
    assert err.count("\n") == 1


def test_theory_module_entry_point_exits_2_on_negative_rank():
    root = Path(__file__).resolve().parents[1]  # run this checkout's slt_sim
    proc = subprocess.run(
        [sys.executable, "-m", "slt_sim", "theory", "dln", "--widths", "4,3,4", "--rank", "-2"],
        check=False, capture_output=True, text=True, cwd=root, timeout=120)
    print("rc", proc.returncode, "stderr:", proc.stderr.strip())
    assert proc.returncode == 2
    assert "--rank must be >= 0" in proc.stderr and proc.stdout == ""
