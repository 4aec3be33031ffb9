"""`slt-sim sgd` and `slt-sim tms`: JSON contract, numbers, exit code 2 on bad input."""

import json

import pytest

from slt_sim.cli import main


def _json(capsys, argv):
    capsys.readouterr()  # drop anything printed before
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out


def test_cli_sgd_json_has_fractions_masses_divergence_and_time(capsys):
    out = _json(capsys, ["sgd", "--model", "two-basins-2d", "--n", "1e4", "--seeds", "200",
                         "--steps", "300", "--lr", "0.05"])
    print({k: out[k] for k in ("final_region_fractions", "posterior_region_masses",
                               "num_diverged", "seconds")})
    fr = out["final_region_fractions"]
    assert set(fr) == {"singular", "regular", "none", "diverged"}
    assert sum(fr.values()) == pytest.approx(1.0)
    assert out["posterior_region_masses"]["regular"] > 0.99  # n = 1e4 is past the switch
    assert fr["singular"] > 0.5  # ... while most SGD runs stay in the singular basin
    assert out["num_diverged"] == 0 and out["seconds"] > 0
    assert out["settings"]["num_seeds"] == 200 and out["settings"]["lr"] == 0.05
    assert "seeds" not in out and len(out["diverged"]) == 200
    # too large a step size: every run diverges, and the count says so
    out = _json(capsys, ["sgd", "--model", "quadratic", "--seeds", "8", "--steps", "200",
                         "--lr", "2.0"])
    assert out["num_diverged"] == 8 and out["final_region_fractions"]["diverged"] == 1.0


def test_cli_sgd_on_tms_data_model(capsys):
    out = _json(capsys, ["sgd", "--model", "tms", "--c", "4", "--n", "200", "--seeds", "4",
                         "--steps", "200", "--lr", "0.05", "--optimizer", "adam",
                         "--batch-size", "32", "--init-scale", "0.1"])
    assert out["posterior_region_masses"] is None  # d = 12: no exact engine
    assert sum(out["final_region_fractions"].values()) == pytest.approx(1.0)


def test_cli_tms_table_and_critical_n(capsys):
    out = _json(capsys, ["tms", "--c", "6", "--no-llc", "--rungs", "12", "--replicas", "2",
                         "--steps", "900"])
    rows = {r["phase"]: r for r in out["kgons"]}
    print({p: (round(r["loss"], 5), r["lambda_theory"]) for p, r in rows.items()},
          out["critical_n_predicted"], out["critical_n_measured"])
    assert round(rows["5"]["loss"], 5) == 0.06874 and round(rows["6"]["loss"], 5) == 0.04819
    assert rows["5"]["lambda_theory"] == 7 and rows["6"]["lambda_theory"] == 8.5
    assert rows["5+"]["loss"] == pytest.approx(rows["5"]["loss"] - 1 / 144, abs=1e-12)
    # n ΔL = Δλ log n with ΔL = 0.02055, Δλ = 1.5
    assert out["critical_n_predicted"] == pytest.approx(445, rel=0.02)
    assert out["transition"] == "5 -> 6" and out["posterior_occupancy"] is not None
    assert "hull_5" in out["posterior_occupancy"] and "critical_n_measured_hull" in out
    occ = out["posterior_occupancy"]        # RegionOccupancy.as_dict(): its own field names
    assert set(occ["occupancy"]) >= {"5", "6"} and len(occ["ns"]) == len(occ["hull_5"])
    assert "draws" not in occ and "swap_acceptance" in occ


@pytest.mark.parametrize("argv,msg", [
    (["sgd", "--model", "two-basins-2d", "--batch-size", "10"], "batch-size"),
    (["sgd", "--model", "tms", "--n", "10.5"], "whole number"),
    (["sgd", "--model", "quadratic", "--lr", "-1"], "lr"),
    (["tms", "--c", "1", "--no-llc", "--no-measure"], "--c"),
    (["tms", "--likelihood", "gaussian", "--sigma", "0", "--no-llc", "--no-measure"], "--sigma"),
])
def test_cli_sgd_and_tms_bad_input_exit_2(capsys, argv, msg):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert msg in capsys.readouterr().err


def test_cli_tms_reports_the_setting_and_gaussian_likelihood_prediction(capsys):
    """--likelihood gaussian (σ = 1): the JSON names the setting; the asymptotic crossing doubles
    and more (n ΔL/2 = Δλ log n: 1,010 against 445)."""
    out = _json(capsys, ["tms", "--c", "6", "--no-llc", "--no-measure", "--likelihood",
                         "gaussian"])
    s = out["setting"]
    assert s["likelihood"] == "gaussian" and s["sigma"] == 1.0 and s["likelihood_scale"] == 0.5
    assert s["loss"].startswith("population")
    assert out["critical_n_predicted"] == pytest.approx(1010, rel=0.01)
    assert out["critical_n_measured"] is None and out["critical_n_measured_hull"] is None
    assert round([r for r in out["kgons"] if r["phase"] == "6"][0]["loss"], 5) == 0.04819
    out = _json(capsys, ["tms", "--c", "6", "--no-llc", "--no-measure"])
    assert out["setting"]["likelihood"] == "gibbs" and out["setting"]["likelihood_scale"] == 1.0
