"""Compare first-solution strategies and metaheuristics on synthetic days.

Usage: python -m benchmarks.search_strategies [--time-limit S] [--seeds N] [--out FILE]

Prints a Markdown table (objective in cost units; lower is better; visits served) and
appends it, with the command, machine and date, to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import statistics
import sys
import time

from benchmarks.synthetic import synthetic_day
from scheduler.domain import SolveOptions
from scheduler.solver import solve
from scheduler.travel import travel_time_matrix_for

SIZES = [(30, 5, 1), (150, 20, 2)]
CONFIGS = [
    ("PARALLEL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH"),
    ("LOCAL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH"),
    ("PATH_CHEAPEST_ARC", "GUIDED_LOCAL_SEARCH"),
    ("SAVINGS", "GUIDED_LOCAL_SEARCH"),
    ("PARALLEL_CHEAPEST_INSERTION", "SIMULATED_ANNEALING"),
    ("PARALLEL_CHEAPEST_INSERTION", "TABU_SEARCH"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    rows = []
    for visits, engineers, events in SIZES:
        results: dict[tuple[str, str], list[tuple[int, int]]] = {c: [] for c in CONFIGS}
        for seed in range(args.seeds):
            problem = synthetic_day(visits, engineers, events=events, seed=seed)
            matrix, _ = travel_time_matrix_for(problem)
            for first, meta in CONFIGS:
                options = dataclasses.replace(
                    SolveOptions(),
                    time_limit=args.time_limit,
                    first_solution=first,
                    metaheuristic=meta,
                )
                t0 = time.monotonic()
                plan = solve(problem, matrix, options)
                assert plan.stats is not None and plan.stats.objective is not None
                served = sum(len(r.stops) for r in plan.routes)
                results[(first, meta)].append((plan.stats.objective, served))
                print(
                    f"{visits} visits seed {seed} {first}+{meta}: objective {plan.stats.objective} "
                    f"served stops {served} ({time.monotonic() - t0:.1f} s)",
                    file=sys.stderr,
                )
        best = {s: min(results[c][s][0] for c in CONFIGS) for s in range(args.seeds)}
        for c in CONFIGS:
            ratios = [results[c][s][0] / best[s] for s in range(args.seeds)]
            rows.append(
                f"| {visits} visits / {engineers} engineers / {events} events | {c[0]} | {c[1]} "
                f"| {statistics.median(r[0] for r in results[c]):,.0f} "
                f"| {statistics.median(ratios):.3f} "
                f"| {statistics.median(r[1] for r in results[c]):.0f} |"
            )
    table = "\n".join(
        [
            "| day | first solution | metaheuristic | median objective "
            "| median ratio to best | median stops served |",
            "| --- | --- | --- | ---: | ---: | ---: |",
            *rows,
        ]
    )
    header = (
        f"Command: `python -m benchmarks.search_strategies --time-limit {args.time_limit:g} "
        f"--seeds {args.seeds}`; machine: {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; date: {dt.date.today().isoformat()}; time limit per "
        f"solve {args.time_limit:g} s; synthetic days (benchmarks/synthetic.py), haversine times.\n"
    )
    print(header)
    print(table)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + header + "\n" + table + "\n")


if __name__ == "__main__":
    main()
