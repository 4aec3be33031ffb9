"""The result convention: frozen dataclasses with ``as_dict()`` giving JSON-ready Python values.

A result type holds the numbers an engine returned, the run settings in one ``settings`` dict
(when it has run settings) and its diagnostics in ``warnings: tuple[str, ...]`` (see
:mod:`slt_sim._warnings`). ``as_dict()`` is what ``slt-sim … --json`` prints: the field names of
the attributes, with one spelling rule — λ is ``lam`` in Python (``lambda`` is a keyword) and
``lambda`` in JSON (:data:`JSON_NAMES`), so ``lam_hat`` is written ``lambda_hat`` everywhere.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import numpy as np

#: attribute name → JSON key (the only renaming: λ is spelled ``lam`` in Python)
JSON_NAMES = {"lam": "lambda", "lam_hat": "lambda_hat", "lam_ci": "lambda_ci",
              "lam_hats": "lambda_hats", "lam_ses": "lambda_ses", "lam_float": "lambda_float"}


def plain(x: Any) -> Any:
    """``x`` as plain Python (dict, list, str, int, float, bool, None) that ``json.dumps`` takes.

    NumPy and JAX arrays become nested lists, their scalars Python numbers, tuples lists, dict
    keys strings; Fractions become floats; dataclasses and named tuples become dicts (through
    their own ``as_dict`` when they have one). NaN and ±inf become None (JSON's null: "not
    reached", "unknown"), so the output is strict JSON.
    """
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return float(x)
    if isinstance(x, np.generic):
        return plain(x.item())
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if hasattr(x, "as_dict") and callable(x.as_dict) and not isinstance(x, type):
        return x.as_dict()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return {k: plain(v) for k, v in zip(x._fields, x)}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [plain(v) for v in x]
    if hasattr(x, "shape") and hasattr(x, "dtype"):      # numpy / jax arrays
        try:
            arr = np.asarray(x)
        except TypeError:       # a typed PRNG key array
            return str(x)
        if arr.dtype.kind == "c":
            return plain({"real": arr.real, "imag": arr.imag})
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            arr = np.where(np.isfinite(arr), arr, None)
        return arr.tolist() if arr.dtype != object else _nested(arr.tolist())
    if isinstance(x, complex):
        return {"real": x.real, "imag": x.imag}
    if callable(x):
        return getattr(x, "__name__", repr(x))
    try:
        return float(x)
    except (TypeError, ValueError):
        return repr(x)


def _nested(items):
    return [_nested(v) if isinstance(v, list) else plain(v) for v in items]


class AsDict:
    """Mixin: ``as_dict()`` from the dataclass fields, each through :func:`plain`.

    ``_as_dict_skip`` names fields left out (large arrays a summary does not need); the
    classmethod keeps the mixin free of dataclass machinery so a subclass stays frozen.
    """

    _as_dict_skip: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """JSON-ready dict of the fields (the attribute names, values as plain Python)."""
        return fields_dict(self, skip=self._as_dict_skip)


def fields_dict(obj: Any, *, skip: tuple[str, ...] = ()) -> dict:
    """``{field: plain(value)}`` for a dataclass or named tuple, leaving out ``skip``; keys are
    the field names (``lam…`` written ``lambda…``, :data:`JSON_NAMES`)."""
    if dataclasses.is_dataclass(obj):
        names = [f.name for f in dataclasses.fields(obj)]
    else:
        names = list(obj._fields)
    return {JSON_NAMES.get(k, k): plain(getattr(obj, k)) for k in names if k not in skip}
