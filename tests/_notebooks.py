"""Run notebooks in smoke mode on one shared kernel (used by the tutorial test modules).

The notebooks of one test module share a kernel (its namespace is reset before each), so JAX
is imported and the engines compiled once per module; the kernel keeps JAX's persistent
compilation cache with the test session's thresholds. Executed copies go to
``test-artifacts/notebooks/``.
"""

import os
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "tutorials").rglob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "notebooks"


@contextmanager
def smoke_kernel():
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)                 # the kernel's own inline backend, as for users
    env["SLT_SIM_SMOKE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(
        os.environ.get("SLT_SIM_JAX_CACHE", Path.home() / ".cache" / "slt_sim" / "jax")))
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(ROOT / "tutorials"))
    try:
        yield km
    finally:
        km.shutdown_kernel(now=True)


def run_notebook(path: Path, kernel) -> None:
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
