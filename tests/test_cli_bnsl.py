"""`slt-sim bnsl`: the JSON contract, the packaged 4-digit curve, the plot and bad CSV input."""

import json

import numpy as np
import pytest

from slt_sim.cli import main
from slt_sim.data import load_scaling_curve


def _write(tmp_path, text, name="curve.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_bnsl_json_contract_on_a_csv_with_header(tmp_path, capsys):
    d = load_scaling_curve("four_digit_addition")
    csv = _write(tmp_path, "x,y\n" + "".join(f"{x:g},{float(y)!r}\n" for x, y in zip(d.x, d.y)))
    png = str(tmp_path / "fit.png")
    assert main(["bnsl", "--csv", csv, "--fit-first", "14", "--breaks", "1", "--json",
                 "--plot", png]) == 0
    out = json.loads(capsys.readouterr().out)
    print({k: out[k] for k in ("fit_rmsle", "extrapolation_rmsle", "warnings")})
    assert set(out["params"]) == {"a", "b", "c0", "c", "d", "f"}
    assert len(out["params"]["c"]) == len(out["params"]["d"]) == len(out["params"]["f"]) == 1
    assert [e["x"] for e in out["extrapolation"]] == [800.0, 864.0, 928.0]
    assert all(set(e) == {"x", "y_pred", "y"} for e in out["extrapolation"])
    assert out["extrapolation"][0]["y"] == pytest.approx(0.75856477)
    assert out["extrapolation_rmsle"] < 0.02 and out["fit_rmsle"] < 0.01
    assert isinstance(out["warnings"], list)
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bnsl_packaged_dataset_and_headerless_csv(capsys, tmp_path):
    assert main(["bnsl", "--dataset", "four_digit_addition", "--json"]) == 0   # paper's split
    out = json.loads(capsys.readouterr().out)
    assert out["n_fit"] == 14 and out["extrapolation_rmsle"] < 0.02
    csv = _write(tmp_path, "".join(f"{x:g},{2 + x ** -0.5:.12g}\n" for x in np.arange(1, 11)))
    assert main(["bnsl", "--csv", csv, "--breaks", "0"]) == 0     # all points, readable output
    text = capsys.readouterr().out
    print(text)
    assert "fitted to 10 of 10 points" in text and "extrapolation" not in text


@pytest.mark.parametrize("content,argv,needle", [
    ("a,y\n1,2\n2,3\n", [], "missing column x"),
    ("x,y\n1,2\n2,abc\n", [], "row 3: y is not a number: 'abc'"),
    ("x,y\n0,2\n2,3\n", [], "x must be > 0"),
    ("1,2\n2,1.5\n3,1.2\n4,1.1\n5,1.05\n", ["--breaks", "1"], "at least 6 points"),
    ("1,2\n2,1.5\n3,1.2\n4,1.1\n5,1.05\n", ["--fit-first", "7", "--breaks", "0"],
     "--fit-first must be <= 5"),
    ("1,2\n2,1.5\n3,1.2\n4,1.1\n5,1.05\n", ["--fit-first", "0", "--breaks", "0"],
     "--fit-first must be >= 1"),
    ("1,2\n2,1.5\n3,1.2\n4,1.1\n5,1.05\n", ["--fit-first", "2", "--breaks", "0"],
     "at least 3 points"),
    ("1,2\n2,1.5\n", ["--breaks", "x"], "--breaks must be a whole number"),
])
def test_bnsl_bad_csv_exits_2_with_one_line(tmp_path, capsys, content, argv, needle):
    csv = _write(tmp_path, content)
    with pytest.raises(SystemExit) as exc:
        main(["bnsl", "--csv", csv, *argv])
    err = capsys.readouterr().err
    print(err.strip())
    assert exc.value.code == 2
    assert err.startswith("slt-sim bnsl: error: ") and needle in err and err.count("\n") == 1


def test_bnsl_missing_file_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bnsl", "--csv", "no/such/file.csv"])
    assert exc.value.code == 2 and "no such file" in capsys.readouterr().err
