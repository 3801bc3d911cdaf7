"""Field days: the compiled search against OR-Tools at equal time, on generated days.

Usage: python -m benchmarks.field_days [--network SOURCE] [--sizes small,default]
       [--seeds 0,1,2] [--events-days 0,1,2] [--time-limit S] [--out FILE]

Every day comes from ``datasets.generator`` (lunch breaks, overtime, soft windows, preferred
engineers, community events of 2-3 engineers; © OpenStreetMap contributors). Two sets:

* *field days*: the generator's ``small`` and ``default`` sizes, several seeds;
* *event days*: ``default``-sized days with 2-10 events of 2-4 engineers (seeded choice).

Each day is solved by both engines with the same time limit, one after the other (run it
under ``flock /tmp/fieldroute-bench.lock``). Reported per day: each engine's objective, home
visits served, events held, and the ratio compiled / OR-Tools (below 1: the compiled search is
better); then the median ratio, and how many days the compiled search was worse. Prints a
Markdown table and appends it, with the command, machine and date, to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from datasets.generator import SIZES, generate_day
from scheduler.domain import Plan, Problem, TimeWindow, Visit, VisitKind
from scheduler.network import RoadNetwork, load_network
from scheduler.network.graph import Network
from scheduler.solver import solve
from scheduler.travel import Matrix, travel_time_matrix_for


@dataclass(frozen=True)
class Row:
    """One day solved by both engines: home visits served and events held by each."""

    day: str
    visits: int
    events: int
    compiled: Plan
    ortools: Plan
    served: tuple[tuple[int, int], tuple[int, int]]

    @property
    def ratio(self) -> float:
        a, b = self.compiled.stats, self.ortools.stats
        assert a is not None and b is not None and a.objective and b.objective
        return a.objective / b.objective


def _served(plan: Plan, problem: Problem) -> tuple[int, int]:
    """Home visits served and events held."""
    served = {s.visit_id for r in plan.routes for s in r.stops}
    home = sum(1 for v in problem.visits if not v.is_event and v.id in served)
    events = sum(1 for v in problem.visits if v.is_event and v.id in served)
    return home, events


def with_events(problem: Problem, count: int, seed: int) -> Problem:
    """``problem`` with ``count`` events of 2-4 engineers (3 hours, start 9:00-14:00) at
    homes of the day (its own events replaced)."""
    rng = random.Random(seed)
    homes = [v for v in problem.visits if not v.is_event]
    places = rng.sample(homes, count)
    events = []
    for i, place in enumerate(places, start=1):
        start = rng.choice([9, 10, 11, 12, 13]) * 3600
        events.append(
            Visit(
                id=f"xev{i:02d}",
                location=place.location,
                duration=3 * 3600,
                kind=VisitKind.COMMUNITY_EVENT,
                time_windows=(TimeWindow(start, start + 3600),),
                engineers_required=min(len(problem.engineers), rng.choice([2, 3, 4])),
                priority=rng.choice([1, 2, 3]),
            )
        )  # fmt: skip
    return dataclasses.replace(problem, visits=(*homes, *events))


def solve_both(problem: Problem, matrix: Matrix, time_limit: float) -> tuple[Plan, Plan]:
    """The day solved by each engine with the same time limit."""
    plans = []
    for engine in ("compiled", "ortools"):
        options = dataclasses.replace(
            problem.options, engine=engine, time_limit=time_limit, solution_limit=None
        )
        plans.append(solve(problem, matrix, options))
    return plans[0], plans[1]


def run(
    network: Network, sizes: Sequence[str], seeds: Sequence[int], event_counts: Sequence[int],
    time_limit: float,
) -> list[Row]:  # fmt: skip
    rows = []
    provider = RoadNetwork(network)
    days: list[tuple[str, Problem]] = []
    for size in sizes:
        for seed in seeds:
            days.append((f"{size} seed {seed}", generate_day(network, size=size, seed=seed)))
    for count in event_counts:
        for seed in seeds:
            base = generate_day(network, size=SIZES["default"], seed=100 + seed)
            days.append((f"{count} events seed {seed}", with_events(base, count, seed)))
    for name, problem in days:
        matrix, _ = travel_time_matrix_for(problem, provider)
        compiled, ortools = solve_both(problem, matrix, time_limit)
        events = sum(1 for v in problem.visits if v.is_event)
        served = (_served(compiled, problem), _served(ortools, problem))
        rows.append(Row(name, len(problem.visits), events, compiled, ortools, served))
        row = rows[-1]
        print(f"{name}: ratio {row.ratio:.3f}", file=sys.stderr, flush=True)
    return rows


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| day | visits | events | compiled objective | OR-Tools objective | ratio | "
        "home served (c / o) | events held (c / o) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        assert r.compiled.stats is not None and r.ortools.stats is not None
        (ch, ce), (oh, oe) = r.served
        lines.append(
            f"| {r.day} | {r.visits} | {r.events} | {r.compiled.stats.objective} | "
            f"{r.ortools.stats.objective} | {r.ratio:.3f} | {ch} / {oh} | {ce} / {oe} |"
        )
    ratios = [r.ratio for r in rows]
    worse = sum(1 for x in ratios if x > 1)
    lines += [
        "",
        f"Median ratio compiled / OR-Tools: **{statistics.median(ratios):.3f}** over "
        f"{len(ratios)} days; the compiled search worse on {worse} of them.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.field_days", description=__doc__)
    parser.add_argument("--network", default="bundled")
    parser.add_argument("--sizes", default="small,default")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--events-days", default="2,6,10", help="event counts of the event days")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"--sizes: {s!r} must be one of {', '.join(SIZES)}")
    seeds = [int(x) for x in args.seeds.split(",") if x]
    counts = [int(x) for x in args.events_days.split(",") if x]
    network = load_network(args.network)
    rows = run(network, sizes, seeds, counts, args.time_limit)
    text = table(rows)
    print(text)
    if args.out is not None:
        command = "python -m benchmarks.field_days " + " ".join(argv or sys.argv[1:])
        header = (
            f"\nCommand: `{command}`  \nMachine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; date {dt.date.today().isoformat()}; "
            f"time limit {args.time_limit:g} s per engine and day\n\n"
        )
        with args.out.open("a") as f:
            f.write(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
