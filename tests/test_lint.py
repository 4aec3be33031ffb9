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


#: the layers of DESIGN.md, bottom to top: a module may import its own layer or those below
LAYERS = {"_validate": 0, "_sharding": 0, "_lazy": 0, "_numpyro": 0, "_warnings": 0,
          "_results": 0, "data": 0, "theory": 0, "models": 1, "posterior": 2,
          "measure": 3, "dynamics": 4, "viz": 5, "widgets": 6, "cli": 7, "demo": 7,
          "__main__": 7, "__init__": 8}


def _imported_packages(path, package):
    """First components (below slt_sim) of everything ``path`` imports from slt_sim."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "slt_sim" and len(parts) > 1:
                    yield parts[1]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package)[:len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                yield from ([target[0]] if target else [a.name for a in node.names])
            elif node.module and node.module.startswith("slt_sim."):
                yield node.module.split(".")[1]


def test_no_module_imports_a_layer_above_its_own():
    """theory/data → models → posterior → measure → dynamics → viz → widgets → cli (DESIGN.md);
    function-level (lazy) imports count too."""
    src = ROOT / "slt_sim"
    wrong = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).with_suffix("").parts
        mine = LAYERS[rel[0]]
        for other in _imported_packages(path, rel[:-1]):
            if LAYERS.get(other, -1) > mine:
                wrong.append(f"{'/'.join(rel)}.py imports slt_sim.{other}")
    assert not wrong, "layer order broken:\n" + "\n".join(wrong)
