"""The public API: one import path per name, every ``__all__`` resolves, and ``import slt_sim``
stays light (heavy libraries load where they are used; slt_sim/_lazy.py)."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: packages whose ``__all__`` is public API (``theory`` is one module; ``data`` has no ``__all__``)
PACKAGES = ("slt_sim", "slt_sim.models", "slt_sim.posterior", "slt_sim.measure",
            "slt_sim.dynamics", "slt_sim.viz", "slt_sim.widgets")

#: what ``import slt_sim`` must not load (imported only by the modules that use them)
HEAVY = ("numpyro", "numpyro.infer", "arviz", "optax", "scipy", "sklearn", "matplotlib",
         "ipywidgets")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_resolves_and_is_listed_by_dir(package):
    mod = importlib.import_module(package)
    assert mod.__all__ == sorted(mod.__all__), f"{package}.__all__ is not sorted"
    missing = [name for name in mod.__all__ if getattr(mod, name, None) is None]
    assert not missing, f"{package}: names in __all__ that do not resolve: {missing}"
    assert set(mod.__all__) <= set(dir(mod))


def test_unknown_attribute_raises_attribute_error():
    import slt_sim

    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        slt_sim.measure.no_such_name  # noqa: B018


def test_subpackages_are_attributes_of_the_top_level():
    import slt_sim

    for name in ("data", "dynamics", "measure", "models", "posterior", "theory", "viz",
                 "widgets"):
        assert getattr(slt_sim, name).__name__ == f"slt_sim.{name}"
        assert name in dir(slt_sim)


def test_import_slt_sim_does_not_load_heavy_libraries():
    code = ("import sys, slt_sim\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    assert out == "[]", f"import slt_sim loaded {out}"


def test_cli_theory_does_not_load_numpyro_or_scipy():
    code = ("import sys, contextlib, io\nfrom slt_sim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['theory', 'dln', '--widths', '4,3,4', '--rank', '1'])\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    assert out == "[]", f"slt-sim theory loaded {out}"


def test_lazy_table_and_all_must_agree():
    from slt_sim._lazy import lazy_exports

    with pytest.raises(ImportError, match="disagree"):
        lazy_exports("pkg", {".mod": ("a", "b")}, ["a"])
    with pytest.raises(ImportError, match="sorted"):
        lazy_exports("pkg", {".mod": ("a", "b")}, ["b", "a"])
    with pytest.raises(ImportError, match="both"):
        lazy_exports("pkg", {".m1": ("a",), ".m2": ("a",)}, ["a"])


#: ``from slt_sim.<sub>.<module> import <public name>``: a deep path to a public name (private
#: modules ``_x`` and the command line's own modules are not library API)
DEEP = re.compile(r"from\s+slt_sim\.(?!cli\.)[a-z_]+\.(?!_)[a-z_]+\s+import\s+\(?\s*(?!_)\w")


def _user_facing_files():
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").glob("*.md"))
    yield from sorted((ROOT / "tests").glob("*.py"))
    yield from sorted((ROOT / "benchmarks").glob("*.py"))
    yield from sorted((ROOT / "tutorials").rglob("*.ipynb"))


def test_user_facing_files_import_public_names_from_packages_only():
    """README, docs, tests, benchmarks and tutorials import public names from ``slt_sim`` or a
    subpackage ``slt_sim.<sub>``, never from a module file (one import path per name)."""
    me = Path(__file__).resolve()
    wrong = []
    for path in _user_facing_files():
        if path.resolve() == me:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = text.replace("\\n", "\n")
        for m in DEEP.finditer(text):
            line = text[m.start():].split("\n", 1)[0].strip().strip('"')
            wrong.append(f"{path.relative_to(ROOT)}: {line}")
    assert not wrong, "import these from slt_sim or slt_sim.<sub>:\n" + "\n".join(wrong)
