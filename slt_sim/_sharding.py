"""Sharding of a leading batch axis (chains, seeds, replicas) over devices with jax.sharding."""

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
