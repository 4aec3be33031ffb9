"""Every notebook under tutorials/ runs top to bottom in smoke mode (SLT_SIM_SMOKE=1).

The notebooks share one kernel (its namespace is reset before each one), so JAX is imported and
the engines are compiled once rather than once per notebook. Executed copies are written to
``test-artifacts/notebooks/`` for inspection.
"""

import os
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "tutorials").rglob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "notebooks"


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


@pytest.fixture(scope="module")
def kernel():
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)                 # the kernel's own inline backend, as for users
    env["SLT_SIM_SMOKE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(
        os.environ.get("SLT_SIM_JAX_CACHE", Path.home() / ".cache" / "slt_sim" / "jax")))
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(ROOT / "tutorials"))
    try:
        yield km
    finally:
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_tutorial_runs_in_smoke_mode(path, kernel):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f", id="reset"))
    client = NotebookClient(nb, km=kernel, timeout=300)
    start = time.monotonic()
    client.execute()
    seconds = time.monotonic() - start
    nb.cells.pop(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, ARTIFACTS / path.name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    images = sum(1 for c in code for o in c.outputs if "image/png" in o.get("data", {}))
    widgets = sum(1 for c in code for o in c.outputs
                  if "application/vnd.jupyter.widget-view+json" in o.get("data", {}))
    print(f"\n{path.relative_to(ROOT)}: {len(code)} code cells in {seconds:.1f} s, "
          f"{images} figures, {widgets} widgets")
    assert all(c.execution_count for c in code)
