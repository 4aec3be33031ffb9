"""The ``slt-sim`` command line keeps JAX's persistent compilation cache in a user cache folder
($XDG_CACHE_HOME/slt_sim/jax); ``--no-compile-cache`` or SLT_SIM_COMPILE_CACHE=0 turns it off."""

import os
import subprocess
import sys

#: a tiny command that compiles a few small programs (one short SGLD chain on a 1-d quadratic)
TINY = ["llc", "--model", "quadratic", "--d", "1", "--chains", "1", "--draws", "10",
        "--burnin", "0", "--nbeta-factors", "none", "--json"]


def _run(xdg, *args, env=None):
    full_env = {k: x for k, x in os.environ.items() if k != "SLT_SIM_COMPILE_CACHE"}
    full_env.update({"XDG_CACHE_HOME": str(xdg), **(env or {})})
    proc = subprocess.run([sys.executable, "-m", "slt_sim", *args], env=full_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def _entries(xdg):
    folder = xdg / "slt_sim" / "jax"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_second_run_of_the_same_command_compiles_nothing_new(tmp_path):
    _run(tmp_path, *TINY)
    first = _entries(tmp_path)
    assert first, "the first run should fill the compilation cache"
    _run(tmp_path, *TINY)
    assert _entries(tmp_path) == first, "the second run compiled programs the cache lacked"


def test_flag_turns_the_cache_off(tmp_path):
    _run(tmp_path, "--no-compile-cache", *TINY)
    assert _entries(tmp_path) == []


def test_environment_variable_turns_the_cache_off(tmp_path):
    _run(tmp_path, *TINY, env={"SLT_SIM_COMPILE_CACHE": "0"})
    assert _entries(tmp_path) == []
