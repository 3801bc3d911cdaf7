"""The scripted morning: re-plan at 11:00 against a from-scratch re-solve.

Usage: python -m benchmarks.replan_morning [--network SOURCE] [--seeds 0,1,2,3,4]
       [--time-limit S] [--replan-limit S] [--out FILE]

Each seed is a generated default day (``datasets.generator``: 20 engineers, about 150 visits,
2 events; © OpenStreetMap contributors), planned with the time limit and published. At 11:00
the day has gone as planned (visits that should have ended are done, the one under way is
started, the next one en route), and then: one engineer calls in sick, five urgent repairs
come in (priority 1, two-hour windows from 12:00), two customers cancel, and one job runs 40
minutes over (it started 40 minutes late). The rest of the day is planned twice:

* *re-plan*: ``scheduler.replan.replan`` with the default churn weights, from the published
  routes, for ``--replan-limit`` seconds;
* *from scratch*: the same rest of the day with no churn weights and no start routes.

Reported per day: wall seconds of the re-plan, visits reassigned, moved beyond 15 minutes,
promises broken (later / earlier), driving of the rest of the day, urgent visits served of
those that fit, for both; then the medians and the ratio of reassignments.
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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from datasets.generator import generate_day
from scheduler.churn import Churn, churn_between
from scheduler.day_state import DayState, EngineerState, VisitState, VisitStatus
from scheduler.domain import Plan, Problem, TimeWindow, Visit
from scheduler.kpis import compute_kpis
from scheduler.network import RoadNetwork, load_network
from scheduler.replan import ChurnWeights, replan, replan_problem
from scheduler.solver import solve
from scheduler.travel import travel_time_matrix_for

AT = 11 * 3600


def scripted_morning(
    problem: Problem, plan: Plan, seed: int
) -> tuple[Problem, DayState, list[str]]:
    """The day with five urgent visits added, and its state at 11:00 (see the module text);
    the ids of the urgent visits."""
    rng = random.Random(seed)
    visits: dict[str, VisitState] = {}
    engineers: dict[str, EngineerState] = {}
    overrun = None
    for r in plan.routes:
        for i, s in enumerate(r.stops):
            if s.end <= AT:
                visits[s.visit_id] = VisitState(VisitStatus.DONE, s.start, s.end)
            elif s.start <= AT:
                visits[s.visit_id] = VisitState(VisitStatus.STARTED, s.start)
            elif i == 0 or r.stops[i - 1].end <= AT:
                visits[s.visit_id] = VisitState(VisitStatus.EN_ROUTE)
    started = [vid for vid, vs in visits.items() if vs.status is VisitStatus.STARTED]
    if started:
        overrun = rng.choice(sorted(started))
        vs = visits[overrun]
        assert vs.actual_start is not None
        visits[overrun] = dataclasses.replace(vs, actual_start=vs.actual_start + 40 * 60)
    working = sorted(r.engineer_id for r in plan.routes if r.stops)
    sick = rng.choice(working)
    engineers[sick] = EngineerState(off_from=AT)
    later = sorted(
        s.visit_id
        for r in plan.routes
        for s in r.stops
        if s.start > AT + 3600 and s.visit_id not in visits and not s.visit_id.startswith("ev")
    )
    for vid in rng.sample(later, min(2, len(later))):
        visits[vid] = VisitState(VisitStatus.CANCELLED)
    homes = [v for v in problem.visits if not v.is_event]
    urgent = []
    for i in range(5):
        like = rng.choice(homes)
        start = 12 * 3600 + rng.choice([0, 3600, 7200])
        urgent.append(
            Visit(
                id=f"urgent{i + 1}",
                location=like.location,
                duration=40 * 60,
                time_windows=(TimeWindow(start, start + 7200),),
                priority=1,
                required_skills=like.required_skills,
            )
        )
    day = dataclasses.replace(problem, visits=(*problem.visits, *urgent))
    return day, DayState(visits, engineers), [v.id for v in urgent]


@dataclass(frozen=True)
class Outcome:
    seed: int
    seconds: float
    replanned: Churn
    scratch: Churn
    driving: tuple[int, int]  # seconds: re-plan, from scratch
    urgent: tuple[int, int, int]  # served by re-plan, by scratch, that fit at all


def run_day(network_provider: RoadNetwork, problem: Problem, seed: int, time_limit: float,
            replan_limit: float) -> Outcome:  # fmt: skip
    matrix, _ = travel_time_matrix_for(problem, network_provider)
    options = dataclasses.replace(problem.options, time_limit=time_limit)
    published = solve(problem, matrix, options)
    day, state, urgent = scripted_morning(problem, published, seed)
    day_matrix, _ = travel_time_matrix_for(day, network_provider)
    rest = replan_problem(day, published, state, AT)
    rest_matrix, _ = travel_time_matrix_for(rest, network_provider)
    fast = dataclasses.replace(day.options, time_limit=replan_limit)
    began = time.monotonic()
    result = replan(day, day_matrix, published, state, AT, options=fast, rest_matrix=rest_matrix)
    seconds = time.monotonic() - began
    scratch_problem = dataclasses.replace(
        result.problem,
        visits=tuple(dataclasses.replace(v, previous=None) for v in result.problem.visits),
        engineers=tuple(dataclasses.replace(e, next_visit=None) for e in result.problem.engineers),
    )
    scratch_options = dataclasses.replace(fast, weights=day.options.weights)
    scratch = solve(scratch_problem, rest_matrix, scratch_options)
    left = {v.id for v in rest.visits}
    gone = {s.visit_id for r in published.routes for s in r.stops if s.visit_id not in left}
    promises = {v.id: v.previous.promise for v in result.problem.visits
                if v.previous is not None and v.previous.promise is not None}  # fmt: skip
    tolerance = ChurnWeights().tolerance
    scratch_churn = churn_between(published, scratch, tolerance=tolerance, promises=promises,
                                  gone=gone)  # fmt: skip
    drive = (
        compute_kpis(result.problem, result.plan, rest_matrix).travel_time_s,
        compute_kpis(scratch_problem, scratch, rest_matrix).travel_time_s,
    )
    fits = {u for u in urgent if u in left}
    served_r = {s.visit_id for r in result.plan.routes for s in r.stops} & fits
    served_s = {s.visit_id for r in scratch.routes for s in r.stops} & fits
    explained = {u.visit_id for u in result.plan.unassigned if u.visit_id in fits}
    could = len(fits) - sum(1 for u in result.plan.unassigned
                           if u.visit_id in explained and u.reason.value != "CAPACITY")  # fmt: skip
    return Outcome(seed, seconds, result.churn, scratch_churn, drive,
                   (len(served_r), len(served_s), could))  # fmt: skip


def table(rows: Sequence[Outcome]) -> str:
    lines = [
        "| seed | re-plan s | reassigned (re-plan / scratch) | moved > 15 min | "
        "promises broken later+earlier | driving s | urgent served / fit |",
        "| ---: | ---: | --- | --- | --- | --- | --- |",
    ]
    for o in rows:
        a, b = o.replanned, o.scratch
        lines.append(
            f"| {o.seed} | {o.seconds:.1f} | {a.reassigned} / {b.reassigned} | {a.moved} / "
            f"{b.moved} | {a.promises_broken_later}+{a.promises_broken_earlier} / "
            f"{b.promises_broken_later}+{b.promises_broken_earlier} | {o.driving[0]} / "
            f"{o.driving[1]} | {o.urgent[0]} / {o.urgent[2]} (scratch {o.urgent[1]}) |"
        )
    ratio = sum(o.replanned.reassigned for o in rows) / max(1, sum(o.scratch.reassigned
                                                                    for o in rows))  # fmt: skip
    extra = statistics.median(o.driving[0] / max(1, o.driving[1]) - 1 for o in rows)
    lines += [
        "",
        f"Median re-plan time {statistics.median(o.seconds for o in rows):.1f} s; "
        f"reassignments {100 * ratio:.0f}% of the from-scratch re-solve's; median driving "
        f"{100 * extra:+.1f}% against it.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replan_morning",
                                     description=__doc__)  # fmt: skip
    parser.add_argument("--network", default="bundled")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--time-limit", type=float, default=30.0, help="the first plan's")
    parser.add_argument("--replan-limit", type=float, default=4.0, help="each re-plan's")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    network = load_network(args.network)
    provider = RoadNetwork(network)
    rows = []
    for seed in [int(x) for x in args.seeds.split(",") if x]:
        problem = generate_day(network, size="default", seed=seed)
        rows.append(run_day(provider, problem, seed, args.time_limit, args.replan_limit))
        print(f"seed {seed}: done", file=sys.stderr, flush=True)
    text = table(rows)
    print(text)
    if args.out is not None:
        header = (
            f"\nCommand: `python -m benchmarks.replan_morning {' '.join(argv or sys.argv[1:])}`"
            f"  \nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; date {dt.date.today().isoformat()}\n\n"
        )
        with args.out.open("a") as f:
            f.write(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
