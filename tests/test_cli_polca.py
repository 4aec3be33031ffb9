"""`slt-sim polca`: JSON keys and values in range on a tiny run, exit code 2 on bad input."""

import json

import pytest

from slt_sim.cli import main


def test_cli_polca_json_has_basis_clusters_and_scores_per_method(capsys):
    capsys.readouterr()
    assert main(["polca", "--steps", "150", "--seed", "1", "--hidden", "16", "--checkpoints",
                 "16", "--examples", "40", "--basis-samples", "64", "--basis-checkpoints", "2",
                 "--vectors", "2", "--n-train", "2000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    print({k: out[k] for k in ("basis_size", "captured_fraction", "carry_homogeneity",
                               "hidden_breakthrough_fraction")})
    assert out["basis_size"] == 4
    assert isinstance(out["captured_fraction"], float)
    assert set(out["carry_homogeneity"]) == {"polca", "first_order", "raw_loss"}
    for value in out["carry_homogeneity"].values():
        assert value is None or 0.0 <= value <= 1.0
    hb = out["hidden_breakthrough_fraction"]
    assert hb is None or 0.0 <= hb <= 1.0
    for c in out["clusters"]:
        assert c["method"] == "polca" and c["size"] >= 2 and 0 <= c["vector"] < 4
    assert len(out["training"]["test_accuracy_per_position"]) == 4


@pytest.mark.parametrize("argv,msg", [
    (["polca", "--steps", "0"], "--steps"),
    (["polca", "--steps", "100", "--lr", "-1"], "--lr"),
    (["polca", "--steps", "100", "--checkpoints", "500"], "--checkpoints"),
    (["polca", "--steps", "100", "--examples", "1"], "--examples"),
])
def test_cli_polca_bad_input_exits_2(capsys, argv, msg):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert msg in capsys.readouterr().err
