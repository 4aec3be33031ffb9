"""Sharding of a leading batch axis (chains, seeds, replicas) over devices with jax.sharding,
and moving the per-item keys onto it and the results back to the host."""

from __future__ import annotations

import jax
import numpy as np


def batch_sharding(size: int, axis_name: str, devices=None):
    """NamedSharding that splits a leading axis of length ``size`` over the devices.

    Uses ``jax.devices()`` by default (all local devices; under ``jax.distributed`` all devices
    of all hosts). The number of devices used is the largest divisor of ``size`` not exceeding
    the device count, so every device holds the same share. Returns ``None`` when that number
    is 1 (nothing to shard).
    """
    devs = list(jax.devices() if devices is None else devices)
    k = max(d for d in range(1, len(devs) + 1) if size % d == 0)
    if k == 1:
        return None
    mesh = jax.sharding.Mesh(np.asarray(devs[:k]), (axis_name,))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(axis_name))


def chain_sharding(num_chains: int, devices=None):
    """Sharding of the leading chain axis of SG-MCMC chains (LLC estimates, calibration)."""
    return batch_sharding(num_chains, "chain", devices)


def seed_sharding(num_seeds: int, devices=None):
    """Sharding of the leading seed axis of SGD runs."""
    return batch_sharding(num_seeds, "seed", devices)


def devices_used(sharding) -> int:
    """Number of devices a sharding from :func:`batch_sharding` spans (1 for ``None``)."""
    return 1 if sharding is None else len(sharding.mesh.devices.ravel())


def shard_keys(keys: jax.Array, sharding) -> jax.Array:
    """Place per-chain (or per-seed) keys on a batch sharding, on one host or many.

    On one host this is ``jax.device_put``. With several processes (``jax.distributed``) every
    process holds the same keys (they come from the same seed), and each contributes the shards
    of its own devices.
    """
    if sharding is None:
        return keys
    if jax.process_count() == 1:
        return jax.device_put(keys, sharding)
    raw = np.asarray(jax.random.key_data(keys))
    arr = jax.make_array_from_callback(raw.shape, sharding, lambda index: raw[index])
    return jax.random.wrap_key_data(arr, impl=jax.random.key_impl(keys))


def to_host(x) -> np.ndarray:
    """A (possibly multi-host sharded) array as one NumPy array on every process."""
    if getattr(x, "is_fully_addressable", True):
        return np.asarray(x)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
