r"""NUTS on the tempered posterior of any catalogue model, returned as an ArviZ DataTree.

The target is the one density of the toolkit,

    p_n^β(w) ∝ φ(w) · exp(−n β L_n(w)),

written as a NumPyro model: ``w ~ model.prior`` (so NumPyro maps constrained supports such as
boxes to unconstrained space with the right Jacobian), and the likelihood tempered by β with
``numpyro.handlers.scale(scale=β)``:

* data models: one observed site ``obs`` (plate ``obs_id`` over the n samples) whose log density
  at sample i is log p(x_i, y_i | w) = −ℓ(w; x_i, y_i), so Σ_i = −n L_n(w);
* potentials: one factor ``pseudo`` = −n K(w) (there is no data: L_n = K).

Because β enters through ``scale``, the ``log_likelihood`` group that ArviZ computes holds the
*untempered* log-likelihood: per data point for data models (what WAIC and PSIS-LOO need), and a
single "pseudo" term −n K(w) per draw for potentials. The energy n L_n(w) of a draw is minus the
sum of its log-likelihood terms (:func:`posterior_energy`).

Output layout (``arviz.from_numpyro``): ``posterior["w"]`` with dims (chain, draw, w_dim) and the
``w_dim`` coordinate named by ``model.param_names``; ``sample_stats`` with ``energy``,
``diverging``, ``lp``, ``acceptance_rate``, ``step_size``, ``n_steps``, ``tree_depth``;
``log_likelihood`` as above; ``observed_data`` (data models). The settings (model, n, β, seed)
are in ``posterior.attrs``. ``az.summary``, ``az.rhat``, ``az.ess``, ``az.plot_trace`` etc. work on
it directly.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS

from .. import _validate as v
from .._numpyro import dist
from .._warnings import ConvergenceWarning, emit
from ..models.base import Data, Model
from .energy import model_data

#: R̂ above this is reported (Vehtari et al. 2021 recommend 1.01)
RHAT_MAX = 1.01
#: bulk and tail ESS below this per chain are reported (ArviZ: 100 per chain)
ESS_PER_CHAIN_MIN = 100


class SampleLikelihood(dist.Distribution):
    r"""log p(y_i | x_i, w) = −ℓ(w; x_i, y_i) for every sample i (only ``log_prob`` is defined).

    ``loss`` is the model's per-sample negative log-likelihood. Batch shape (n,), event shape the
    shape of one target y_i.
    """

    def __init__(self, loss, w, x, event_shape, *, validate_args=None):
        self.loss, self.w, self.x = loss, w, x
        super().__init__(batch_shape=(x.shape[0],), event_shape=tuple(event_shape),
                         validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        return constraints.independent(constraints.real, len(self.event_shape)) \
            if self.event_shape else constraints.real

    def sample(self, key, sample_shape=()):  # pragma: no cover - never observed-free
        raise NotImplementedError("SampleLikelihood is only used for observed data")

    def log_prob(self, value):
        return -jax.vmap(self.loss, in_axes=(None, 0, 0))(self.w, self.x, value)


def numpyro_model(model: Model):
    """The NumPyro model function of ``model``'s tempered posterior.

    Signature of the returned function: ``(beta, n)`` for potentials and ``(beta, x, y)`` for
    data models.
    """
    if model.is_potential:
        def potential_model(beta, n):
            w = numpyro.sample("w", model.prior)
            with numpyro.handlers.scale(scale=beta):
                numpyro.factor("pseudo", -n * model.potential(w))
        return potential_model

    def data_model(beta, x, y):
        w = numpyro.sample("w", model.prior)
        with numpyro.handlers.scale(scale=beta), numpyro.plate("obs_id", x.shape[0]):
            numpyro.sample("obs", SampleLikelihood(model.loss, w, x, y.shape[1:]), obs=y)
    return data_model


#: compiled NUTS samplers kept by :func:`_mcmc_for` (least recently used dropped first)
_MCMC_CACHE_SIZE = 16


@functools.lru_cache(maxsize=_MCMC_CACHE_SIZE)
def _mcmc_for(model: Model, config: tuple, arg_shapes: tuple) -> MCMC:
    """One MCMC object per (model, settings, shapes of the data arguments).

    With ``jit_model_args`` its compiled sampler is reused for new keys, data sets, n and β of the
    same shapes. The shapes are part of the key: NumPyro's vectorized chains keep state traced at
    the first run's data size, so a data set of another size needs its own MCMC object.
    """
    del arg_shapes                     # only part of the cache key
    num_chains, num_warmup, num_samples, chain_method, target_accept, depth, dense, bar = config
    kernel = NUTS(numpyro_model(model), target_accept_prob=target_accept,
                  max_tree_depth=depth, dense_mass=dense)
    return MCMC(kernel, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                chain_method=chain_method, progress_bar=bar, jit_model_args=True)


_EXTRA_FIELDS = ("diverging", "energy", "potential_energy", "num_steps", "accept_prob",
                 "adapt_state.step_size")


def sample_posterior(model: Model, *, key: jax.Array, n=None, data: Data | None = None,
                     beta: float = 1.0, num_chains: int = 4, num_warmup: int = 500,
                     num_samples: int = 1000, chain_method: str = "vectorized",
                     target_accept: float = 0.8, max_tree_depth: int = 10,
                     dense_mass: bool = False, log_likelihood: bool = True,
                     warn: bool = True, progress_bar: bool = False):
    r"""NUTS draws from the tempered posterior p_n^β(w) ∝ φ(w) exp(−nβ L_n(w)).

    Args:
      model: any catalogue :class:`~slt_sim.models.Model` (data model or potential).
      key: ``jax.random`` key. For a data model without ``data`` it is split into a key for the
        data (``model.sample_data``) and a key for NUTS.
      n: data count. Potentials: required (L_n = K, n scales it). Data models: the number of
        samples drawn from the truth when ``data`` is not given (else it must match the data).
      data: a :class:`~slt_sim.models.Data` set (data models only).
      beta: inverse temperature β > 0 (1: Bayes posterior; 1/log n: WBIC).
      num_chains, num_warmup, num_samples: chains, warmup (adaptation, discarded) and kept
        draws per chain.
      chain_method: ``"vectorized"`` (chains vmapped on one device), ``"parallel"`` (one chain
        per device) or ``"sequential"``.
      target_accept: NUTS target acceptance rate; raise it (0.9–0.99) when there are
        divergences.
      max_tree_depth: NUTS maximum tree depth.
      dense_mass: adapt a dense mass matrix (helps strongly correlated posteriors).
      log_likelihood: add the ``log_likelihood`` group (per data point / one pseudo term).
      warn: emit a :class:`ConvergenceWarning` when R̂ > 1.01, bulk/tail ESS < 100 per chain, or
        there are divergent transitions, naming the fix.
      progress_bar: NumPyro's progress bar (off by default; tests and notebooks stay quiet).

    Returns:
      ``xarray.DataTree`` from ``arviz.from_numpyro`` (layout in the module docstring).
    """
    import arviz as az

    v.model(model)
    key = v.prng_key(key)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    num_chains = v.as_int("num_chains", num_chains, lo=1)
    num_warmup = v.as_int("num_warmup", num_warmup, lo=0)
    num_samples = v.as_int("num_samples", num_samples, lo=1)
    if chain_method not in ("vectorized", "parallel", "sequential"):
        raise ValueError(f"chain_method must be 'vectorized', 'parallel' or 'sequential', "
                         f"got {chain_method!r}")
    target_accept = v.as_float("target_accept", target_accept, lo=0.0, hi=1.0, lo_open=True,
                               hi_open=True)
    max_tree_depth = v.as_int("max_tree_depth", max_tree_depth, lo=1, hi=15)
    k_data, k_mcmc = jax.random.split(key)
    n, data = model_data(model, key=k_data, n=n, data=data)

    config = (num_chains, num_warmup, num_samples, chain_method, target_accept,
              max_tree_depth, bool(dense_mass), bool(progress_bar))
    # β as a Python float: NumPyro records it as the site's scale, and ArviZ compares traces
    # (jax.eval_shape caches), which fails for array-valued metadata
    beta_arg = float(beta)
    if model.is_potential:
        args = (beta_arg, jnp.asarray(n))
    else:
        args = (beta_arg, jnp.asarray(data.x), jnp.asarray(data.y))
    shapes = tuple((a.shape, str(a.dtype)) for a in args[1:])
    mcmc = _mcmc_for(model, config, shapes)
    mcmc.run(k_mcmc, *args, extra_fields=_EXTRA_FIELDS)

    names = list(model.param_names) if len(model.param_names) == model.dim \
        else [f"w{i + 1}" for i in range(model.dim)]
    dims = {"w": ["w_dim"]}
    if not model.is_potential:
        dims["obs"] = ["obs_id"]
    tree = az.from_numpyro(mcmc, log_likelihood=log_likelihood, coords={"w_dim": names},
                           dims=dims, pred_dims={})
    if model.is_potential and "observed_data" in tree.children:
        del tree["observed_data"]            # a factor has no data: drop the empty group
    tree["posterior"].attrs.update({
        "model": model.name, "n": n, "beta": beta, "num_warmup": num_warmup,
        "likelihood": "pseudo = −n K(w) (potential)" if model.is_potential
        else "obs = log p(x_i, y_i | w) per data point"})
    if warn:
        check_convergence(tree, warn=True)
    return tree


def convergence_summary(tree) -> dict:
    """Worst-case diagnostics of a NUTS DataTree: max R̂, min bulk/tail ESS, divergences."""
    import arviz as az

    post = tree["posterior"]
    chains = post.sizes["chain"]
    out = {"chains": int(chains), "draws": int(post.sizes["draw"])}
    if chains >= 2:
        out["rhat_max"] = float(np.nanmax(az.rhat(tree)["w"].values))
    else:
        out["rhat_max"] = float("nan")
    out["ess_bulk_min"] = float(np.nanmin(az.ess(tree, method="bulk")["w"].values))
    out["ess_tail_min"] = float(np.nanmin(az.ess(tree, method="tail")["w"].values))
    out["divergences"] = int(tree["sample_stats"]["diverging"].values.sum())
    return out


def check_convergence(tree, *, warn: bool = True) -> list[str]:
    """Problems found in a NUTS DataTree, each with its fix; warned as ConvergenceWarning.

    Checks R̂ > 1.01 (Vehtari et al. 2021), bulk or tail ESS < 100 per chain, and divergent
    transitions. Returns the messages (empty when none).
    """
    s = convergence_summary(tree)
    msgs = []
    if np.isfinite(s["rhat_max"]) and s["rhat_max"] > RHAT_MAX:
        msgs.append(
            f"R-hat = {s['rhat_max']:.3f} > {RHAT_MAX}: the chains disagree. Run longer "
            f"(num_warmup, num_samples); if it persists the posterior is multimodal (chains sit "
            f"in different basins; NUTS does not jump between them) or singular (minima meeting "
            f"in a cross, e.g. y = a·tanh(bx) at a = b = 0: NUTS visits the arms unevenly and the "
            f"variances come out too small). For d <= 3 use exact_posterior; otherwise sample "
            f"with slt_sim.replica_exchange(model, ladder, data=..., keep_draws=True), "
            f"whose swaps through small n repopulate every arm")
    ess_min = ESS_PER_CHAIN_MIN * s["chains"]
    worst = min(s["ess_bulk_min"], s["ess_tail_min"])
    if worst < ess_min:
        msgs.append(
            f"effective sample size {worst:.0f} < {ess_min} ({ESS_PER_CHAIN_MIN} per chain): "
            f"Monte Carlo error is large. Raise num_samples (or num_chains), or set "
            f"dense_mass=True for a strongly correlated posterior")
    if s["divergences"] > 0:
        msgs.append(
            f"{s['divergences']} divergent transitions: NUTS could not follow the posterior's "
            f"curvature (typical near a singularity). Raise target_accept (e.g. 0.95 or 0.99) "
            f"so the step size shrinks; the draws may under-represent the sharpest region")
    if warn:
        emit(msgs, ConvergenceWarning, stacklevel=3)
    return msgs


def posterior_energy(tree) -> np.ndarray:
    """n L_n(w) at every draw, shape (chain, draw): minus the summed log-likelihood terms."""
    if "log_likelihood" not in tree.children:
        raise ValueError("the DataTree has no log_likelihood group: sample with "
                         "log_likelihood=True")
    ll = tree["log_likelihood"]
    total = 0.0
    for name in ll.data_vars:
        arr = ll[name]
        other = [d for d in arr.dims if d not in ("chain", "draw")]
        total = total + (arr.sum(other) if other else arr)
    return -np.asarray(total.transpose("chain", "draw").values)


def draws(tree) -> np.ndarray:
    """The parameter draws as an array of shape (chain, draw, d)."""
    return np.asarray(tree["posterior"]["w"].transpose("chain", "draw", "w_dim").values)


__all__ = ["ConvergenceWarning", "SampleLikelihood", "check_convergence", "convergence_summary",
           "draws", "numpyro_model", "posterior_energy", "sample_posterior"]
