"""Argument checks used at the public boundary.

Every check raises ``ValueError`` (or ``TypeError``) whose message names the argument, the value
it got and what is allowed, so a bad input never reaches JAX as a NaN or a deep traceback.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence

import numpy as np


def _type_name(value) -> str:
    return type(value).__name__


def _fmt(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_float(name: str, value, *, lo: float | None = None, hi: float | None = None,
             lo_open: bool = False, hi_open: bool = False) -> float:
    """Return ``value`` as a finite float inside [lo, hi] (open ends where asked)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {_fmt(value)}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {_fmt(value)}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {_fmt(value)}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        op = ">" if lo_open else ">="
        raise ValueError(f"{name} must be {op} {lo:g}, got {_fmt(value)}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        op = "<" if hi_open else "<="
        raise ValueError(f"{name} must be {op} {hi:g}, got {_fmt(value)}")
    return x


def as_int(name: str, value, *, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an int inside [lo, hi]; floats must be whole numbers (1e4 is fine)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {_fmt(value)}")
    if isinstance(value, (int, np.integer)):
        i = int(value)
    else:
        x = as_float(name, value)
        if x != int(x):
            raise ValueError(f"{name} must be a whole number, got {_fmt(value)}")
        i = int(x)
    if lo is not None and i < lo:
        raise ValueError(f"{name} must be >= {lo}, got {_fmt(value)}")
    if hi is not None and i > hi:
        raise ValueError(f"{name} must be <= {hi}, got {_fmt(value)}")
    return i


def as_float_array(name: str, value, *, lo: float | None = None, lo_open: bool = False,
                   ndim: int = 1, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a finite float64 array of ``ndim`` dimensions (scalars promoted)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers, got {_fmt(value)}") from None
    if ndim == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_fmt(value)}")
    if lo is not None:
        bad = arr <= lo if lo_open else arr < lo
        if np.any(bad):
            op = ">" if lo_open else ">="
            raise ValueError(f"{name} must all be {op} {lo:g}, got {_fmt(arr[bad][0].item())}")
    return arr


def data_counts(name: str, value) -> np.ndarray:
    """A sweep of data counts n: finite, > 0, as float64 (n = 1e9 is fine)."""
    return as_float_array(name, value, lo=0.0, lo_open=True)


def int_tuple(name: str, value, *, lo: int | None = None, length: int | None = None,
              min_length: int = 1) -> tuple[int, ...]:
    """Parse a sequence (or a comma-separated string such as ``"1,2"``) of integers."""
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p]
        try:
            items = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"{name} must be comma-separated integers, "
                             f"got {_fmt(value)}") from None
    elif isinstance(value, Iterable):
        items = [as_int(f"{name}[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [as_int(name, value)]
    if len(items) < min_length:
        raise ValueError(f"{name} must have at least {min_length} entries, got {_fmt(value)}")
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(items)}: {_fmt(value)}")
    if lo is not None:
        for i, v in enumerate(items):
            if v < lo:
                raise ValueError(f"{name}[{i}] must be >= {lo}, got {v}")
    return tuple(items)


def box(name: str, value, dim: int) -> tuple[tuple[float, float], ...]:
    """A box [lo_i, hi_i]^dim with finite, non-empty sides."""
    try:
        sides = [tuple(side) for side in value]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of (lo, hi) pairs, got {_fmt(value)}") from None
    if len(sides) != dim:
        raise ValueError(f"{name} must have {dim} (lo, hi) pairs (one per parameter), "
                         f"got {len(sides)}")
    out = []
    for i, side in enumerate(sides):
        if len(side) != 2:
            raise ValueError(f"{name}[{i}] must be a (lo, hi) pair, got {_fmt(side)}")
        lo = as_float(f"{name}[{i}][0]", side[0])
        hi = as_float(f"{name}[{i}][1]", side[1])
        if not hi > lo:
            raise ValueError(f"{name}[{i}] is empty: need lo < hi, got ({lo:g}, {hi:g})")
        out.append((lo, hi))
    return tuple(out)


def same_length(names: Sequence[str], *seqs) -> None:
    lengths = [len(s) for s in seqs]
    if len(set(lengths)) > 1:
        desc = ", ".join(f"{n} has {k}" for n, k in zip(names, lengths))
        raise ValueError(f"{' and '.join(names)} must have the same length ({desc})")


# ------------------------------------------------------------------ models, keys, data
def _is_model(value) -> bool:
    # This module sits below models/ in the layer order, so it looks the class up rather than
    # importing it: a Model instance can only exist once slt_sim.models.base is imported.
    base = sys.modules.get(__package__ + ".models.base")
    return base is not None and isinstance(value, base.Model)


def model(value, name: str = "model"):
    """Return ``value`` if it is a :class:`~slt_sim.models.Model`, else raise ``TypeError``."""
    if not _is_model(value):
        raise TypeError(f"{name} must be a slt_sim Model (e.g. slt_sim.models.quadratic(2)), "
                        f"got {_type_name(value)}")
    return value


def model_or_loss(value, name: str = "model_or_loss"):
    """Return ``value`` if it is a Model or a callable loss, else raise ``TypeError``."""
    if not (_is_model(value) or callable(value)):
        raise TypeError(f"{name} must be a slt_sim Model or a loss function, got "
                        f"{_type_name(value)}")
    return value


def prng_key(key, name: str = "key"):
    """Return ``key`` if it is one JAX PRNG key, else raise ``TypeError``.

    Allowed: a typed key of shape () (``jax.random.key(seed)``) or a legacy raw key, uint32 of
    shape (2,) (``jax.random.PRNGKey(seed)``). Not allowed: an integer seed, a float, a batch of
    keys.
    """
    import jax
    import jax.numpy as jnp

    allowed = ("a jax.random key (jax.random.key(seed), shape (); or a legacy "
               "jax.random.PRNGKey(seed), uint32 of shape (2,))")
    dtype = getattr(key, "dtype", None)
    shape = tuple(getattr(key, "shape", ()))
    if dtype is None or isinstance(key, (str, bytes)):
        got = _type_name(key)
    else:
        if jnp.issubdtype(dtype, jax.dtypes.prng_key):
            if shape == ():
                return key
        elif str(dtype) == "uint32" and shape == (2,):
            return key
        got = f"{_type_name(key)} of dtype {dtype} and shape {shape}"
    raise TypeError(f"{name} must be {allowed}, got {got}")


def num_samples(data, name: str = "data") -> int:
    """The sample count n of a pytree of arrays whose leading axis indexes the samples."""
    import jax

    leaves = jax.tree_util.tree_leaves(data)
    if not leaves:
        raise ValueError(f"{name} must be a pytree of arrays with the sample index as leading "
                         f"axis, got {_fmt(data)}")
    shapes = [tuple(np.shape(x)) for x in leaves]
    sizes = {s[0] if s else None for s in shapes}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"every array in {name} must have the same leading (sample) axis, got "
                         f"shapes {shapes}")
    return int(sizes.pop())
