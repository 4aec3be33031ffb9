"""The :class:`Model`: one object every engine (exact, NUTS, SGLD, SGD) consumes.

A model defines the tempered posterior that all engines target,

    p_n^β(w) ∝ φ(w) · exp(−n β L_n(w)),    L_n(w) = (1/n) Σ_i ℓ(w; x_i, y_i),

through its prior φ (a NumPyro distribution with event shape ``(dim,)``) and either

* a per-sample loss ℓ(w; x, y) — the negative log-likelihood of one sample, with the noise
  convention stated in the constructor's docstring — plus a data sampler from the true parameter
  (a *data model*), or
* a fixed potential K(w) (a *potential model*): then there is no data and L_n(w) = K(w) for every
  n; n only scales it.

Parameters are flat vectors ``w`` of shape ``(dim,)``. Regions (basins, phases) are named
indicator functions; each may carry its own loss level and theory (λ, m) so that the free-energy
formula can predict where the posterior moves between them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._deferred import DeferredPrior

if TYPE_CHECKING:
    from .._numpyro import dist

Array = jax.Array


class Data(NamedTuple):
    """A data set: inputs ``x`` and targets ``y``, both with the sample index as leading axis."""

    x: Array
    y: Array

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class Region:
    """A named part of parameter space (a basin or phase).

    ``contains(w)`` is a JAX-traceable indicator. ``loss`` is the minimum of L on the region,
    ``lam`` and ``m`` its local learning coefficient and multiplicity when known; with them the
    region's free energy is F_n ≈ n·loss + λ log n − (m − 1) log log n + c.
    """

    name: str
    contains: Callable[[Array], Array]
    loss: float | None = None
    lam: Fraction | float | None = None
    m: int | None = None
    centre: tuple[float, ...] | None = None


class _PriorAttribute:
    """``Model.prior``: a NumPyro distribution, built on first read when the catalogue deferred it.

    A data descriptor, so the dataclass's ``__init__`` stores what it is given (a distribution,
    checked in ``__post_init__``, or a :class:`~slt_sim.models._deferred.DeferredPrior`, checked
    when built) and every read returns a distribution.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            raise AttributeError("prior")        # a required field: no class-level default
        prior = obj.__dict__["_prior"]
        if isinstance(prior, DeferredPrior):
            # built with concrete arrays even when first read inside a jit trace (a traced
            # prior would leak tracers into the model)
            with jax.ensure_compile_time_eval():
                prior = prior.build()
                _check_prior(obj, prior)
            obj.__dict__["_prior"] = prior
        return prior

    def __set__(self, obj, value):
        obj.__dict__["_prior"] = value


@dataclass(frozen=True, eq=False)
class Model:
    """A statistical model or potential, with everything the engines and the theory need.

    Attributes:
      name: short identifier, e.g. ``"normal_crossing(k=(1, 1), h=(0, 0))"``.
      dim: number of real parameters d.
      prior: NumPyro distribution over ``w`` with event shape ``(dim,)`` (its normalised
        ``log_prob`` is the log prior density log φ(w)).
      loss: per-sample negative log-likelihood ℓ(w, x, y) for data models, else ``None``.
      potential: K(w) for potential models (then L_n = K), else ``None``.
      population_loss: closed-form K(w) = L(w) − L(w0) for data models (``None`` if unknown);
        for potentials this is the potential itself.
      sample_inputs_targets: ``(key, n, w) -> Data`` drawing n samples from the model at w.
      true_param: the parameter w0 generating the data (data models).
      box: default integration box, one (lo, hi) per parameter.
      focus: per axis, coordinates where the exact-posterior grid is refined (zero sets).
      regions: named basins / phases.
      lam, m: global learning coefficient λ and multiplicity m when known in closed form.
      param_names: names of the parameters (axis labels).
      noise: one line describing the noise convention of ``loss``.
      extra: free-form model details (e.g. matrix shapes) for display.
    """

    name: str
    dim: int
    prior: dist.Distribution = _PriorAttribute()
    box: tuple[tuple[float, float], ...]
    loss: Callable[[Array, Array, Array], Array] | None = None
    potential: Callable[[Array], Array] | None = None
    population_loss: Callable[[Array], Array] | None = None
    sample_inputs_targets: Callable[[Array, int, Array], Data] | None = None
    true_param: Array | None = None
    focus: tuple[tuple[float, ...], ...] | None = None
    regions: tuple[Region, ...] = ()
    lam: Fraction | float | None = None
    m: int | None = None
    param_names: tuple[str, ...] = ()
    noise: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate_model(self)

    # ----------------------------------------------------------------- basic facts
    @property
    def is_potential(self) -> bool:
        """True when L_n(w) = K(w) is a fixed function (no data)."""
        return self.potential is not None

    @property
    def lam_float(self) -> float | None:
        return None if self.lam is None else float(self.lam)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise ValueError(f"region must be one of {list(self.region_names)}, got {name!r}")

    # ----------------------------------------------------------------- densities
    def log_prior(self, w: Array) -> Array:
        """log φ(w) (normalised on the prior's support; −inf outside it)."""
        return self.prior.log_prob(w)

    def sample_prior(self, key: Array, shape: tuple[int, ...] = ()) -> Array:
        """Draws from φ with shape ``shape + (dim,)``."""
        return self.prior.sample(key, shape)

    def per_sample_loss(self, w: Array, data: Data) -> Array:
        """ℓ(w; x_i, y_i) for every sample (data models only)."""
        if self.loss is None:
            raise ValueError(f"model {self.name} is a potential: it has no per-sample loss")
        return jax.vmap(self.loss, in_axes=(None, 0, 0))(w, data.x, data.y)

    def empirical_loss(self, w: Array, data: Data | None = None) -> Array:
        """L_n(w): the mean per-sample loss on ``data``, or K(w) for a potential."""
        if self.potential is not None:
            return self.potential(w)
        if data is None:
            raise ValueError(f"model {self.name} is a data model: pass data (model.sample_data)")
        return jnp.mean(self.per_sample_loss(w, data))

    def loss_function(self, data: Data | None = None) -> Callable[[Array], Array]:
        """w ↦ L_n(w) with the data closed over (what the samplers and optimisers use)."""
        if self.potential is None and data is None:
            raise ValueError(f"model {self.name} is a data model: pass data (model.sample_data)")
        return lambda w: self.empirical_loss(w, data)

    def sample_data(self, key: Array, n: int, w: Array | None = None) -> Data | None:
        """n samples (x_i, y_i) from the model at ``w`` (default: the true parameter).

        Potential models have no data and return ``None``.
        """
        from .._validate import as_int

        if self.potential is not None:
            return None
        n = as_int("n", n, lo=1)
        if w is None and self.true_param is not None:
            return _true_sampler(self, n)(key)
        w0 = self.true_param if w is None else jnp.asarray(w)
        return self.sample_inputs_targets(key, n, w0)

    def region_index(self, w: Array) -> Array:
        """Index (into ``regions``) of the first region containing ``w``; −1 if none."""
        if not self.regions:
            return jnp.asarray(-1)
        flags = jnp.stack([r.contains(w) for r in self.regions])
        return jnp.where(jnp.any(flags), jnp.argmax(flags), -1)

    def check_param(self, w, name: str = "w") -> Array:
        """Return ``w`` as an array whose last axis has length ``dim``; clear error otherwise."""
        arr = jnp.asarray(w)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"{name} must have last dimension {self.dim} (the parameter count of "
                f"{self.name}), got shape {tuple(arr.shape)}")
        return arr

    def __repr__(self) -> str:
        kind = "potential" if self.is_potential else "data model"
        lam = "unknown" if self.lam is None else f"{self.lam}"
        return f"Model({self.name}, dim={self.dim}, {kind}, λ={lam}, m={self.m})"


@functools.lru_cache(maxsize=64)
def _true_sampler(model: Model, n: int) -> Callable[[Array], Data]:
    """``key ↦ model.sample_inputs_targets(key, n, true_param)`` as one compiled program.

    Eagerly, a sampler runs each of its operations as its own small program (each traced and
    looked up in the compilation cache); jitted it is one. The true parameter is closed over as
    a constant, so a sampler may treat it as concrete (e.g. NumPy on ``w``).
    """
    w0 = model.true_param
    return jax.jit(lambda key: model.sample_inputs_targets(key, n, w0))


# ------------------------------------------------------------------------- validation
def _fail(model_name: str, message: str) -> None:
    raise ValueError(f"Model {model_name!r}: {message}")


def _validate_model(model: Model) -> None:
    """Check a Model at construction, so a wrong prior or loss fails here, not deep in JAX.

    Checks (each error says what to change): ``dim`` a positive integer; ``prior`` a NumPyro
    distribution with batch shape () and event shape ``(dim,)`` whose log density is finite
    somewhere inside ``box``; ``box`` one finite (lo, hi) pair per parameter; exactly one of
    ``loss`` and ``potential``; a potential returns a scalar for one ``w`` of shape ``(dim,)``;
    a data model has a ``sample_inputs_targets`` (called at ``true_param``, or at 0 when the
    model has none) returning :class:`Data` with n rows and a loss
    that returns a scalar for one sample (x_i, y_i); ``true_param`` of shape ``(dim,)``;
    ``focus`` one tuple per axis; ``regions`` :class:`Region` objects with distinct names.
    The loss and the sampler are only traced (``jax.eval_shape``), never run.
    """
    from .. import _validate as v

    name = model.name
    if not isinstance(name, str) or not name:
        raise TypeError(f"Model name must be a non-empty string, got {name!r}")
    if isinstance(model.dim, bool) or not isinstance(model.dim, int) or model.dim < 1:
        _fail(name, f"dim must be a positive integer, got {model.dim!r}")
    d = model.dim
    try:
        object.__setattr__(model, "box", v.box("box", model.box, d))
    except (TypeError, ValueError) as err:
        raise type(err)(f"Model {name!r}: {err}") from None

    prior = model.__dict__["_prior"]
    if not isinstance(prior, DeferredPrior):         # a deferred one is checked when built
        _check_prior(model, prior)

    if (model.loss is None) == (model.potential is None):
        _fail(name, "give exactly one of loss (a data model: per-sample negative "
                    "log-likelihood ℓ(w, x, y)) and potential (a fixed K(w))")
    w = jax.ShapeDtypeStruct((d,), jnp.result_type(float))
    if model.potential is not None:
        out = _trace(name, "potential", lambda: model.potential(jnp.zeros(w.shape, w.dtype)))
        if tuple(out.shape) != ():
            _fail(name, f"potential must return a scalar K(w) for one w of shape ({d},), got "
                        f"shape {tuple(out.shape)}: reduce it (e.g. jnp.sum(..., axis=-1))")
    else:
        if model.sample_inputs_targets is None:
            _fail(name, "a data model needs sample_inputs_targets(key, n, w) -> Data")
        w0 = jnp.zeros(d) if model.true_param is None else jnp.asarray(model.true_param)
        data = _trace(name, "sample_inputs_targets",
                      lambda: model.sample_inputs_targets(jax.random.key(0), 3, w0))
        if not isinstance(data, Data):
            _fail(name, f"sample_inputs_targets must return slt_sim.Data(x, y), got "
                        f"{type(data).__name__}")
        if data.x.shape[:1] != (3,) or data.y.shape[:1] != (3,):
            _fail(name, f"sample_inputs_targets(key, n, w) must return x and y with n rows "
                        f"(asked for 3, got x {tuple(data.x.shape)}, y {tuple(data.y.shape)})")
        one = jax.ShapeDtypeStruct(data.x.shape[1:], data.x.dtype), \
            jax.ShapeDtypeStruct(data.y.shape[1:], data.y.dtype)
        out = _trace(name, "loss", lambda: jax.eval_shape(model.loss, w, *one))
        if tuple(out.shape) != ():
            _fail(name, f"loss(w, x, y) must return a scalar for one sample (x_i, y_i) — the "
                        f"negative log-likelihood of that sample — got shape "
                        f"{tuple(out.shape)}: reduce it (e.g. jnp.sum(...) or value[0])")
    if model.true_param is not None and tuple(jnp.shape(model.true_param)) != (d,):
        _fail(name, f"true_param must have shape ({d},), got {tuple(jnp.shape(model.true_param))}")
    if model.focus is not None and len(model.focus) != d:
        _fail(name, f"focus must have one tuple of coordinates per axis ({d}), got "
                    f"{len(model.focus)}")
    names = [r.name for r in model.regions]
    if not all(isinstance(r, Region) for r in model.regions):
        _fail(name, "regions must be slt_sim.models.Region objects")
    if len(set(names)) != len(names):
        _fail(name, f"region names must be distinct, got {names}")


def _check_prior(model: Model, prior) -> None:
    """The prior is a NumPyro distribution of one parameter vector, finite inside the box."""
    from .._numpyro import dist

    name, d = model.name, model.dim
    if not isinstance(prior, dist.Distribution):
        _fail(name, f"prior must be a numpyro.distributions.Distribution with event shape "
                    f"({d},), got {type(prior).__name__}")
    if tuple(prior.event_shape) != (d,) or tuple(prior.batch_shape) != ():
        hint = (" — wrap it as prior.to_event(1) (e.g. dist.Normal(jnp.zeros(d), 1.0)"
                ".to_event(1))" if tuple(prior.batch_shape) == (d,) and
                not prior.event_shape else "")
        _fail(name, f"prior must have event shape ({d},) and batch shape () (one draw is one "
                    f"parameter vector w), got event shape {tuple(prior.event_shape)} and "
                    f"batch shape {tuple(prior.batch_shape)}{hint}")
    lo = np.asarray([b[0] for b in model.box])
    hi = np.asarray([b[1] for b in model.box])
    probes = lo + np.asarray([0.25, 0.4, 0.5, 0.6, 0.75])[:, None] * (hi - lo)
    with warnings.catch_warnings():       # NumPyro warns on out-of-support probes: we check
        warnings.simplefilter("ignore")
        log_p = np.asarray(prior.log_prob(probes), dtype=float)
    if np.any(np.isnan(log_p)) or not np.any(np.isfinite(log_p)):
        _fail(name, f"the prior's log density is not finite inside box {model.box} (got "
                    f"{[float(x) for x in log_p]} at points on its diagonal): make the box "
                    f"lie inside the prior's support, or the prior cover the box")


def _trace(model_name: str, what: str, fn):
    """Trace ``fn`` abstractly; a failure names the piece of the model that broke."""
    try:
        return jax.eval_shape(fn)
    except Exception as err:  # noqa: BLE001 - re-raised with the model's context
        raise ValueError(f"Model {model_name!r}: calling its {what} failed while checking the "
                         f"model ({type(err).__name__}: {err})") from err
