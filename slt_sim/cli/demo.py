"""``slt-sim demo``: the Bayesian phase-change demo (figures + summary.json)."""

from __future__ import annotations

from ._common import emit


def register(sub) -> None:
    p = sub.add_parser("demo", help="watch the posterior jump between basins as n grows")
    p.add_argument("--out", default="demo_output", help="folder for PNGs and summary.json")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..demo import format_table, run_demo

    summary = run_demo(args.out)
    emit(summary, args.json, format_table(summary) + f"\nwritten to {args.out}/")
    return 0
