"""Every notebook under tutorials/ runs top to bottom in smoke mode (SLT_SIM_SMOKE=1).

The core tutorials (01–07) run here; the study tutorials (08 on) and the explorer notebooks in
tests/test_tutorials_studies.py, so the two halves run on different test workers.
"""

import nbformat
import pytest
from _notebooks import NOTEBOOKS, run_notebook

CORE = [p for p in NOTEBOOKS if p.parent.name == "tutorials" and p.name[:2] in
        {f"{i:02d}" for i in range(1, 8)}]


def test_tutorials_are_present_and_stored_without_outputs():
    names = [p.name for p in NOTEBOOKS]
    print(f"\n{len(names)} notebooks: {names}")
    present = {int(n[:2]) for n in names if n[:2].isdigit()}
    for i in sorted(present | set(range(1, 12))):
        assert any(n.startswith(f"{i:02d}_") for n in names), f"tutorial {i} is missing"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, \
                    f"{path.name} is stored with outputs: clear them before committing"


@pytest.mark.parametrize("path", CORE, ids=[p.stem for p in CORE])
def test_tutorial_runs_in_smoke_mode(path, kernel):
    run_notebook(path, kernel)
