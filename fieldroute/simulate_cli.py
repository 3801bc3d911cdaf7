"""``fieldroute simulate``: run scenarios, write their comparison as CSV files and plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scheduler.errors import ProblemError


def add_command(sub: Any) -> None:
    """Add the ``simulate`` sub-command to the ``fieldroute`` parser's sub-parsers."""
    p = sub.add_parser(
        "simulate",
        help="simulate outreach-day scenarios over random home demand and compare them",
        description="Replicate each scenario's day over random home-service demand, plan it, "
        "and write per-replication KPIs, means with 95% confidence intervals and plots.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        type=Path,
        metavar="SCENARIO",
        help="scenario file(s), .json or .yaml (see examples/outreach_*.yaml)",
    )
    p.add_argument("--out", type=Path, required=True, help="directory for the CSV files and plots")
    p.add_argument(
        "--replications", type=int, default=10, help="days simulated per scenario (default 10)"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on a dask.distributed scheduler (tcp://host:8786) instead of local processes",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="local processes (default: the CPU count; 1 runs in this process)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the comparison")


def run_command(args: argparse.Namespace) -> int:
    """Run ``fieldroute simulate``; errors propagate for the CLI to report (exit 2 / 1)."""
    from scheduler.simulate.compare import differences, side_by_side, write_outputs
    from scheduler.simulate.executor import Executor, InlineExecutor, executor_for
    from scheduler.simulate.run import run_many
    from scheduler.simulate.scenario import load_scenario, scenario_names_unique

    if args.replications < 1:
        raise ProblemError("--replications", "value", args.replications, "must be >= 1")
    if args.workers is not None and args.workers < 1:
        raise ProblemError("--workers", "value", args.workers, "must be >= 1")
    scenarios = [load_scenario(p) for p in args.scenarios]
    scenario_names_unique(scenarios)
    executor: Executor
    if args.dask is None and args.workers == 1:
        executor = InlineExecutor()
    else:
        executor = executor_for(args.dask, args.workers)
    if not args.quiet:
        print(
            f"Simulating {len(scenarios)} scenario(s) x {args.replications} replications "
            f"on {executor.name}",
            file=sys.stderr,
        )
    end = "\r" if sys.stderr.isatty() else "\n"

    def report(done: int, total: int) -> None:
        if not args.quiet:
            print(f"  {done}/{total} days planned", end=end, file=sys.stderr, flush=True)

    try:
        results = run_many(scenarios, args.replications, executor, report)
    finally:
        close = getattr(executor, "close", None)
        if close is not None:
            close()
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    written = write_outputs(results, args.out)
    if not args.quiet:
        print(side_by_side(results).to_string())
        if len(results) > 1:
            print(f"\nDifference from {results[0].name} (95% CI):")
            d = differences(results)
            for name, group in d.groupby("scenario", sort=False):
                print(f"  {name} ({group['method'].iloc[0]}):")
                for row in group.itertuples():
                    print(
                        f"    {row.metric:22s} {row.difference:+8.2f} "
                        f"[{row.ci_low:+.2f}, {row.ci_high:+.2f}]"
                    )
        print(f"\nWritten to {args.out}: " + ", ".join(p.name for p in written))
    return 0
