"""The `slt-sim` contract: demo, phase and free-energy subcommands, JSON output, exit code 2."""

import json
import os
import subprocess
import sys

import pytest

from slt_sim.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_phase_json_reports_exact_and_predicted_critical_n(capsys):
    out = _json(capsys, ["phase", "--model", "two-basins-1d", "--ns", "1e3,3e3,1e4,3e4,1e5",
                         "--json"])
    print({k: out[k] for k in ("critical_n_exact", "critical_n_predicted")})
    assert 10_000 < out["critical_n_exact"] < 11_000
    assert out["critical_n_predicted"] == pytest.approx(out["critical_n_exact"], rel=0.05)
    assert out["pair"] == ["wide", "narrow"]           # PhaseSweep.as_dict(): its field names
    assert out["region_names"] == ["wide", "narrow"] and len(out["region_masses"]) == 2


def test_free_energy_json_recovers_lambda(capsys):
    out = _json(capsys, ["free-energy", "--model", "normal-crossing", "--k", "1,1", "--ns",
                         "1e2,1e3,1e4,1e5,1e6", "--json"])
    assert len(out["free_energy"]) == len(out["ns"]) == 5
    assert out["warnings"] == [] and out["lambda_ci"][0] < out["lambda_ci"][1]
    assert out["lambda_hat"] == pytest.approx(0.5, rel=0.02)
    assert out["m_hat"] == 2 and out["lambda"] == 0.5


def test_demo_writes_figures_and_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "two_basins_1d" in text
    summary = json.loads((tmp_path / "summary.json").read_text())
    for name in summary["figures"]:
        assert (tmp_path / name).stat().st_size > 10_000
    assert 10_000 < summary["two_basins_1d"]["critical_n_exact"] < 11_000
    assert summary["two_basins_2d"]["switch"] == ["singular", "regular"]


@pytest.mark.parametrize("argv, words", [
    (["free-energy", "--model", "normal-crossing", "--ns", "1e2,-5,1e4"], "ns must all be > 0"),
    (["free-energy", "--model", "normal-crossing", "--ns", "ten,100"], "--ns must be numbers"),
    (["free-energy", "--model", "normal-crossing", "--k", "1,1", "--h", "0"], "same length"),
    (["free-energy", "--model", "dln", "--widths", "4,3,4", "--rank", "1"], "dim <= 3"),
    (["phase", "--model", "two-basins-2d", "--ns", "100"], "at least two values"),
    (["theory", "dln", "--widths", "2,2", "--rank", "3"], "rank"),
])
def test_bad_input_exits_2_with_a_clear_message(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_console_script_entry_point_exits_2_on_bad_input():
    env = dict(os.environ, SLT_SIM_X64="1")
    proc = subprocess.run([sys.executable, "-m", "slt_sim", "phase", "--ns", "abc,1"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "--ns must be numbers" in proc.stderr


def test_output_cut_short_by_its_reader_ends_quietly():
    # `slt-sim theory ... | head -0`: the reading end is closed before anything is written
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "slt_sim", "theory", "normal-crossing",
                               "--k", "1,1"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


def test_three_point_free_energy_sweep_gives_an_interval_and_says_it_is_crude(capsys):
    out = _json(capsys, ["free-energy", "--model", "normal-crossing", "--ns", "1e2,1e4,1e6",
                         "--json"])
    lo, hi = out["lambda_ci"]
    assert hi - lo > 1e-3 and out["warnings"] and "only 3 values of n" in out["warnings"][0]


def test_n_with_a_list_still_reads_as_the_sweep(capsys):
    out = _json(capsys, ["free-energy", "--model", "normal-crossing", "--n",
                         "1e2,1e3,1e4,1e5,1e6", "--json"])
    assert len(out["ns"]) == 5


def test_phase_help_lists_only_the_options_phase_takes(capsys):
    with pytest.raises(SystemExit):
        main(["phase", "--help"])
    text = capsys.readouterr().out
    assert "--loss-gap" in text and "--ns" in text
    for flag in ("--k ", "--potential", "--widths", "--M "):
        assert flag not in text


def test_unknown_theory_reads_unknown_in_every_command(capsys):
    assert main(["free-energy", "--model", "polynomial", "--potential", "a^2*b^2+a^6",
                 "--ns", "1e2,1e3,1e4,1e5,1e6"]) == 0
    text = capsys.readouterr().out
    assert "theory λ = unknown, m = unknown" in text and "None" not in text


def test_info_reports_the_backend_and_devices(capsys):
    import jax

    out = _json(capsys, ["info", "--json"])
    assert out["backend"] == jax.default_backend() and out["device_count"] == len(jax.devices())
    assert out["float64"] is True and out["jax"] == jax.__version__
