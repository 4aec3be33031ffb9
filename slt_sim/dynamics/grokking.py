r"""Grokking on modular addition: full-batch AdamW over many (training fraction, seed) runs at once.

Every run minimises the mean cross-entropy on its own training set (see
:func:`slt_sim.models.modular_addition`) with AdamW and *decoupled* weight decay
(Loshchilov & Hutter 2019; ``optax.adamw``):

    m_t = β₁ m_{t−1} + (1 − β₁) g_t,   v_t = β₂ v_{t−1} + (1 − β₂) g_t²,
    w_{t+1} = w_t − η ( m̂_t / (√v̂_t + 10⁻⁸) + κ w_t ),

η the learning rate, κ the weight decay, g_t = ∇L_n(w_t) on the full training set. Weight decay is
what makes a network that has memorised its training set keep moving, towards the generalising
solution that fits the same data with a smaller parameter norm — the "circuit efficiency" account
of grokking (Varma et al. 2023): the generalising circuit's cost is fixed, the memorising one's
grows with the training-set size, so above a *critical dataset size* the generaliser is the more
efficient and training ends there; below it the memoriser is, and a grokked network trained on a
smaller subset "ungroks".

Runs (training fraction × seed, optionally random labels) are a ``vmap`` axis (in chunks under
``lax.map`` on a CPU, where a wide vmap outgrows the caches), sharded over the devices with
``jax.sharding`` when there are several; each run's training set is an index array
padded to the largest one (weights 0 on the padding), so different fractions share one compiled
program. Steps run under ``lax.scan`` over log-spaced checkpoint segments; at each checkpoint the
parameters and the train and test loss and accuracy are kept.

The Bayesian reading is in :func:`critical_dataset_size`: the free energy F ≈ nL + λ log n of a
memorising and of a generalising solution at each training-set size n, from measured losses and
λ̂ (Watanabe 2009; the SLT account of the memorising/generalising trade-off).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _validate as v
from .._sharding import batch_sharding, devices_used
from .._warnings import FitWarning, emit
from ..models import modular as ma
from .sgd import checkpoint_steps
from .training_llc import LLCTrajectory, llc_trajectory

#: test accuracy at which a run counts as generalised ("grokked")
GROK_THRESHOLD = 0.9

#: LLC settings for the p = 53 network, chosen with ``calibrate_llc`` (docs/grokking.md)
CALIBRATED_LLC = {"sampler": "sgld", "step_size": 1e-3, "localization": 30.0, "nbeta": None,
                  "num_chains": 4, "num_draws": 400, "num_burnin": 100, "batch_size": None}
#: the settings published with devinterp's grokking example (nβ = 2 fixed, batch 128)
DEVINTERP_LLC = {"sampler": "sgld", "step_size": 3e-3, "localization": 5.0, "nbeta": 2.0,
                 "num_chains": 2, "num_draws": 500, "num_burnin": 0, "batch_size": 128}


@dataclass(frozen=True)
class GrokkingRun:
    """Train/test curves of many modular-addition runs, recorded at checkpoints.

    Attributes:
      steps: checkpoint steps (K,), log-spaced from 0 to ``num_steps``.
      train_frac, seed, random_labels, n_train: per run (R,).
      train_loss, train_acc, test_loss, test_acc: (R, K); the training metrics use the run's own
        (possibly random) labels, the test metrics the true labels of the held-out pairs.
      params: flat parameters at the checkpoints, (R, K, d).
      settings: p, network sizes, optimiser settings, devices.
      seconds: wall time (compilation included).
    """

    steps: np.ndarray
    train_frac: np.ndarray
    seed: np.ndarray
    random_labels: np.ndarray
    n_train: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    params: np.ndarray
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def num_runs(self) -> int:
        return int(self.train_loss.shape[0])

    def first_step(self, curve: np.ndarray, threshold: float = GROK_THRESHOLD) -> np.ndarray:
        """Per run, the first checkpoint step with ``curve ≥ threshold`` (NaN if never)."""
        hit = np.asarray(curve) >= threshold
        return np.where(hit.any(axis=1), self.steps[np.argmax(hit, axis=1)], np.nan)

    def grok_step(self, threshold: float = GROK_THRESHOLD) -> np.ndarray:
        """First checkpoint step with test accuracy ≥ ``threshold`` per run (NaN: never)."""
        return self.first_step(self.test_acc, threshold)

    def memorise_step(self, threshold: float = GROK_THRESHOLD) -> np.ndarray:
        """First checkpoint step with train accuracy ≥ ``threshold`` per run (NaN: never)."""
        return self.first_step(self.train_acc, threshold)

    def model(self, i: int = 0):
        """The :class:`~slt_sim.models.Model` run ``i`` trained (its split, its labels)."""
        i = v.as_int("i", i, lo=0, hi=self.num_runs - 1)
        s = self.settings
        return ma.modular_addition(s["p"], float(self.train_frac[i]), int(self.seed[i]),
                                   embed_dim=s["embed_dim"], hidden=s["hidden"],
                                   activation=s["activation"],
                                   random_labels=bool(self.random_labels[i]))

    def final_params(self, i: int = 0) -> np.ndarray:
        return self.params[i, -1]

    def as_dict(self, params: bool = False) -> dict:
        """Plain-Python summary (JSON-ready); ``params=True`` adds the final parameters."""
        out = {"steps": self.steps.tolist(), "train_frac": self.train_frac.tolist(),
               "seed": self.seed.tolist(), "random_labels": self.random_labels.tolist(),
               "n_train": self.n_train.tolist(), "train_loss": self.train_loss.tolist(),
               "train_acc": self.train_acc.tolist(), "test_loss": self.test_loss.tolist(),
               "test_acc": self.test_acc.tolist(),
               "grok_step": [None if np.isnan(x) else int(x) for x in self.grok_step()],
               "memorise_step": [None if np.isnan(x) else int(x) for x in self.memorise_step()],
               "settings": dict(self.settings), "seconds": self.seconds}
        if params:
            out["final_params"] = self.params[:, -1].tolist()
        return out


# ----------------------------------------------------------------------------- runner
@functools.lru_cache(maxsize=16)
def _runner(p: int, embed_dim: int, hidden: int, activation: str, from_init: bool):
    unpack, logits, _ = ma.make_network(p, embed_dim, hidden, activation)
    act = ma.ACTIVATIONS[activation]
    pairs = jnp.asarray(ma.all_pairs(p))
    truth = jnp.asarray(ma.true_labels(p))
    eye = jnp.eye(p, dtype=jnp.result_type(float))

    def onehot_logits(w, xa, xb):
        # the network of models.modular with one-hot inputs: embedding lookups become matrix
        # products, whose gradients batch well under vmap (a gather's gradient is a scatter)
        q = unpack(w)
        emb = jnp.concatenate([xa @ q["E"], xb @ q["E"]], axis=-1)
        return act(emb @ q["W"] + q["c"]) @ q["U"]

    def one(key, w0, idx, wts, train_mask, labels, segments, hyper):
        dtype = jnp.result_type(float)
        w = ma.init_params(key, p, embed_dim, hidden, hyper["init_scale"]) if not from_init \
            else w0
        opt = optax.inject_hyperparams(optax.adamw)(
            learning_rate=hyper["lr"], weight_decay=hyper["wd"], b1=hyper["b1"], b2=hyper["b2"])
        xa, xb, y_tr = eye[pairs[idx, 0]], eye[pairs[idx, 1]], eye[labels[idx]]
        total = jnp.sum(wts)

        def loss(w):
            logp = jax.nn.log_softmax(onehot_logits(w, xa, xb), axis=-1)
            return -jnp.sum(wts * jnp.sum(y_tr * logp, axis=-1)) / total

        grad = jax.grad(loss)

        def step(_, carry):
            w, state = carry
            updates, state = opt.update(grad(w), state, w)
            return optax.apply_updates(w, updates), state

        test_mask = 1.0 - train_mask
        n_tr, n_te = jnp.sum(train_mask), jnp.sum(test_mask)

        def record(w):
            lg = logits(w, pairs)
            pred = jnp.argmax(lg, axis=-1)
            l_tr = jnp.sum(train_mask * ma.cross_entropy(lg, labels)) / n_tr
            a_tr = jnp.sum(train_mask * (pred == labels).astype(dtype)) / n_tr
            l_te = jnp.sum(test_mask * ma.cross_entropy(lg, truth)) / n_te
            a_te = jnp.sum(test_mask * (pred == truth).astype(dtype)) / n_te
            return w, jnp.stack([l_tr, a_tr, l_te, a_te])

        def segment(carry, length):
            carry = jax.lax.fori_loop(0, length, step, carry)
            return carry, record(carry[0])

        first = record(w)
        _, rest = jax.lax.scan(segment, (w, opt.init(w)), segments)
        return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b], axis=0), first, rest)

    batched = jax.vmap(one, in_axes=(0, 0, 0, 0, 0, 0, None, None))

    def chunked(keys, w0, idx, wts, mask, labels, segments, hyper):
        # runs arrive as (chunks, chunk, ...): lax.map over chunks of vmapped runs
        return jax.lax.map(lambda a: batched(*a, segments, hyper),
                           (keys, w0, idx, wts, mask, labels))

    return jax.jit(chunked)


def default_chunk(num_runs: int) -> int:
    """Runs vmapped together: all of them on an accelerator; on a CPU at most 4 (measured:
    beyond a few runs a vmapped step outgrows the caches and gets slower per run)."""
    if jax.default_backend() == "cpu":
        return min(num_runs, 4)
    return num_runs


def _as_list(name: str, value, conv) -> list:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or a sequence of numbers, got {value!r}")
    if np.ndim(value) == 0:
        return [conv(name, value)]
    items = [conv(f"{name}[{i}]", x) for i, x in enumerate(value)]
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def _frac(name, x):
    return v.as_float(name, x, lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def _seed(name, x):
    return v.as_int(name, x, lo=0)


def _flag(name, x):
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {x!r}")
    return bool(x)


def train_grokking(p: int = 53, train_fracs: float | Sequence[float] = 0.4,
                   seeds: int | Sequence[int] = 0, *, random_labels: bool | Sequence[bool] = False,
                   grid: bool = True, num_steps: int = 3000, lr: float = 3e-3,
                   weight_decay: float = 1.0, embed_dim: int = 12, hidden: int = 48,
                   activation: str = "gelu", checkpoints: int = 30, init_scale: float = 1.0,
                   init: Any = None, b1: float = 0.9, b2: float = 0.98,
                   pad_to: int | None = None, chunk: int | None = None,
                   devices: Any = None) -> GrokkingRun:
    r"""Train modular-addition networks with full-batch AdamW, many runs in one vectorised call.

    Args:
      p: the modulus (≥ 3).
      train_fracs: training fraction(s) f ∈ (0, 1).
      seeds: split seed(s); seed s also fixes the initialisation (key ``jax.random.key(s)``), so
        runs of one seed at different fractions start from the same weights.
      random_labels: train on random labels (the memorisation control); a bool for all runs or
        one per run (then ``grid=False``).
      grid: ``True``: every (fraction, seed) pair; ``False``: ``train_fracs``, ``seeds`` and
        ``random_labels`` are zipped run by run (scalars broadcast).
      num_steps, lr, weight_decay, b1, b2: AdamW (full batch, decoupled decay κ = weight_decay).
      embed_dim, hidden, activation: the network (see :func:`slt_sim.models.modular_addition`).
      checkpoints: number of log-spaced checkpoints (0 and ``num_steps`` included).
      init_scale: multiplies the standard initialisation.
      init: start from these parameters instead, shape (d,) or (R, d) — e.g. a grokked network
        for the ungrokking experiment.
      pad_to: pad every training set to this many entries (≥ the largest; default: the
        largest), so that runs of other fractions reuse the compiled program (the explorer
        passes p²).
      chunk: runs vmapped together; chunks run one after another inside the same compiled
        program (``lax.map``). Default :func:`default_chunk`: all runs on an accelerator, 4
        on a CPU.
      devices: devices to shard the runs of a chunk over (default: all of ``jax.devices()``).

    Returns:
      :class:`GrokkingRun`.

    Example:
      >>> run = train_grokking(23, [0.3, 0.6], seeds=[0, 1], num_steps=1500, lr=1e-2)
      >>> run.test_acc[:, -1], run.grok_step()
    """
    t0 = time.perf_counter()
    p = v.as_int("p", p, lo=3, hi=1000)
    fracs = _as_list("train_fracs", train_fracs, _frac)
    seed_list = _as_list("seeds", seeds, _seed)
    labels_list = _as_list("random_labels", random_labels, _flag)
    if grid:
        if len(labels_list) != 1:
            raise ValueError("random_labels per run needs grid=False (runs zipped one by one)")
        runs = [(f, s, labels_list[0]) for f in fracs for s in seed_list]
    else:
        R = max(len(fracs), len(seed_list), len(labels_list))
        for name, lst in (("train_fracs", fracs), ("seeds", seed_list),
                          ("random_labels", labels_list)):
            if len(lst) not in (1, R):
                raise ValueError(f"with grid=False, {name} must have 1 or {R} entries, got "
                                 f"{len(lst)}")
        runs = [(fracs[i % len(fracs)], seed_list[i % len(seed_list)],
                 labels_list[i % len(labels_list)]) for i in range(R)]
    R = len(runs)
    T = v.as_int("num_steps", num_steps, lo=1)
    lr = v.as_float("lr", lr, lo=0.0, lo_open=True)
    wd = v.as_float("weight_decay", weight_decay, lo=0.0)
    e = v.as_int("embed_dim", embed_dim, lo=1)
    h = v.as_int("hidden", hidden, lo=1)
    if activation not in ma.ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ma.ACTIVATIONS)}, got "
                         f"{activation!r}")
    scale = v.as_float("init_scale", init_scale, lo=0.0, lo_open=True)
    b1 = v.as_float("b1", b1, lo=0.0, hi=1.0, hi_open=True)
    b2 = v.as_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    steps = checkpoint_steps(T, v.as_int("checkpoints", checkpoints, lo=2), "log")
    _, _, dim = ma.make_network(p, e, h, activation)

    # per-run data: padded training indices, weights, masks, labels --------------------------
    splits = [ma.split_indices(p, f, s)[0] for f, s, _ in runs]
    n_train = np.array([len(ix) for ix in splits])
    n_max = int(n_train.max())
    if pad_to is not None:
        n_max = v.as_int("pad_to", pad_to, lo=n_max)
    idx = np.zeros((R, n_max), np.int32)
    wts = np.zeros((R, n_max))
    mask = np.zeros((R, p * p))
    labels = np.empty((R, p * p), np.int32)
    truth = ma.true_labels(p)
    for r, ((_, s, rand), ix) in enumerate(zip(runs, splits)):
        idx[r, :len(ix)] = ix
        wts[r, :len(ix)] = 1.0
        mask[r, ix] = 1.0
        labels[r] = ma.random_labels_for(p, s) if rand else truth
    keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(s), 0x6A0C))(
        jnp.asarray([s for _, s, _ in runs]))
    dtype = jnp.result_type(float)
    if init is None:
        w0 = jnp.zeros((R, 1), dtype)
    else:
        w0 = jnp.asarray(init, dtype)
        if w0.shape == (dim,):
            w0 = jnp.broadcast_to(w0, (R, dim))
        if w0.shape != (R, dim):
            raise ValueError(f"init must have shape ({dim},) or ({R}, {dim}), got "
                             f"{tuple(w0.shape)}")
    args = [keys, w0, jnp.asarray(idx), jnp.asarray(wts, dtype), jnp.asarray(mask, dtype),
            jnp.asarray(labels)]
    hyper = {"lr": jnp.asarray(lr, dtype), "wd": jnp.asarray(wd, dtype),
             "b1": jnp.asarray(b1, dtype), "b2": jnp.asarray(b2, dtype),
             "init_scale": jnp.asarray(scale, dtype)}
    chunk = default_chunk(R) if chunk is None else v.as_int("chunk", chunk, lo=1, hi=R)
    n_chunks = -(-R // chunk)
    fill = np.arange(n_chunks * chunk) % R          # pad with copies of the first runs

    def chunks(a):
        return a[fill].reshape((n_chunks, chunk) + a.shape[1:])

    args = [chunks(a) for a in args]
    # several devices: the runs of each chunk are split over them
    sharding = batch_sharding(chunk, "run", devices)
    if sharding is not None:
        spec = jax.sharding.NamedSharding(sharding.mesh,
                                          jax.sharding.PartitionSpec(None, "run"))
        args = [jax.device_put(a, spec) for a in args]
    fn = _runner(p, e, h, activation, init is not None)
    params, metrics = fn(*args, jnp.asarray(np.diff(steps), jnp.int32), hyper)
    params = np.asarray(params).reshape((n_chunks * chunk,) + params.shape[2:])[:R]
    metrics = np.asarray(metrics).reshape((n_chunks * chunk,) + metrics.shape[2:])[:R]
    settings = {"p": p, "embed_dim": e, "hidden": h, "activation": activation, "dim": dim,
                "optimizer": "adamw (full batch)", "lr": lr, "weight_decay": wd, "b1": b1,
                "b2": b2, "num_steps": T, "init_scale": scale,
                "init": "given" if init is not None else "standard",
                "chunk": chunk,
                "devices": devices_used(sharding)}
    return GrokkingRun(
        steps=steps, train_frac=np.array([f for f, _, _ in runs]),
        seed=np.array([s for _, s, _ in runs]), random_labels=np.array([r for _, _, r in runs]),
        n_train=n_train, train_loss=metrics[..., 0], train_acc=metrics[..., 1],
        test_loss=metrics[..., 2], test_acc=metrics[..., 3], params=params, settings=settings,
        seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------- λ̂
def _llc_settings(settings: dict | None) -> dict:
    out = dict(CALIBRATED_LLC)
    for k, x in (settings or {}).items():
        if k not in out:
            raise ValueError(f"llc settings: unknown key {k!r}; allowed {sorted(out)}")
        out[k] = x
    return out


def grokking_llc(run: GrokkingRun, index: int = 0, *, key, checkpoints=None,
                 settings: dict | None = None) -> LLCTrajectory:
    r"""λ̂ at the checkpoints of run ``index`` on its own training data.

    Calls :func:`~slt_sim.dynamics.llc_trajectory` on the run's
    :class:`~slt_sim.models.Model` unchanged: λ̂(w_k) = nβ (E[L_n] − L_n(w_k)) under
    exp(−nβ L_n(w) − (γ/2)‖w − w_k‖²), n the training-set size.

    Args:
      run: a :class:`GrokkingRun`.
      index: which run.
      key: ``jax.random`` key.
      checkpoints: indices of the checkpoints to measure (default: all).
      settings: overrides of :data:`CALIBRATED_LLC` (e.g. :data:`DEVINTERP_LLC`).
    """
    s = _llc_settings(settings)
    model = run.model(index)
    traj = llc_trajectory(_loss_of(run), run.params[index], key=key, checkpoints=checkpoints,
                          data=model.extra["train"], **s)
    return dataclasses.replace(traj, steps=run.steps[np.asarray(traj.steps)])


def _loss_of(run: GrokkingRun):
    """The network's mean cross-entropy ``loss(w, batch)``: the same function the run's Model
    has as its per-sample loss, shared by all splits so that λ̂ compiles once per data size."""
    s = run.settings
    return ma.network_loss(s["p"], s["embed_dim"], s["hidden"], s["activation"])


def point_llc(run: GrokkingRun, index: int, *, key, checkpoint: int = -1, data=None,
              settings: dict | None = None) -> tuple[float, float, float]:
    """(λ̂, its s.e., L_n) of one checkpoint of run ``index`` (default: the last).

    ``data`` replaces the run's training data (e.g. a subset, for the free-energy reading).
    """
    from ..measure.llc import estimate_llc

    s = _llc_settings(settings)
    model = run.model(index)
    data = model.extra["train"] if data is None else data
    res = estimate_llc(_loss_of(run), jnp.asarray(run.params[index, checkpoint]), key=key,
                       data=data, **s)
    return res.llc_mean, res.llc_std, res.init_loss


# ----------------------------------------------------------------------------- critical size
@dataclass(frozen=True)
class CriticalSize:
    r"""Test accuracy against training fraction, and the free-energy reading of it.

    Attributes:
      train_frac: the swept fractions (F,); n: training-set sizes (F,).
      test_acc_per_seed, train_acc_per_seed: final accuracies (F, S).
      test_acc_mean: (F,); grok_step_median: median first step with test acc ≥ 0.9 over the
        seeds that got there (NaN: none did); grokked_fraction: share of seeds that did (F,).
      critical_frac: measured — where the mean final test accuracy first crosses 0.5 (linear
        interpolation between swept fractions; NaN if never, 0 if already above at the first).
      loss_gen, llc_gen: L_n and λ̂ of the generalising solution at each n (a grokked network of
        the largest fraction, evaluated on the nested smaller training sets).
      loss_mem, llc_mem: L_n and λ̂ of the memorising solution at each n (a network trained on
        random labels at that fraction).
      free_energy_gen, free_energy_mem: nL_n + λ̂ log n (F,).
      predicted_critical_frac: where F_gen − F_mem changes sign (interpolated), NaN if never.
      settings, warnings, seconds.
    """

    p: int
    train_frac: np.ndarray
    n: np.ndarray
    test_acc_per_seed: np.ndarray
    train_acc_per_seed: np.ndarray
    test_acc_mean: np.ndarray
    grok_step_median: np.ndarray
    grokked_fraction: np.ndarray
    critical_frac: float
    loss_gen: np.ndarray
    llc_gen: np.ndarray
    loss_mem: np.ndarray
    llc_mem: np.ndarray
    free_energy_gen: np.ndarray
    free_energy_mem: np.ndarray
    predicted_critical_frac: float
    settings: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    run: GrokkingRun | None = None

    def as_dict(self) -> dict:
        def num(x):
            x = float(x)
            return None if not math.isfinite(x) else x

        sweep = []
        for i, f in enumerate(self.train_frac):
            sweep.append({
                "train_frac": float(f), "n": int(self.n[i]),
                "test_acc_mean": float(self.test_acc_mean[i]),
                "test_acc_per_seed": self.test_acc_per_seed[i].tolist(),
                "train_acc_per_seed": self.train_acc_per_seed[i].tolist(),
                "grok_step_median": num(self.grok_step_median[i]),
                "grokked_fraction": float(self.grokked_fraction[i]),
                "loss_gen": num(self.loss_gen[i]), "llc_gen": num(self.llc_gen[i]),
                "loss_mem": num(self.loss_mem[i]), "llc_mem": num(self.llc_mem[i]),
                "free_energy_gen": num(self.free_energy_gen[i]),
                "free_energy_mem": num(self.free_energy_mem[i]),
                "posterior_prefers": None if not (math.isfinite(self.free_energy_gen[i]) and
                                                  math.isfinite(self.free_energy_mem[i]))
                else ("generalising" if self.free_energy_gen[i] < self.free_energy_mem[i]
                      else "memorising")})
        return {"p": self.p, "sweep": sweep, "critical_frac": num(self.critical_frac),
                "predicted_critical_frac": num(self.predicted_critical_frac),
                "settings": dict(self.settings), "warnings": list(self.warnings),
                "seconds": self.seconds}


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """First x where y crosses ``level`` upwards (linear interpolation); NaN if never."""
    above = y >= level
    if not above.any():
        return math.nan
    j = int(np.argmax(above))
    if j == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[j - 1], x[j], y[j - 1], y[j]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))


def critical_dataset_size(p: int = 53, train_fracs: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.6,
                                                                       0.8),
                          seeds: int | Sequence[int] = 3, *, key, num_steps: int = 3000,
                          lr: float = 3e-3, weight_decay: float = 1.0, embed_dim: int = 12,
                          hidden: int = 48, activation: str = "gelu", checkpoints: int = 20,
                          llc_settings: dict | None = None, free_energy: bool = True,
                          pad_to: int | None = None, devices: Any = None) -> CriticalSize:
    r"""Sweep the training fraction: where does generalisation appear, and what does F predict?

    One vectorised training call runs every (fraction, seed) with true labels plus one
    random-label run per fraction (seed 0). The measured critical fraction is where the mean
    final test accuracy crosses 0.5. The free-energy reading compares, at each training-set size
    n, a generalising solution (the grokked network of the largest fraction with the best test
    accuracy, on the nested training set of size n) with a memorising one (the random-label
    network of that size, which fits n points with nothing to generalise):

        F_gen(n) = n L_n(w_gen) + λ̂_gen log n,    F_mem(n) = n L_n(w_mem) + λ̂_mem log n,

    and predicts that the posterior prefers the generaliser where F_gen < F_mem (Watanabe 2009;
    the free energy of a region is n times its loss plus λ log n, up to O(log log n) and
    constants). λ̂ by :func:`point_llc` with ``llc_settings`` (default :data:`CALIBRATED_LLC`).

    Args:
      seeds: a count S (seeds 0..S−1) or the seeds.
      key: ``jax.random`` key of the λ̂ estimates.
      free_energy: ``False`` skips the random-label runs and the λ̂ estimates (the prediction
        is then NaN).
      Others: as :func:`train_grokking`.
    """
    t0 = time.perf_counter()
    fracs = sorted(_as_list("train_fracs", train_fracs, _frac))
    if len(fracs) < 2:
        raise ValueError(f"train_fracs must hold at least 2 fractions, got {fracs}")
    if np.ndim(seeds) == 0:
        seed_list = list(range(v.as_int("seeds", seeds, lo=1)))
    else:
        seed_list = _as_list("seeds", seeds, _seed)
    S, F = len(seed_list), len(fracs)
    extra = F if free_energy else 0
    run_f = [f for f in fracs for _ in seed_list] + list(fracs)[:extra]
    run_s = [s for _ in fracs for s in seed_list] + [seed_list[0]] * extra
    run_r = [False] * (F * S) + [True] * extra
    run = train_grokking(p, run_f, run_s, random_labels=run_r, grid=False,
                         num_steps=num_steps, lr=lr, weight_decay=weight_decay,
                         embed_dim=embed_dim, hidden=hidden, activation=activation,
                         checkpoints=checkpoints, pad_to=pad_to, devices=devices)
    test = run.test_acc[:F * S, -1].reshape(F, S)
    train = run.train_acc[:F * S, -1].reshape(F, S)
    grok = run.grok_step()[:F * S].reshape(F, S)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        grok_median = np.nanmedian(grok, axis=1)
    grokked = np.mean(np.isfinite(grok), axis=1)
    mean = test.mean(axis=1)
    fr = np.asarray(fracs)
    critical = _crossing(fr, mean, 0.5)
    n = run.n_train[:F * S:S]
    notes: list[str] = []
    nan = np.full(F, np.nan)
    loss_gen, llc_gen, loss_mem, llc_mem = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    if free_energy:
        best = int(np.argmax(test[-1]))
        g = (F - 1) * S + best
        if test[-1, best] < GROK_THRESHOLD:
            notes.append(f"no seed generalised at the largest fraction {fracs[-1]:g} (best test "
                         f"accuracy {test[-1, best]:.2f}); the 'generalising' solution is not "
                         "one — train longer")
        gen_model = run.model(g)
        for i, f in enumerate(fracs):
            sub = ma.modular_addition(p, f, int(run.seed[g]), embed_dim=embed_dim,
                                      hidden=hidden, activation=activation).extra["train"]
            llc_gen[i], _, loss_gen[i] = point_llc(run, g, key=jax.random.fold_in(key, i),
                                                   data=sub, settings=llc_settings)
            m = F * S + i
            llc_mem[i], _, loss_mem[i] = point_llc(run, m, key=jax.random.fold_in(key, 100 + i),
                                                   settings=llc_settings)
        del gen_model
        if np.any(run.train_acc[F * S:, -1] < GROK_THRESHOLD):
            notes.append("some random-label networks did not fit their training set (train "
                         "accuracy < 0.9): their loss term n·L is large, which is part of why "
                         "memorising loses at large n")
    log_n = np.log(n)
    f_gen = n * loss_gen + llc_gen * log_n
    f_mem = n * loss_mem + llc_mem * log_n
    predicted = _crossing(fr, -(f_gen - f_mem), 0.0) if free_energy else math.nan
    emit(notes, FitWarning, stacklevel=2)
    settings = dict(run.settings, seeds=seed_list,
                    llc=_llc_settings(llc_settings) if free_energy else None,
                    memoriser="random labels, seed " + str(seed_list[0]),
                    generaliser=f"train_frac {fracs[-1]:g}, best seed")
    return CriticalSize(
        p=p, train_frac=fr, n=n, test_acc_per_seed=test, train_acc_per_seed=train,
        test_acc_mean=mean, grok_step_median=grok_median, grokked_fraction=grokked,
        critical_frac=critical, loss_gen=loss_gen, llc_gen=llc_gen, loss_mem=loss_mem,
        llc_mem=llc_mem, free_energy_gen=f_gen, free_energy_mem=f_mem,
        predicted_critical_frac=predicted, settings=settings, warnings=tuple(notes),
        seconds=time.perf_counter() - t0, run=run)
