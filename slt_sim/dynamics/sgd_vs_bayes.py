r"""Where SGD goes against where the posterior goes, on one landscape, for a sweep of n.

For every data count n the comparison reports

* the fraction of S SGD runs that end in each region of the model (fresh data of size n per seed
  for a data model; for a potential L_n = K does not depend on n, so one set of runs serves every
  n), and
* the exact posterior mass of each region, ∫_{W_α} p_n^β(w) dw (grid quadrature, d ≤ 3).

The posterior follows the free energies F_n(W_α) ≈ nβL_α + λ_α log n − (m_α − 1) log log n + c_α
and switches region at the critical n; SGD follows basins of attraction (changed by learning rate,
minibatch noise and initialisation), not free energies. The gap between the two rows is the point.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
import optax

from .. import _validate as v
from .. import theory
from .._results import fields_dict
from ..models.base import Model
from .sgd import SGDResult, train_sgd


@dataclass(frozen=True)
class SGDvsBayes:
    """SGD end-region fractions next to exact posterior region masses, per n.

    Attributes:
      model_name: the model.
      ns: data counts n, shape (N,).
      region_names: the model's regions.
      sgd_fractions: {region, "none", "diverged": fraction of runs ending there, shape (N,)}.
      posterior_masses: {region: exact posterior mass, shape (N,)}, or None (no exact engine).
      predicted_critical_n: the free-energy prediction of the posterior's switch between the
        two regions with known (loss, λ, m) (:func:`slt_sim.theory.critical_n`), or None.
      runs: the SGD results, one per n (the same object for every n of a potential).
      settings: the settings that produced it; seconds: wall time.
    """

    model_name: str
    ns: np.ndarray
    region_names: tuple[str, ...]
    sgd_fractions: dict[str, np.ndarray]
    posterior_masses: dict[str, np.ndarray] | None
    predicted_critical_n: float | None
    runs: tuple[SGDResult, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def table(self) -> str:
        """A plain-text table: one row per n, SGD fraction / posterior mass per region."""
        head = "n".rjust(10) + "".join(f"{r + ' sgd':>14}{r + ' post':>14}"
                                       for r in self.region_names) + f"{'diverged':>10}"
        rows = [head]
        for i, n in enumerate(self.ns):
            row = f"{n:10.4g}"
            for r in self.region_names:
                post = "" if self.posterior_masses is None else \
                    f"{self.posterior_masses[r][i]:.3f}"
                row += f"{self.sgd_fractions[r][i]:14.3f}{post:>14}"
            rows.append(row + f"{self.sgd_fractions['diverged'][i]:10.3f}")
        return "\n".join(rows)

    def as_dict(self, runs: bool = False) -> dict:
        """The fields as plain Python (for JSON) plus ``num_diverged`` per n; ``runs=True``
        keeps the SGD results (each through :meth:`SGDResult.as_dict`)."""
        out = fields_dict(self, skip=() if runs else ("runs",))
        out["num_diverged"] = [int(r.num_diverged) for r in self.runs]
        return out


def compare(model: Model, ns, optimizer: str | optax.GradientTransformation = "sgd", *, key,
            lr: float | None = None, num_seeds: int = 256, num_steps: int = 2000,
            batch_size: int | None = None, init="prior", init_noise: float = 0.0,
            gradient_noise: float = 0.0, beta: float = 1.0, checkpoints: int = 11,
            posterior: bool = True) -> SGDvsBayes:
    r"""SGD end-region fractions against exact posterior region masses for each n in ``ns``.

    Args:
      model: a Model with two or more regions (basins).
      ns: data counts n (for a data model: whole numbers; each run gets fresh data of size n).
      optimizer, lr, num_seeds, num_steps, batch_size, init, init_noise, gradient_noise,
        checkpoints: passed to :func:`~slt_sim.dynamics.train_sgd` (``batch_size`` is used
        only for data models, capped at n).
      key: ``jax.random`` key (SGD runs use ``fold_in(key, 0)``, posterior data ``fold_in(key,
        1)``).
      beta: inverse temperature β of the posterior.
      posterior: compute the exact posterior (needs d ≤ 3; otherwise it is left out).

    Returns:
      :class:`SGDvsBayes`.
    """
    t0 = time.perf_counter()
    v.model(model)
    key = v.prng_key(key)
    if len(model.regions) < 2:
        have = ("no regions" if not model.regions else
                f"one region ({model.regions[0].name!r}), so every run and all the posterior "
                f"mass would land in it")
        raise ValueError(
            f"model {model.name} has {have}: compare needs two or more regions (basins) to "
            f"compare where SGD and the posterior go; give them, e.g. "
            f"models.polynomial(..., regions={{'left': lambda w: w[0] < 0, "
            f"'right': lambda w: w[0] >= 0}})")
    ns = v.data_counts("ns", ns)
    if not model.is_potential and np.any(ns != np.round(ns)):
        raise ValueError(f"ns must be whole numbers for the data model {model.name}, got {ns}")
    beta = v.as_float("beta", beta, lo=0.0, lo_open=True)
    k_sgd, k_post = jax.random.fold_in(key, 0), jax.random.fold_in(key, 1)
    common = {"key": k_sgd, "lr": lr, "num_seeds": num_seeds, "num_steps": num_steps,
              "init": init, "init_noise": init_noise, "gradient_noise": gradient_noise,
              "checkpoints": checkpoints}
    if model.is_potential:
        if batch_size is not None:
            raise ValueError(f"model {model.name} is a potential (no data): batch_size must be "
                             "None; use gradient_noise to model minibatch noise")
        run = train_sgd(model, optimizer, **common)
        runs = (run,) * len(ns)
    else:
        runs = tuple(train_sgd(model, optimizer, n=int(n), data_per_seed=True,
                               batch_size=None if batch_size is None else min(batch_size, int(n)),
                               **common) for n in ns)
    names = model.region_names
    fractions = {k: np.asarray([r.final_region_fractions()[k] for r in runs])
                 for k in (*names, "none", "diverged")}
    masses = None
    if posterior and model.dim <= 3:
        from ..posterior.exact import exact_posterior

        post = exact_posterior(model, ns, beta=beta, key=k_post)
        masses = {k: np.asarray(x) for k, x in post.region_masses.items()}
    settings = dict(runs[0].settings)
    settings.pop("n", None)
    settings.update(beta=beta, posterior="exact" if masses is not None else None)
    return SGDvsBayes(model_name=model.name, ns=ns, region_names=names,
                      sgd_fractions=fractions, posterior_masses=masses,
                      predicted_critical_n=_predicted_switch(model, beta), runs=runs,
                      settings=settings, seconds=time.perf_counter() - t0)


def _predicted_switch(model: Model, beta: float) -> float | None:
    """Free-energy crossing of the lowest-loss region against the others with known theory."""
    known = [r for r in model.regions if r.loss is not None and r.lam is not None
             and r.m is not None]
    if len(known) < 2:
        return None
    known.sort(key=lambda r: float(r.loss))
    best = known[0]
    crossings = []
    for other in known[1:]:
        a = theory.FreeEnergyLaw(beta * float(best.loss), best.lam, int(best.m))
        b = theory.FreeEnergyLaw(beta * float(other.loss), other.lam, int(other.m))
        nc = theory.critical_n(a, b)
        if nc is not None:
            crossings.append(nc)
    return max(crossings) if crossings else None


def compare_learning_rates(model: Model, ns, lrs: Sequence[float], **kwargs) -> list[SGDvsBayes]:
    """:func:`compare` once per learning rate (same key, so only η changes)."""
    return [compare(model, ns, lr=v.as_float("lrs[i]", lr, lo=0.0, lo_open=True), **kwargs)
            for lr in lrs]
