"""The study tutorials (08 on) and the explorer notebooks run in smoke mode (see
tests/test_tutorials.py for the core ones)."""

import pytest
from _notebooks import NOTEBOOKS, run_notebook
from test_tutorials import CORE

REST = [p for p in NOTEBOOKS if p not in CORE]


@pytest.mark.parametrize("path", REST, ids=[p.stem for p in REST])
def test_tutorial_runs_in_smoke_mode(path, kernel):
    run_notebook(path, kernel)
