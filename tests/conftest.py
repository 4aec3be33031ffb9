"""Test-session setup: two host CPU devices (for sharding tests), float64, JAX compile cache."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
os.environ.setdefault("MPLBACKEND", "Agg")
# the CLI's own compilation cache stays off in tests (this file sets JAX's cache below; only
# tests/test_cli_compile_cache.py turns the CLI's on, in subprocesses with their own folder)
os.environ.setdefault("SLT_SIM_COMPILE_CACHE", "0")

import jax  # noqa: E402
import pytest  # noqa: E402

_CACHE = os.environ.get("SLT_SIM_JAX_CACHE",
                        os.path.join(os.path.expanduser("~"), ".cache", "slt_sim", "jax"))
jax.config.update("jax_compilation_cache_dir", _CACHE)
# every compiled program is kept (as the CLI does): at a 0.5 s threshold the many 0.1–0.5 s
# compilations were redone on every run (warm suite 5 min 2 s at 0.5 s, 3 min 30 s at 0)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

import slt_sim  # noqa: E402,F401  (turns on float64)


def pytest_report_header(config):
    """Say how full the compilation cache is: an empty one makes the run about twice as long."""
    try:
        entries = sum(1 for _ in os.scandir(_CACHE))
    except OSError:
        entries = 0
    if entries < 100:
        return (f"JAX compilation cache {_CACHE}: {entries} programs. This run compiles the "
                "suite's ~3,500 programs and takes about twice as long as later runs "
                "(docs/benchmarks.md, 'The default test run').")
    return f"JAX compilation cache {_CACHE}: {entries} programs"


@pytest.fixture(scope="module")
def kernel():
    """A Jupyter kernel in smoke mode, shared by the notebooks of one test module."""
    from _notebooks import smoke_kernel

    with smoke_kernel() as km:
        yield km
