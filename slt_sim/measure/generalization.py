r"""Bayes generalisation error, training error, WAIC and the singular fluctuation ν.

Watanabe (2009, ch. 6–8; 2010 JMLR 11:3571), with p(X|w) the model, E_w the (tempered)
posterior mean, β the inverse temperature:

    G_n = −E_X log E_w[p(X|w)]                       (Bayes generalisation loss)
    T_n = −(1/n) Σ_i log E_w[p(X_i|w)]                (Bayes training loss)
    V_n = Σ_i { E_w[(log p(X_i|w))²] − E_w[log p(X_i|w)]² }   (functional variance)
    WAIC = T_n + (β/n) V_n,      ν̂ = (β/2) V_n          (singular fluctuation)

and, for a realizable model at β = 1, E[G_n] − L(w₀) = λ/n + o(1/n),
E[T_n] − L(w₀) = (λ − 2ν)/n + o(1/n), E[WAIC] = E[G_n] + o(1/n). With multiplicity m > 1 the
next term is not small at practical n: E[G_n] − L(w₀) = E[F_{n+1} − F_n] − L(w₀) ≈
λ/n − (m − 1)/(n log n) (the n-derivative of λ log n − (m−1) log log n).

Two routes:

* :func:`waic` reads the ``log_likelihood`` group of a NUTS DataTree from
  :func:`~slt_sim.posterior.mcmc.sample_posterior` (per-sample Watanabe scale: multiply by −n
  for ArviZ's ``elpd_waic``).
* :func:`learning_curve` uses the exact grid posterior (d ≤ 3) for the whole sweep of n on
  nested data sets, averaged over data seeds. For unit-noise Gaussian regressions (every data
  model of the catalogue) the expectation over a fresh X = (x, y) is done as: x by fresh draws,
  y | x exactly by Gauss–Hermite quadrature, via

      G_n − L(w₀) = E_x KL( N(f₀(x), I) ‖ Σ_g π_g N(f_g(x), I) ),

  where π_g are the posterior's grid weights and f(x, w) = −∇_y ℓ(w; x, 0) is read off the
  per-sample loss (the unit-noise form is checked numerically first). This removes the
  y-noise from the estimate, which matters because G_n − L(w₀) ~ λ/n is tiny.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._results import AsDict
from ..models.base import Data, Model


@dataclass(frozen=True)
class WAICResult(AsDict):
    """WAIC on Watanabe's per-sample scale, with its parts.

    Attributes:
      waic: T_n + (β/n) V_n.
      training_loss: T_n = −(1/n) Σ_i log E_w p(X_i|w).
      functional_variance: V_n = Σ_i Var_w[log p(X_i|w)].
      nu_hat: singular fluctuation estimate (β/2) V_n.
      n: number of data points; beta: the posterior's inverse temperature.
    """

    waic: float
    training_loss: float
    functional_variance: float
    nu_hat: float
    n: int
    beta: float

    @property
    def elpd_waic(self) -> float:
        """ArviZ's scale: −n · WAIC (β = 1)."""
        return -self.n * self.waic


def waic_from_loglik(loglik, beta: float = 1.0, weights=None) -> WAICResult:
    """WAIC from a log-likelihood matrix log p(X_i | w_s), shape (draws, n).

    ``weights`` (optional, shape (draws,)) are posterior weights of the draws (e.g. grid
    quadrature weights); default equal weights.
    """
    ll = np.asarray(loglik, dtype=float)
    if ll.ndim != 2 or ll.shape[0] < 2:
        raise ValueError(f"loglik must have shape (draws >= 2, n), got {ll.shape}")
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    if weights is None:
        w = np.full(ll.shape[0], 1.0 / ll.shape[0])
    else:
        w = np.asarray(weights, dtype=float)
        w = w / w.sum()
    m = ll.max(axis=0)
    log_pred = m + np.log(w @ np.exp(ll - m))                  # log E_w p(X_i|w)
    mean = w @ ll
    var = w @ (ll - mean) ** 2
    n = ll.shape[1]
    t = -float(np.mean(log_pred))
    vn = float(np.sum(var))
    return WAICResult(waic=t + beta * vn / n, training_loss=t, functional_variance=vn,
                      nu_hat=beta * vn / 2.0, n=n, beta=beta)


def waic(tree, beta: float | None = None) -> WAICResult:
    """WAIC and ν̂ from a NUTS DataTree of a data model (per-data-point ``log_likelihood``).

    β defaults to the one stored by :func:`~slt_sim.posterior.mcmc.sample_posterior`.
    """
    if "log_likelihood" not in tree.children:
        raise ValueError("the DataTree has no log_likelihood group: sample with "
                         "log_likelihood=True")
    ll = tree["log_likelihood"]
    if "obs" not in ll.data_vars:
        raise ValueError("WAIC needs per-data-point log-likelihoods ('obs'); a potential model's "
                         "single 'pseudo' term has no data points")
    if beta is None:
        beta = float(tree["posterior"].attrs.get("beta", 1.0))
    arr = ll["obs"].stack(sample=("chain", "draw")).transpose("sample", ...).values
    return waic_from_loglik(arr.reshape(arr.shape[0], -1), beta=beta)


# ------------------------------------------------------------------------- learning curve
@dataclass(frozen=True)
class LearningCurveResult(AsDict):
    r"""Exact-posterior learning curve averaged over data seeds.

    Attributes:
      ns: the data counts n.
      gen_excess: G_n − L(w₀) per data set and n, shape (S, K).
      train_excess: T_n − L_n(w₀), shape (S, K) (E = (λ − 2ν)/n at β = 1).
      waic_excess: WAIC − L_n(w₀), shape (S, K) (E ≈ E[G_n] − L(w₀)).
      nu_hat: (β/2) V_n, shape (S, K).
      lam, m: the model's theoretical λ and m (None when unknown).
      beta: inverse temperature; num_test: fresh inputs x per estimate of E_x.
      seconds: wall time.
    """

    ns: np.ndarray
    gen_excess: np.ndarray
    train_excess: np.ndarray
    waic_excess: np.ndarray
    nu_hat: np.ndarray
    lam: float | None
    m: int | None
    beta: float
    num_test: int
    seconds: float

    @property
    def n_gen_excess(self) -> np.ndarray:
        """n · (E[G_n] − L(w₀)) per n (mean over data sets): → λ as n → ∞."""
        return self.ns * self.gen_excess.mean(axis=0)

    @property
    def n_gen_excess_se(self) -> np.ndarray:
        s = self.gen_excess.shape[0]
        return self.ns * self.gen_excess.std(axis=0, ddof=1) / math.sqrt(s) if s > 1 \
            else np.full(len(self.ns), np.nan)

    def lam_hat(self, multiplicity: int = 1) -> float:
        r"""λ̂ = mean over n of n(E[G_n] − L₀) + (m − 1)/log n (the two-term asymptotics)."""
        return float(np.mean(self.n_gen_excess + (multiplicity - 1) / np.log(self.ns)))


def _mean_function(model: Model):
    """f(x, w) = −∇_y ℓ(w; x, 0) for unit-noise Gaussian losses; None if ℓ is not of that form."""
    def f(w, x, y_shape):
        return -jax.grad(lambda y: model.loss(w, x, y))(jnp.zeros(y_shape))

    data = model.sample_data(jax.random.key(7), 3)
    w = model.sample_prior(jax.random.key(8))
    y_shape = data.y.shape[1:]
    ok = True
    for i in range(3):
        x, y = data.x[i], data.y[i]
        fx = f(w, x, y_shape)
        lhs = model.loss(w, x, y) - model.loss(w, x, jnp.zeros(y_shape))
        rhs = 0.5 * jnp.sum(y ** 2) - jnp.sum(y * fx)
        ok &= bool(jnp.abs(lhs - rhs) < 1e-9 * (1 + jnp.abs(lhs)))
    return (lambda w_, x_: f(w_, x_, y_shape).reshape(-1)) if ok else None


def _kept_points(log_density_n, grid, max_points: int, key):
    """Grid points and weights carrying the posterior (drop mass < 1e−12; resample if many)."""
    lw = log_density_n + sum(np.meshgrid(*grid.log_weights, indexing="ij"))
    lw = lw.ravel() - np.max(lw)
    w = np.exp(lw)
    w /= w.sum()
    order = np.argsort(w)[::-1]
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, 1.0 - 1e-12)) + 1
    idx = order[:k]
    mesh = np.meshgrid(*grid.nodes, indexing="ij")
    pts = np.stack([m.ravel() for m in mesh], axis=-1)
    if k <= max_points:
        # pad to a fixed size with zero-weight copies: one compiled shape for every n and seed
        pad = max_points - k
        keep = np.concatenate([idx, np.full(pad, idx[0])])
        wk = np.concatenate([w[idx] / w[idx].sum(), np.zeros(pad)])
        return pts[keep], wk
    # systematic resampling of max_points points (equal weights)
    u = (np.asarray(jax.random.uniform(key)) + np.arange(max_points)) / max_points
    pick = np.searchsorted(np.cumsum(w), u)
    return pts[np.minimum(pick, len(w) - 1)], np.full(max_points, 1.0 / max_points)


def learning_curve(model: Model, ns, *, key: jax.Array, num_datasets: int = 4,
                   beta: float = 1.0, num_test: int = 256, grid=None,
                   max_points: int = 2048, gauss_hermite: int = 24) -> LearningCurveResult:
    r"""E[G_n] − L(w₀), T_n, WAIC and ν̂ along n by the exact posterior, averaged over data seeds.

    Args:
      model: a data model with d ≤ 3 and unit-noise Gaussian loss (tanh_network(1),
        reduced_rank_regression(1, 1, 1, r), …).
      ns: the data counts (nested prefixes of each data set).
      key: ``jax.random`` key (data sets, test inputs, resampling).
      num_datasets: data seeds to average over.
      beta: inverse temperature of the posterior.
      num_test: fresh inputs x per data set for E_x (y | x is integrated by Gauss–Hermite);
        drawn anew for every data set, so their noise is part of the spread over seeds.
      grid: quadrature grid for :func:`~slt_sim.posterior.exact.exact_posterior`.
      max_points: the grid points carrying all but 1e−12 of the posterior mass enter the
        predictive sums (padded with zero weights to this fixed size so nothing recompiles;
        systematically resampled to this size when more are needed).
      gauss_hermite: Gauss–Hermite nodes per output dimension.

    Returns:
      :class:`LearningCurveResult`.
    """
    from ..posterior.exact import exact_posterior

    v.model(model)
    key = v.prng_key(key)
    if model.is_potential:
        raise ValueError(f"{model.name} is a potential: the generalisation error needs a data "
                         f"model (e.g. tanh_network(1), reduced_rank_regression(1, 1, 1, 0))")
    if model.dim > 3:
        raise ValueError(f"learning_curve uses the exact grid posterior (d <= 3); {model.name} "
                         f"has d = {model.dim}: use waic() on sample_posterior draws instead")
    ns = np.sort(v.data_counts("ns", ns))
    if np.any(ns != np.round(ns)):
        raise ValueError(f"ns must be whole numbers, got {list(ns)}")
    num_datasets = v.as_int("num_datasets", num_datasets, lo=1)
    num_test = v.as_int("num_test", num_test, lo=1)
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    fmean = _mean_function(model)
    if fmean is None:
        raise ValueError(f"{model.name}: learning_curve needs a unit-noise Gaussian per-sample "
                         f"loss ½‖y − f(x, w)‖² + const")
    t0 = time.perf_counter()
    n_max = int(ns.max())
    k_data, k_test, k_rs = jax.random.split(key, 3)
    test_keys = jax.random.split(k_test, num_datasets)     # fresh test inputs per data set
    y_dim = int(np.prod(model.sample_data(k_test, 1).y.shape[1:]))
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(gauss_hermite)
    gh_w = gh_w / gh_w.sum()
    mesh = np.meshgrid(*([gh_x] * y_dim), indexing="ij")
    eps = np.stack([m.ravel() for m in mesh], axis=-1)                      # (Q, N)
    eps_w = np.prod(np.meshgrid(*([gh_w] * y_dim), indexing="ij"), axis=0).ravel()

    f_batch = jax.jit(jax.vmap(jax.vmap(fmean, in_axes=(None, 0)), in_axes=(0, None)))
    ll_batch = jax.jit(jax.vmap(lambda w, x, y: -jax.vmap(model.loss, in_axes=(None, 0, 0))(
        w, x, y), in_axes=(0, None, None)))

    @jax.jit
    def kl_per_x(delta, logpi):
        # delta: (X, G, N) = f0(x) − f_g(x); E_x E_ε[−log Σ_g π_g exp(−ε·Δ − ½‖Δ‖²)]
        def one_x(d):
            a = -(eps @ d.T) - 0.5 * jnp.sum(d ** 2, -1)[None, :]             # (Q, G)
            return -(jax.scipy.special.logsumexp(a + logpi[None, :], axis=1) @ eps_w)
        return jnp.mean(jax.lax.map(one_x, delta))

    gen, train, wa, nu = (np.zeros((num_datasets, len(ns))) for _ in range(4))
    data_keys = jax.random.split(k_data, num_datasets)
    rs_keys = jax.random.split(k_rs, num_datasets * len(ns)).reshape(num_datasets, len(ns))
    for s in range(num_datasets):
        data = model.sample_data(data_keys[s], n_max)
        x_test = model.sample_data(test_keys[s], num_test).x
        f0 = np.asarray(f_batch(model.true_param[None], x_test))[0]            # (X, N)
        ex = exact_posterior(model, ns, beta=beta, data=data, grid=grid, keep_density=True,
                             marginals_2d=False)
        for j, n in enumerate(ns.astype(int)):
            pts, pw = _kept_points(ex.log_density[j], ex.grid, max_points, rs_keys[s, j])
            fg = np.asarray(f_batch(jnp.asarray(pts), x_test))                # (G, X, N)
            delta = np.swapaxes(f0[None] - fg, 0, 1)                            # (X, G, N)
            with np.errstate(divide="ignore"):
                logpi = np.log(pw)
            gen[s, j] = float(kl_per_x(jnp.asarray(delta), jnp.asarray(logpi)))
            sub = Data(data.x[:n], data.y[:n])
            ll = np.asarray(ll_batch(jnp.asarray(pts), sub.x, sub.y))            # (G, n)
            r = waic_from_loglik(ll, beta=beta, weights=pw)
            ll0 = -float(np.mean(np.asarray(jax.vmap(model.loss, in_axes=(None, 0, 0))(
                model.true_param, sub.x, sub.y))))
            train[s, j] = r.training_loss + ll0
            wa[s, j] = r.waic + ll0
            nu[s, j] = r.nu_hat
    lam = None if model.lam is None else float(model.lam)
    return LearningCurveResult(ns=ns, gen_excess=gen, train_excess=train, waic_excess=wa,
                               nu_hat=nu, lam=lam, m=model.m, beta=beta, num_test=num_test,
                               seconds=time.perf_counter() - t0)


__all__ = ["LearningCurveResult", "WAICResult", "learning_curve", "waic", "waic_from_loglik"]
