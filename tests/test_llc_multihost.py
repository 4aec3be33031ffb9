"""estimate_llc under jax.distributed: two processes (one CPU device each) share the chains."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WORKER = textwrap.dedent("""
    import os, sys, json
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=1"
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{sys.argv[2]}", num_processes=2,
                               process_id=int(sys.argv[1]))
    import jax.numpy as jnp
    import slt_sim as slt
    from slt_sim.measure import estimate_llc
    r = estimate_llc(slt.models.normal_crossing((1, 2)), jnp.zeros(2), key=jax.random.key(7),
                     n=10000, step_size=1e-4, num_chains=4, num_draws=500, num_burnin=100)
    print(json.dumps({"devices": r.devices, "llc": r.llc_mean,
                      "trace_sum": float(r.loss_trace.sum())}), flush=True)
    jax.distributed.shutdown()
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_shard_the_chains_and_agree_with_one(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    port = str(_free_port())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)
    procs = [subprocess.Popen([sys.executable, str(script), str(i), port], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    print(results)
    assert all(r["devices"] == 2 for r in results)
    assert results[0] == results[1]
    # the single-process value of tests/test_llc.py::test_same_seed_same_numbers...
    import jax
    import jax.numpy as jnp

    import slt_sim as slt
    from slt_sim.measure import estimate_llc
    one = estimate_llc(slt.models.normal_crossing((1, 2)), jnp.zeros(2), key=jax.random.key(7),
                       n=10000, step_size=1e-4, num_chains=4, num_draws=500, num_burnin=100)
    assert results[0]["llc"] == pytest.approx(one.llc_mean, rel=1e-12)
