"""Event selection in the routing model against the coverage optimum and a planner's rule.

Usage: python -m benchmarks.event_selection [--days N] [--venues N] [--budget-hours H]
       [--solution-limit N] [--out FILE]

Each day is replication ``i`` of ``examples/outreach_two_events.yaml`` (6 engineers, about 38
home visits on the bundled central-Helsinki network, © OpenStreetMap contributors) with
``--venues`` community places of the extract as candidate two-engineer, 2.5-hour events
(start 10:00-13:00) in place of its two events. Residents: households within a 5-minute walk.

Per day it reports the *coverage bound* (the most households any set of candidates within the
engineer-hours budget reaches, by enumerating the sets and ignoring whether a plan can staff
them), the model's choice after its first search only (``max_solves=1``) and after the
ban-one-event searches (default), and a planner's rule of thumb (the venues that each reach
the most households, as many as the budget allows). Prints a Markdown table and appends it,
with the command, machine and date, to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import itertools
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from scheduler.domain import Location, SolveOptions
from scheduler.network import load_network
from scheduler.network.places import Place, community_places
from scheduler.simulate import scenario_from_dict
from scheduler.simulate.coverage import coverage, residents_of
from scheduler.simulate.run import build_day, event_visit_id
from scheduler.simulate.selection import HomeServiceLimits, select_events

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "outreach_two_events.yaml"
EVENT_HOURS = 2 * 2.5  # engineer-hours of one candidate event
LIMITS = HomeServiceLimits(max_deferred=3, max_overtime_min=30)


def spread_venues(places: list[Place], n: int) -> list[Place]:
    """``n`` community venues spread over the area (farthest-point order from the first id)."""
    kinds = {"community_centre", "library", "arts_centre", "townhall", "square", "park"}
    pool = sorted((p for p in places if p.kind in kinds), key=lambda p: p.id)

    def km(p: Place) -> np.typing.NDArray[np.float64]:
        return np.array([p.lon * 55.6, p.lat * 111.2])

    picked = [pool[0]]
    while len(picked) < min(n, len(pool)):
        rest = [p for p in pool if p not in picked]
        picked.append(
            max(rest, key=lambda p: min(float(np.linalg.norm(km(p) - km(q))) for q in picked))
        )
    return picked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--venues", type=int, default=8)
    parser.add_argument("--budget-hours", type=float, default=15.0)
    parser.add_argument("--solution-limit", type=int, default=30)
    parser.add_argument("--out")
    args = parser.parse_args()

    network = load_network("bundled")
    venues = spread_venues(list(community_places("bundled")), args.venues)
    ids = [f"v{i}" for i in range(len(venues))]
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc = copy.deepcopy(doc)
    doc.update(
        name="candidates",
        policy={"events": "optional"},
        solver={"solution_limit": args.solution_limit, "time_limit_s": 120},
        events=[
            {
                "id": vid,
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "start_window": {"earliest": "10:00", "latest": "13:00"},
                "duration_min": 150,
                "engineers_required": 2,
            }
            for vid, p in zip(ids, venues, strict=True)
        ],
    )
    scenario = scenario_from_dict(doc)
    locations = [
        Location(event_visit_id(v), p.lat, p.lon) for v, p in zip(ids, venues, strict=True)
    ]
    walk = coverage(network, locations, residents_of(network), minutes=5, mode="walk")
    events = [event_visit_id(v) for v in ids]
    most = int(args.budget_hours // EVENT_HOURS)
    bound = max(
        walk.unique_residents(s) for k in range(most + 1) for s in itertools.combinations(events, k)
    )
    by_reach = sorted(events, key=lambda e: (-walk.event(e).residents, e))[:most]
    options = SolveOptions(time_limit=120, solution_limit=args.solution_limit)

    rows = []
    for day_no in range(args.days):
        day = build_day(scenario, day_no)
        home = sum(1 for v in day.problem.visits if not v.is_event)
        out = {}
        for label, solves in (("first", 1), ("full", 8)):
            t0 = time.perf_counter()
            r = select_events(
                day.problem,
                day.matrix,
                walk,
                budget_hours=args.budget_hours,
                limits=LIMITS,
                manual=by_reach if label == "full" else None,
                options=options,
                max_solves=solves,
            )
            out[label] = (r, time.perf_counter() - t0)
        full, full_s = out["full"]
        first, first_s = out["first"]
        assert full.manual is not None
        searches = full.chosen.plan.stats.solves if full.chosen.plan.stats else 0
        rows.append(
            f"| {day_no} | {home} | {bound:.0f} | {first.chosen.residents:.0f} | {first_s:.1f} "
            f"| {full.chosen.residents:.0f} | {searches} "
            f"| {full_s:.1f} | {full.chosen.home_deferred} | {full.chosen.lateness_min:.0f} "
            f"| {full.manual.residents:.0f} | {full.manual.home_deferred} "
            f"| {full.manual.lateness_min:.0f} | {'yes' if full.manual.within_limits else 'no'} |"
        )
        print(rows[-1], flush=True)

    command = "python -m benchmarks.event_selection " + " ".join(sys.argv[1:])
    header = (
        f"Command: `flock /tmp/fieldroute-bench.lock .venv/bin/{command.strip()}`; machine: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"date: {dt.date.today().isoformat()}. {len(venues)} candidate venues, budget "
        f"{args.budget_hours:g} engineer-hours (at most {most} events), limits: at most "
        f"{LIMITS.max_deferred} home visits deferred, {LIMITS.max_overtime_min:g} min overtime "
        f"per engineer; solution limit {args.solution_limit} per search.\n\n"
        "| day | home visits | coverage bound | model, first search | s | model | searches | s "
        "| deferred | lateness min | top-by-reach rule | deferred | lateness min "
        "| within limits |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | --- |\n"
    )
    table = header + "\n".join(rows) + "\n"
    print(table)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n" + table)


if __name__ == "__main__":
    main()
