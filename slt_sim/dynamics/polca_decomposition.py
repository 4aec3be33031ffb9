r"""POLCA: hidden breakthroughs found by decomposing each example's loss along a Hessian basis.

Kangaslahti, Rosenfeld & Saphra (2025), "Hidden breakthroughs in language model training"
(arXiv:2506.15872). The total loss of a model can fall smoothly while single skills switch on
abruptly at different times; averaged together the abrupt drops blur into a smooth curve. POLCA
looks for them in three stages, given parameters θ_0, …, θ_K at checkpoints t_0 < … < t_K.

**1. Basis.** At a few *basis checkpoints* θ_c, take the top eigenvector(s) of the Hessian H_c of
the loss on a fixed basis sample, with the span Q of the vectors found so far projected out in
the symmetric form

    (I − QQᵀ) H_c (I − QQᵀ) b = μ b,   μ largest (algebraic),

so every new vector is orthogonal to all earlier ones. The eigenproblem is solved by implicitly
restarted Lanczos (ARPACK via ``scipy.sparse.linalg.eigsh``) on Hessian-vector products
H v = ∂/∂ε ∇L(θ + εv)|₀ (``jax.jvp`` of ``jax.grad``): the d × d Hessian is never formed.

**2. Decomposition.** For example x, basis vector b and interval [t_k, t_{k+1}] with
Δθ_k = θ_{k+1} − θ_k, the loss change along b to second order is

    δ_b(x, k) = ⟨b, ∇ℓ(x; θ_k)⟩ ⟨b, Δθ_k⟩  +  ½ bᵀH(x; θ_k)b ⟨b, Δθ_k⟩²,

the Taylor expansion of ℓ(x; θ_k + ⟨b, Δθ_k⟩ b) around θ_k. Both factors are exact directional
derivatives of ℓ(x; ·) along b (forward-mode ``jax.jvp`` nested twice: g = d/dε ℓ(θ + εb),
c = d²/dε² ℓ(θ + εb) = bᵀH(x)b; the same number as forward-over-reverse bᵀ(∂_b ∇ℓ), at the cost of
a few forward passes, vmapped over examples and basis vectors). The *projected loss* of x along
b is the cumulative sum P_b(x, t_k) = Σ_{k' < k} δ_b(x, k'), a trajectory starting at 0. With a
complete orthonormal basis the first-order terms sum to the first-order Taylor change
⟨∇ℓ(x; θ_k), Δθ_k⟩; with a low-rank basis

    captured fraction = mean_x Σ_b P_b(x, t_K) / mean_x [ℓ(x; θ_K) − ℓ(x; θ_0)]

says how much of the actual loss change the subspace accounts for.

**3. Clusters.** Basis vectors whose mean projected loss rises (mean_x P_b(x, t_K) > 0) are
dropped; for each kept vector, examples whose own projected loss rises (P_b(x, t_K) > 0) are
dropped; the remaining trajectories P_b(x, ·) ∈ R^{K+1} of each vector are clustered with HDBSCAN
(``sklearn.cluster.HDBSCAN``, Euclidean; label −1 is noise). For the comparison the same is done
with first-order terms only, and HDBSCAN on the raw loss curves ℓ(x; θ_k) (no basis, no filter).

**Breakthroughs.** The *acceleration* of a trajectory y(t) is a(t) = −y''(t), the rate at which its
decrease speeds up (second differences over the checkpoint steps after a centred moving average
over ``smooth`` checkpoints; the ⌊smooth/2⌋ + 1 checkpoints at either end are excluded). A
trajectory's *point of maximal acceleration* is argmax_t a(t), counted only when that maximum is
positive and at least a quarter of max_t |a(t)| (a convex, decelerating decay such as e^{−t} has
none). A cluster's breakthrough step is the mean
of its members' points (over members that have one; none if fewer than half do). The total loss
L̄(t) (mean over all examples of ℓ(x; θ_t), smoothed the same way) is **flat** from

    t_flat = the first checkpoint step t_k with L̄(t_k) − L̄(t_K) ≤ ε (L̄(t_0) − L̄(t_K)),

i.e. once at most a fraction ε = ``flat_fraction`` (default 0.05) of the run's total decrease is
still to come. A cluster has a **hidden breakthrough** when its breakthrough step is later than
t_flat: its examples drop sharply while the total loss no longer visibly moves.

**Scores against labels** (e.g. whether an output token involves a carry): for each method, the
cluster with the largest fraction of labelled members gives the *homogeneity* (that fraction, the
paper's "carry homogeneity"), the *recall* (labelled members of that cluster over all labelled
examples) and their harmonic mean F1.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as v
from .._warnings import TrainingWarning, emit
from ..models.base import Data, Model

METHODS = ("polca", "first_order", "raw_loss")


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Cluster:
    """One HDBSCAN cluster of trajectories.

    Attributes:
      method: ``"polca"``, ``"first_order"`` or ``"raw_loss"``.
      vector: index of the basis vector whose trajectories were clustered (−1 for raw loss).
      label: the HDBSCAN label within that clustering.
      members: indices of the member examples (into the flattened examples).
      breakthrough_step: the mean point of maximal acceleration of the members (NaN if none).
      hidden: True when ``breakthrough_step`` comes after the total loss is flat.
      label_fraction: fraction of members carrying the evaluation label (NaN without labels).
    """

    method: str
    vector: int
    label: int
    members: np.ndarray
    breakthrough_step: float
    hidden: bool
    label_fraction: float = float("nan")

    @property
    def size(self) -> int:
        return int(self.members.size)

    def as_dict(self) -> dict:
        return {"method": self.method, "vector": self.vector, "label": self.label,
                "size": self.size, "breakthrough_step": _finite_or_none(self.breakthrough_step),
                "hidden": self.hidden, "label_fraction": _finite_or_none(self.label_fraction)}


@dataclass(frozen=True)
class POLCAResult:
    """Basis, decomposed trajectories, clusters and scores of one POLCA analysis.

    Attributes:
      steps: checkpoint steps t_0 … t_K, shape (K+1,).
      basis: orthonormal basis vectors, (B, d), in the order they were found.
      eigenvalues: μ of each vector (top eigenvalue of the projected Hessian), (B,).
      basis_steps: checkpoint step at which each vector was found, (B,).
      loss: exact loss ℓ(x; θ_k) of every example, (K+1, N) (examples flattened: sample-major
        over the tokens of a vector loss).
      first_order, second_order: cumulative first- and second-order projected-loss changes,
        (B, K+1, N); the POLCA trajectories are their sum (:attr:`projected`).
      captured_fraction: share of the mean loss change captured by the basis (second order);
        ``captured_fraction_first_order`` with first-order terms only.
      kept_vectors: basis vectors kept by the filter (mean projected loss falls), per method.
      example_masks: (B, N) examples kept for each vector, per method.
      clusters: every cluster of every method.
      flat_step: t_flat, the step from which the total loss is flat (module docstring).
      labels: (N,) evaluation labels (e.g. carry tokens) or None.
      scores: per method: homogeneity, recall, f1, num_clusters, hidden_breakthrough_fraction.
      settings: what produced the result; warnings: plain-language problems.
    """

    steps: np.ndarray
    basis: np.ndarray
    eigenvalues: np.ndarray
    basis_steps: np.ndarray
    loss: np.ndarray
    first_order: np.ndarray
    second_order: np.ndarray
    captured_fraction: float
    captured_fraction_first_order: float
    kept_vectors: Mapping[str, np.ndarray]
    example_masks: Mapping[str, np.ndarray]
    clusters: tuple[Cluster, ...]
    flat_step: float
    labels: np.ndarray | None
    scores: Mapping[str, Mapping[str, float]]
    settings: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def projected(self) -> np.ndarray:
        """POLCA trajectories P_b(x, t_k), first plus second order, (B, K+1, N)."""
        return self.first_order + self.second_order

    @property
    def total_loss(self) -> np.ndarray:
        """Mean loss over the examples at every checkpoint, (K+1,)."""
        return np.mean(self.loss, axis=1)

    @property
    def basis_size(self) -> int:
        return int(self.basis.shape[0])

    def clusters_of(self, method: str = "polca") -> tuple[Cluster, ...]:
        if method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
        return tuple(c for c in self.clusters if c.method == method)

    def hidden_breakthroughs(self, method: str = "polca") -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters_of(method) if c.hidden)

    def cluster_mean(self, cluster: Cluster) -> np.ndarray:
        """Mean trajectory of a cluster's members, (K+1,) (projected or raw loss)."""
        if cluster.method == "raw_loss":
            return np.mean(self.loss[:, cluster.members], axis=1)
        src = self.projected if cluster.method == "polca" else self.first_order
        return np.mean(src[cluster.vector][:, cluster.members], axis=1)

    def as_dict(self) -> dict:
        """JSON-ready summary (the CLI's ``--json``)."""
        return {
            "basis_size": self.basis_size,
            "captured_fraction": self.captured_fraction,
            "captured_fraction_first_order": self.captured_fraction_first_order,
            "eigenvalues": self.eigenvalues.tolist(),
            "basis_steps": self.basis_steps.tolist(),
            "kept_vectors": {m: np.asarray(k).tolist() for m, k in self.kept_vectors.items()},
            "flat_step": _finite_or_none(self.flat_step),
            "clusters": [c.as_dict() for c in self.clusters if c.method == "polca"],
            "num_clusters": {m: s["num_clusters"] for m, s in self.scores.items()},
            "carry_homogeneity": {m: s["homogeneity"] for m, s in self.scores.items()},
            "recall": {m: s["recall"] for m, s in self.scores.items()},
            "f1": {m: s["f1"] for m, s in self.scores.items()},
            "hidden_breakthrough_fraction": self.scores["polca"]["hidden_breakthrough_fraction"],
            "hidden_breakthrough_fractions": {m: s["hidden_breakthrough_fraction"]
                                              for m, s in self.scores.items()},
            "settings": dict(self.settings), "warnings": list(self.warnings),
            "seconds": self.seconds,
        }


def _finite_or_none(x):
    x = float(x)
    return x if np.isfinite(x) else None


# ----------------------------------------------------------------------------- 1. basis
def hessian_basis(loss_fn: Callable, points, vectors_per_point: int = 1, *,
                  tol: float = 1e-8, maxiter: int | None = None, seed: int = 0,
                  start=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    r"""Orthonormal basis from the top eigenvectors of successively projected Hessians.

    At each point θ_c in turn, the ``vectors_per_point`` eigenvectors of largest eigenvalue of
    Π⊥ H(θ_c) Π⊥, Π⊥ = I − QQᵀ for the span Q of all vectors found before, by Lanczos (``eigsh``
    with ``which="LA"``) on Hessian-vector products of ``loss_fn`` — never a dense Hessian.

    Args:
      loss_fn: w ↦ L(w), a scalar JAX function of a flat parameter vector (d,).
      points: parameters, (P, d) (or (d,) for one point).
      vectors_per_point: eigenvectors taken at each point (< d).
      tol: Lanczos relative tolerance on the Ritz values.
      maxiter: Lanczos restarts (default ARPACK's 10·d).
      seed: seed of the Lanczos starting vector.
      start: optional (r, d) vectors already in the basis (projected out from the start).

    Returns:
      (basis (B, d), eigenvalues (B,), point index of each vector (B,), warnings).
    """
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    P, d = pts.shape
    k = v.as_int("vectors_per_point", vectors_per_point, lo=1, hi=max(d - 1, 1))
    if d < 2:
        raise ValueError(f"points must have at least 2 parameters for Lanczos, got d = {d}")
    hvp = jax.jit(lambda w, t: jax.jvp(jax.grad(loss_fn), (w,), (t,))[1])
    Q = np.zeros((0, d)) if start is None else np.atleast_2d(np.asarray(start, dtype=np.float64))
    found, mus, where, notes = [], [], [], []
    rng = np.random.default_rng(seed)
    for c in range(P):
        if Q.shape[0] + k > d:
            notes.append(f"the basis already spans {Q.shape[0]} of d = {d} dimensions: point "
                         f"{c} and later add nothing")
            break
        w = jnp.asarray(pts[c])

        def project(x, Q=Q):
            return x - Q.T @ (Q @ x) if Q.shape[0] else x

        def matvec(x, w=w, project=project):
            x = project(np.asarray(x, dtype=np.float64).ravel())
            return project(np.asarray(hvp(w, jnp.asarray(x)), dtype=np.float64))

        op = LinearOperator((d, d), matvec=matvec, dtype=np.float64)
        v0 = project(rng.standard_normal(d))
        try:
            vals, vecs = eigsh(op, k=k, which="LA", v0=v0, tol=tol, maxiter=maxiter)
        except ArpackNoConvergence as err:
            vals, vecs = err.eigenvalues, err.eigenvectors
            notes.append(f"Lanczos did not converge at basis point {c} ({len(vals)} of {k} "
                         "vectors): raise maxiter or loosen tol")
        order = np.argsort(vals)[::-1]
        for j in order:
            x = project(vecs[:, j])
            x -= Q.T @ (Q @ x) if Q.shape[0] else 0.0  # second Gram–Schmidt pass
            norm = np.linalg.norm(x)
            if norm < 0.5:
                notes.append(f"basis point {c}: an eigenvector lay in the span already found "
                             "(the projected Hessian has no positive direction left)")
                continue
            x /= norm
            Q = np.vstack([Q, x])
            found.append(x)
            mus.append(float(vals[j]))
            where.append(c)
    basis = np.asarray(found).reshape(-1, d)
    return basis, np.asarray(mus), np.asarray(where, dtype=np.int64), tuple(notes)


# ----------------------------------------------------------------------------- 2. terms
def decompose_loss(token_loss: Callable, params, basis, data: Data, *,
                   chunk: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-example, per-vector, per-interval first- and second-order loss changes.

    For checkpoints θ_0 … θ_K, basis vectors b and examples x:
    first[b, k, x] = ⟨b, ∇ℓ(x; θ_k)⟩⟨b, Δθ_k⟩ and second[b, k, x] = ½ bᵀH(x; θ_k)b ⟨b, Δθ_k⟩²
    (k = 0 … K−1), from exact directional derivatives (two nested ``jax.jvp``, vmapped over the
    basis and the samples, ``lax.map`` over checkpoints).

    Args:
      token_loss: (w, x, y) ↦ loss of one sample, a scalar or a vector of T token losses.
      params: (K+1, d) parameters at the checkpoints.
      basis: (B, d) basis vectors.
      data: the examples, a :class:`Data` with the sample index first.
      chunk: samples per vmapped batch (default all).

    Returns:
      (first (B, K, N), second (B, K, N), loss (K+1, N)), N = n·T examples, sample-major.
    """
    params = jnp.asarray(params)
    basis = jnp.asarray(basis, dtype=params.dtype)
    n = data.n
    chunk = n if chunk is None else min(v.as_int("chunk", chunk, lo=1), n)

    def per_sample(w, x, y):
        return jnp.atleast_1d(token_loss(w, x, y))

    def along(w, x, y, b):
        def slope(u):
            return jax.jvp(lambda z: per_sample(z, x, y), (u,), (b,))[1]
        return jax.jvp(slope, (w,), (b,))  # (⟨b, ∇ℓ⟩, bᵀHb) per token

    def at_point(w, basis, xs, ys):
        g, c = jax.vmap(lambda x, y: jax.vmap(lambda b: along(w, x, y, b))(basis))(xs, ys)
        loss = jax.vmap(lambda x, y: per_sample(w, x, y))(xs, ys)
        return g, c, loss  # (n, B, T), (n, B, T), (n, T)

    @jax.jit
    def run(params, basis, xs, ys):
        return jax.lax.map(lambda w: at_point(w, basis, xs, ys), params)

    parts = [run(params, basis, data.x[i:i + chunk], data.y[i:i + chunk])
             for i in range(0, n, chunk)]
    g = np.concatenate([np.asarray(p[0]) for p in parts], axis=1)  # (K+1, n, B, T)
    c = np.concatenate([np.asarray(p[1]) for p in parts], axis=1)
    loss = np.concatenate([np.asarray(p[2]) for p in parts], axis=1)  # (K+1, n, T)
    proj = np.asarray(jnp.diff(params, axis=0) @ basis.T)  # (K, B): ⟨b, Δθ_k⟩
    g = np.moveaxis(g[:-1], 2, 0).reshape(basis.shape[0], proj.shape[0], -1)  # (B, K, n·T)
    c = np.moveaxis(c[:-1], 2, 0).reshape(basis.shape[0], proj.shape[0], -1)
    p = proj.T[:, :, None]
    return g * p, 0.5 * c * p * p, loss.reshape(loss.shape[0], -1)


def cumulative(terms) -> np.ndarray:
    """(B, K, N) interval terms → (B, K+1, N) trajectories starting at 0."""
    terms = np.asarray(terms)
    zero = np.zeros(terms.shape[:1] + (1,) + terms.shape[2:])
    return np.concatenate([zero, np.cumsum(terms, axis=1)], axis=1)


# ----------------------------------------------------------------------------- 3. filter
def filter_trajectories(trajectories) -> tuple[np.ndarray, np.ndarray]:
    r"""Drop rising basis vectors, then rising examples per vector.

    Args:
      trajectories: (B, K+1, N) projected-loss trajectories (starting at 0).
    Returns:
      (kept vector indices, (B, N) boolean mask of kept examples; all False for a dropped
      vector). A vector is kept when its mean final projected loss is < 0; an example of a kept
      vector when its own final projected loss is < 0.
    """
    t = np.asarray(trajectories, dtype=float)
    if t.ndim != 3:
        raise ValueError(f"trajectories must have shape (B, K+1, N), got {t.shape}")
    final = t[:, -1, :]
    keep_vec = np.mean(final, axis=1) < 0.0
    mask = (final < 0.0) & keep_vec[:, None]
    return np.flatnonzero(keep_vec), mask


def cluster_trajectories(trajectories, *, min_cluster_size: int | None = None,
                         min_samples: int | None = None) -> np.ndarray:
    """HDBSCAN labels of trajectories (N, K+1), Euclidean; −1 marks noise.

    ``min_cluster_size`` defaults to max(5, ⌈5% of N⌉); fewer than that many trajectories are all
    noise.
    """
    from sklearn.cluster import HDBSCAN

    X = np.asarray(trajectories, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"trajectories must have shape (N, K+1), got {X.shape}")
    mcs = max(5, int(np.ceil(0.05 * X.shape[0]))) if min_cluster_size is None else \
        v.as_int("min_cluster_size", min_cluster_size, lo=2)
    if X.shape[0] < mcs:
        return np.full(X.shape[0], -1, dtype=np.int64)
    return HDBSCAN(min_cluster_size=mcs, min_samples=min_samples, copy=True).fit(X).labels_


# ----------------------------------------------------------------------------- breakthroughs
def _smooth(y: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return y if width <= 1 else uniform_filter1d(y, size=width, axis=-1, mode="nearest")


def acceleration_points(trajectories, steps, *, smooth: int = 5) -> np.ndarray:
    r"""Point of maximal acceleration a(t) = −y''(t) of each trajectory (NaN where none).

    Args:
      trajectories: (N, K+1) values y(t_k) (losses or projected losses).
      steps: (K+1,) checkpoint steps.
      smooth: width of the centred moving average applied first (1: none).
    Returns:
      (N,) steps: argmax of a over interior checkpoints when max a > 0 and
      max a ≥ ¼ max |a|; NaN otherwise (module docstring).
    """
    y = np.atleast_2d(np.asarray(trajectories, dtype=float))
    t = np.asarray(steps, dtype=float)
    if y.shape[-1] != t.size or t.size < 5:
        raise ValueError(f"trajectories must have {t.size} ≥ 5 checkpoints like steps, got "
                         f"shape {y.shape}")
    edge = smooth // 2 + 1  # the moving average is one-sided this close to the ends
    if t.size - 2 * edge < 1:
        raise ValueError(f"smooth = {smooth} leaves no interior checkpoint of {t.size}")
    ys = _smooth(y, smooth)
    acc = -np.gradient(np.gradient(ys, t, axis=-1), t, axis=-1)[:, edge:t.size - edge]
    best = np.argmax(acc, axis=-1)
    peak = acc[np.arange(acc.shape[0]), best]
    ok = (peak > 0) & (peak >= 0.25 * np.max(np.abs(acc), axis=-1))
    return np.where(ok, t[edge:t.size - edge][best], np.nan)


def flat_step(total_loss, steps, *, flat_fraction: float = 0.05, smooth: int = 5) -> float:
    r"""t_flat: first step with at most ``flat_fraction`` of the total decrease still to come.

    L̄ smoothed by a centred moving average; t_flat = min{t_k : L̄(t_k) − L̄(t_K) ≤
    ε (L̄(t_0) − L̄(t_K))}. A loss that does not decrease overall is flat from t_0.
    """
    eps = v.as_float("flat_fraction", flat_fraction, lo=0.0, hi=1.0)
    y = _smooth(np.asarray(total_loss, dtype=float), smooth)
    t = np.asarray(steps, dtype=float)
    drop = y[0] - y[-1]
    if not drop > 0:
        return float(t[0])
    return float(t[np.argmax(y - y[-1] <= eps * drop)])


def label_scores(clusters: Sequence[Cluster], labels) -> dict[str, float]:
    """Homogeneity (largest labelled fraction of a cluster), its recall and F1."""
    if labels is None or not clusters:
        return {"homogeneity": float("nan"), "recall": float("nan"), "f1": float("nan")}
    lab = np.asarray(labels, dtype=bool)
    total = max(int(lab.sum()), 1)
    fracs = [float(np.mean(lab[c.members])) for c in clusters]
    best = int(np.argmax(fracs))
    h = fracs[best]
    r = float(np.sum(lab[clusters[best].members])) / total
    f1 = 2 * h * r / (h + r) if h + r > 0 else 0.0
    return {"homogeneity": h, "recall": r, "f1": f1}


# ----------------------------------------------------------------------------- pipeline
def _flatten_labels(labels, n: int) -> np.ndarray | None:
    if labels is None:
        return None
    lab = np.asarray(labels).astype(bool)
    if lab.shape[0] != n:
        raise ValueError(f"labels must have the sample index first (length n = {n}), got "
                         f"shape {lab.shape}")
    return lab.reshape(-1)


def polca(model_or_loss: Model | Callable, params, data: Data, *, steps=None,
          basis_data: Data | None = None, basis_checkpoints: int | Sequence[int] = 4,
          vectors_per_checkpoint: int = 2, labels=None, min_cluster_size: int | None = None,
          flat_fraction: float = 0.05, smooth: int = 5, lanczos_tol: float = 1e-8,
          seed: int = 0, chunk: int | None = None) -> POLCAResult:
    r"""POLCA on one training run: Hessian basis, decomposed trajectories, clusters, scores.

    See the module docstring for every formula.

    Args:
      model_or_loss: a :class:`Model` (its ``extra["token_loss"]`` when present, so each output
        token is an example, else its per-sample ``loss``) or a function (w, x, y) ↦ scalar or
        (T,) vector of losses.
      params: parameters at the checkpoints, (K+1, d) (e.g. ``SGDResult.params[0]``).
      data: the examples to decompose (N = n·T examples).
      steps: checkpoint steps (K+1,) (default 0 … K).
      basis_data: the fixed sample whose mean loss defines the Hessian (default ``data``).
      basis_checkpoints: a count (evenly spaced interior checkpoints) or checkpoint indices.
      vectors_per_checkpoint: top eigenvectors taken at each basis checkpoint.
      labels: optional (n,) or (n, T) booleans (e.g. carry tokens) for the scores.
      min_cluster_size: HDBSCAN's, the same for every clustering (default max(5, ⌈5% of all N
        examples⌉), so a cluster is at least that share of the tokens whatever the filter kept).
      flat_fraction: ε of the flat total loss.
      smooth: moving-average width for accelerations and the flat point.
      lanczos_tol: Lanczos tolerance; seed: its starting vector.
      chunk: samples per vmapped batch in the decomposition.

    Returns:
      :class:`POLCAResult`.
    """
    t0 = time.perf_counter()
    v.model_or_loss(model_or_loss)
    if isinstance(model_or_loss, Model):
        if model_or_loss.loss is None:
            raise ValueError(f"model {model_or_loss.name} is a potential: POLCA needs "
                             "per-example losses")
        token_loss = model_or_loss.extra.get("token_loss") or model_or_loss.loss
        name = model_or_loss.name
    else:  # a loss function (v.model_or_loss checked it)
        token_loss, name = model_or_loss, getattr(model_or_loss, "__name__", "loss")
    if not isinstance(data, Data):
        raise TypeError(f"data must be a slt_sim Data(x, y), got {type(data).__name__}")
    P = np.asarray(params, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] < 5:
        raise ValueError(f"params must have shape (K+1, d) with at least 5 checkpoints, got "
                         f"{P.shape}")
    K1, d = P.shape
    s = np.arange(K1) if steps is None else np.asarray(steps)
    if s.shape != (K1,) or np.any(np.diff(s) <= 0):
        raise ValueError(f"steps must be {K1} increasing checkpoint steps, got shape {s.shape}")
    if isinstance(basis_checkpoints, (int, np.integer)) and not isinstance(basis_checkpoints,
                                                                           bool):
        count = v.as_int("basis_checkpoints", basis_checkpoints, lo=1, hi=K1)
        idx = np.unique(np.round(np.linspace(0, K1 - 1, count + 2)[1:-1]).astype(int))
    else:
        idx = np.asarray([v.as_int("basis_checkpoints[i]", i, lo=0, hi=K1 - 1)
                          for i in basis_checkpoints], dtype=int)
        if idx.size == 0:
            raise ValueError("basis_checkpoints must name at least one checkpoint")
    k = v.as_int("vectors_per_checkpoint", vectors_per_checkpoint, lo=1, hi=max(d - 1, 1))
    smooth = v.as_int("smooth", smooth, lo=1)
    if K1 - 2 * (smooth // 2 + 1) < 1:
        raise ValueError(f"smooth = {smooth} is too wide for {K1} checkpoints: need "
                         f"K + 1 ≥ 2(⌊smooth/2⌋ + 1) + 1")
    eps = v.as_float("flat_fraction", flat_fraction, lo=0.0, hi=1.0)
    bdata = data if basis_data is None else basis_data
    lab = _flatten_labels(labels, data.n)
    notes: list[str] = []

    # 1. basis ------------------------------------------------------------------------------
    def basis_loss(w):
        per = jax.vmap(lambda x, y: jnp.atleast_1d(token_loss(w, x, y)))(bdata.x, bdata.y)
        return jnp.mean(per)

    basis, mus, where, lanczos_notes = hessian_basis(basis_loss, P[idx], k, tol=lanczos_tol,
                                                     seed=seed)
    notes += list(lanczos_notes)
    if basis.shape[0] == 0:
        raise ValueError("no basis vector was found (the projected Hessians have no positive "
                         "eigenvalue): choose other basis_checkpoints")

    # 2. decomposition ---------------------------------------------------------------------
    first_t, second_t, loss = decompose_loss(token_loss, P, basis, data, chunk=chunk)
    first, second = cumulative(first_t), cumulative(second_t)
    N = loss.shape[1]
    if lab is not None and lab.size != N:
        raise ValueError(f"labels must give one value per example: {N} = n·T, got {lab.size}")
    change = float(np.mean(loss[-1] - loss[0]))
    captured = float(np.mean(np.sum(first[:, -1] + second[:, -1], axis=0)) / change) \
        if change != 0 else float("nan")
    captured1 = float(np.mean(np.sum(first[:, -1], axis=0)) / change) \
        if change != 0 else float("nan")
    if not 0.5 <= captured <= 1.5:
        notes.append(f"the {basis.shape[0]} basis vectors capture {captured:.0%} of the mean "
                     "loss change: the trajectories describe only part of training (add basis "
                     "checkpoints or vectors)")

    # 3. filter, cluster, breakthroughs -----------------------------------------------------
    t_flat = flat_step(np.mean(loss, axis=1), s, flat_fraction=eps, smooth=smooth)
    mcs = max(5, int(np.ceil(0.05 * N))) if min_cluster_size is None else \
        v.as_int("min_cluster_size", min_cluster_size, lo=2)
    clusters: list[Cluster] = []
    kept: dict[str, np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    for method, traj in (("polca", first + second), ("first_order", first)):
        kv, mask = filter_trajectories(traj)
        kept[method], masks[method] = kv, mask
        for b in kv:
            members = np.flatnonzero(mask[b])
            clusters += _clusters(method, int(b), traj[b][:, members].T, members, s, t_flat,
                                  lab, mcs, smooth)
    kept["raw_loss"] = np.zeros(0, dtype=np.int64)
    masks["raw_loss"] = np.ones((1, N), dtype=bool)
    clusters += _clusters("raw_loss", -1, loss.T, np.arange(N), s, t_flat, lab, mcs, smooth)
    if kept["polca"].size == 0:
        notes.append("every basis vector's mean projected loss rises: nothing to cluster")
    scores = {}
    for method in METHODS:
        cs = [c for c in clusters if c.method == method]
        sc = label_scores(cs, lab)
        sc["num_clusters"] = len(cs)
        sc["hidden_breakthrough_fraction"] = (float(np.mean([c.hidden for c in cs]))
                                              if cs else float("nan"))
        scores[method] = sc
    if scores["polca"]["num_clusters"] == 0 and kept["polca"].size:
        notes.append("HDBSCAN found no POLCA cluster (all noise): lower min_cluster_size or "
                     "decompose more examples")
    emit(notes, TrainingWarning, stacklevel=2)
    settings = {"model": name, "num_checkpoints": K1, "num_examples": N, "samples": data.n,
                "basis_samples": bdata.n, "basis_checkpoint_steps": s[idx].tolist(),
                "vectors_per_checkpoint": k, "min_cluster_size": mcs,
                "flat_fraction": eps, "smooth": smooth, "lanczos_tol": lanczos_tol,
                "seed": seed, "dim": d}
    return POLCAResult(
        steps=s, basis=basis, eigenvalues=mus, basis_steps=s[idx][where], loss=loss,
        first_order=first, second_order=second, captured_fraction=captured,
        captured_fraction_first_order=captured1, kept_vectors=kept, example_masks=masks,
        clusters=tuple(clusters), flat_step=t_flat, labels=lab, scores=scores,
        settings=settings, warnings=tuple(notes), seconds=time.perf_counter() - t0)


def _clusters(method, vector, X, members, steps, t_flat, lab, min_cluster_size, smooth):
    if X.shape[0] == 0:
        return []
    labels = cluster_trajectories(X, min_cluster_size=min_cluster_size)
    points = acceleration_points(X, steps, smooth=smooth)
    out = []
    for c in sorted(set(labels.tolist()) - {-1}):
        sel = labels == c
        pts = points[sel]
        has = np.isfinite(pts)
        step = float(np.mean(pts[has])) if np.mean(has) >= 0.5 else float("nan")
        mem = members[sel]
        out.append(Cluster(method, vector, int(c), mem, step,
                           bool(np.isfinite(step) and step > t_flat),
                           float(np.mean(lab[mem])) if lab is not None else float("nan")))
    return out
