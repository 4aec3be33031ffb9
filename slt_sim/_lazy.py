"""Lazy package exports (PEP 562): a package lists its public names, each is imported on first use.

``import slt_sim`` then costs little more than ``import jax``: NumPyro, ArviZ, optax, SciPy,
matplotlib and ipywidgets load only when a name that needs them is first touched.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]], all_names: Iterable[str],
                 submodules: Iterable[str] = ()) -> tuple[Callable[[str], object],
                                                          Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``.

    ``exports`` maps a module relative to the package (``".llc"``) to the public names it
    defines; ``submodules`` are subpackages/modules reachable as attributes. ``all_names`` (the
    package's ``__all__``) must be sorted and equal the exported names plus those submodules it
    lists; a mismatch raises ``ImportError`` at import, so the table and ``__all__`` cannot drift.
    """
    owner: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in owner:
                raise ImportError(f"{package}: {name!r} exported by both {owner[name]} and "
                                  f"{module}")
            owner[name] = module
    subs = tuple(submodules)
    all_list = list(all_names)
    if all_list != sorted(all_list):
        raise ImportError(f"{package}.__all__ must be sorted")
    missing = set(owner) - set(all_list)
    extra = set(all_list) - set(owner) - set(subs) - {"__version__"}
    if missing or extra:
        raise ImportError(f"{package}: __all__ and the lazy export table disagree: "
                          f"not in __all__ {sorted(missing)}, not exported {sorted(extra)}")

    def __getattr__(name: str):
        if name in owner:
            value = getattr(importlib.import_module(owner[name], package), name)
        elif name in subs or _is_module(f"{package}.{name}"):
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)   # cache: next access skips __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(owner) | set(subs))

    return __getattr__, __dir__


def _is_module(fullname: str) -> bool:
    """Whether ``fullname`` names an importable module (a package attribute not yet loaded)."""
    try:
        return importlib.util.find_spec(fullname) is not None
    except (ImportError, ValueError):
        return False
