"""The code base is ruff-clean (rules in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "slt_sim", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_benchmark_runs_this_checkout_without_an_install():
    """Each benchmark script imports benchmarks/_repo.py before slt_sim (one convention)."""
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        text = path.read_text()
        if path.name.startswith("_") or "slt_sim" not in text:
            continue
        first = min(i for i in (text.find("import slt_sim"), text.find("from slt_sim"))
                    if i >= 0)
        assert "import _repo" in text[:first], \
            f"{path.name}: import _repo (benchmarks/_repo.py) before slt_sim"
