"""Build the executed copies of the tutorials: ``docs/tutorials/NN_*.ipynb``.

Usage (from the repository root)::

    python scripts/build_tutorials.py            # every tutorials/NN_*.ipynb
    python scripts/build_tutorials.py 01 05      # a subset, by number
    make tutorials NB="01 05"                    # the same through make

Each tutorial runs top to bottom in *full* mode (``SLT_SIM_SMOKE`` unset) on a fresh kernel whose
working directory is ``tutorials/``, exactly as a reader runs it. The executed copy keeps every
output, with figures embedded as PNG at a small resolution (an injected first cell sets the inline
backend to ``FIGURE_DPI`` and is removed from the copy), and relative links in markdown cells are
rewritten so they still resolve from ``docs/tutorials/`` (a link to another tutorial points to its
executed copy). The copy's metadata ``slt_sim`` records the SHA-256 of the source cells
(``source_hash``: cell types and sources of the code and markdown cells only) and the execution
time in seconds; ``tests/test_tutorial_copies.py`` checks the copies are current.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tutorials"
COPIES = ROOT / "docs" / "tutorials"
FIGURE_DPI = 80
CELL_TIMEOUT_S = 3600

SETUP = f"""\
%matplotlib inline
%config InlineBackend.figure_formats = ['png']
import matplotlib as _mpl
_mpl.rcParams['figure.dpi'] = {FIGURE_DPI}
_mpl.rcParams['savefig.dpi'] = {FIGURE_DPI}
del _mpl"""

#: markdown links ``[text](target)`` / ``![alt](target)`` and HTML ``src="…"`` / ``href="…"``
_LINK = re.compile(r"(\]\()([^)\s]+)(\))|((?:src|href)=\")([^\"]+)(\")")


def tutorial_sources() -> list[Path]:
    """The numbered tutorials ``tutorials/NN_*.ipynb``, in order."""
    return sorted(p for p in SOURCES.glob("[0-9][0-9]_*.ipynb"))


def copy_path(source: Path) -> Path:
    """Where the executed copy of ``source`` lives."""
    return COPIES / source.name


def source_hash(nb) -> str:
    """SHA-256 over the (cell type, source) of the code and markdown cells of a notebook."""
    cells = [[c["cell_type"], c["source"] if isinstance(c["source"], str) else "".join(c["source"])]
             for c in nb["cells"] if c["cell_type"] in ("code", "markdown")]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def rewrite_link(target: str) -> str:
    """A link written relative to ``tutorials/``, made relative to ``docs/tutorials/``.

    URLs (``scheme:``), in-page anchors and absolute paths are kept; a link to a numbered tutorial
    points to its executed copy beside this one.
    """
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return target
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join("tutorials", path))
    if re.fullmatch(r"tutorials/[0-9][0-9]_[^/]*\.ipynb", resolved):
        new = posixpath.basename(resolved)
    else:
        new = posixpath.relpath(resolved, "docs/tutorials")
    return new + ("#" + anchor if anchor else "")


def rewrite_links(text: str) -> str:
    def sub(m):
        if m.group(1):
            return m.group(1) + rewrite_link(m.group(2)) + m.group(3)
        return m.group(4) + rewrite_link(m.group(5)) + m.group(6)
    return _LINK.sub(sub, text)


def _kernel_env() -> dict:
    env = dict(os.environ)
    env.pop("SLT_SIM_SMOKE", None)              # full mode
    env.pop("MPLBACKEND", None)                 # the kernel's own inline backend
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(
        os.environ.get("SLT_SIM_JAX_CACHE", Path.home() / ".cache" / "slt_sim" / "jax")))
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    return env


def build(source: Path) -> tuple[Path, float]:
    """Execute ``source`` in full mode and write its copy; returns (copy path, seconds)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    digest = source_hash(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP, id="build-setup"))
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=_kernel_env(), cwd=str(SOURCES))
    try:
        client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, record_timing=False)
        start = time.monotonic()
        client.execute()
        seconds = time.monotonic() - start
    finally:
        km.shutdown_kernel(now=True)
    nb.cells.pop(0)
    for cell in nb.cells:                       # counts from 1 again, without the setup cell
        if cell.cell_type == "code":
            if cell.execution_count:
                cell.execution_count -= 1
            for out in cell.outputs:
                if out.get("execution_count"):
                    out["execution_count"] -= 1
        elif cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source)
    nb.metadata["slt_sim"] = {
        "source": f"tutorials/{source.name}",
        "source_hash": digest,
        "mode": "full",
        "execution_seconds": round(seconds, 1),
        "figure_dpi": FIGURE_DPI,
    }
    COPIES.mkdir(parents=True, exist_ok=True)
    out = copy_path(source)
    nbformat.write(nb, out)
    return out, seconds


def _select(numbers: list[str]) -> list[Path]:
    sources = tutorial_sources()
    if not numbers:
        return sources
    chosen = []
    for n in numbers:
        key = f"{int(n):02d}" if n.isdigit() else n
        match = [p for p in sources if p.name.startswith(f"{key}_")]
        if not match:
            raise SystemExit(f"build_tutorials: no tutorial numbered {n!r}; have "
                             + ", ".join(p.name[:2] for p in sources))
        chosen += match
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("numbers", nargs="*", help="tutorial numbers (e.g. 01 5); default: all")
    args = parser.parse_args(argv)
    for source in _select(args.numbers):
        print(f"building {source.relative_to(ROOT)} (full mode) ...", flush=True)
        out, seconds = build(source)
        size = out.stat().st_size / 1e6
        print(f"  -> {out.relative_to(ROOT)}: {seconds:.1f} s, {size:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
