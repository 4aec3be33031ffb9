"""``slt-sim info``: versions, the JAX backend and its devices — does slt_sim see the GPU?"""

from __future__ import annotations

import platform

from ._common import emit


def register(sub) -> None:
    p = sub.add_parser("info", help="versions, JAX backend and devices (check GPU use)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args) -> int:
    import jax

    import slt_sim

    devices = jax.devices()
    out = {
        "slt_sim": slt_sim.__version__, "python": platform.python_version(),
        "jax": jax.__version__, "backend": jax.default_backend(),
        "devices": [str(d) for d in devices], "device_count": len(devices),
        "float64": bool(jax.config.jax_enable_x64),
    }
    lines = [f"slt_sim {out['slt_sim']} (Python {out['python']}, JAX {out['jax']})",
             f"backend: {out['backend']}, {len(devices)} device(s): "
             + ", ".join(out["devices"]),
             f"float64: {'on' if out['float64'] else 'off (SLT_SIM_X64=0)'}"]
    if out["backend"] == "cpu":
        lines.append("no accelerator in use: for a GPU install the CUDA build of JAX "
                     "(README, 'On a GPU')")
    emit(out, args.json, "\n".join(lines))
    return 0
