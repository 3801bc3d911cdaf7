"""A dispatcher's quick questions on a published day: preview one move, offer booking slots.

Usage: python -m benchmarks.dispatch_changes [--network SOURCE] [--size default|city]
       [--seed N] [--time-limit S] [--moves N] [--requests N] [--out FILE]

A generated day (``datasets.generator``; © OpenStreetMap contributors) is planned with the
time limit and taken as published. Then:

* *preview*: ``--moves`` single moves, each a random served home visit given to another
  engineer with its skills at that engineer's cheapest place (``scheduler.preview``); wall
  milliseconds per preview, and how many were feasible;
* *slots*: ``--requests`` new requests, each at a random visit's place with its skills, 45
  minutes, offered the windows 08-10, 10-12, 12-14 and 14-16 (``scheduler.slots``); wall
  milliseconds per request, the road times to and from the new place included.

Reported: medians and 90th percentiles.
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
from pathlib import Path

from datasets.generator import generate_day
from scheduler.domain import TimeWindow
from scheduler.network import RoadNetwork, load_network
from scheduler.preview import Move, preview
from scheduler.slots import BookingDay, SlotRequest, offer_slots, with_request
from scheduler.solver import solve
from scheduler.travel import extended_matrix, travel_time_matrix_for

H = 3600
WINDOWS = ((8 * H, 10 * H), (10 * H, 12 * H), (12 * H, 14 * H), (14 * H, 16 * H))


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch_changes",
                                     description=__doc__)  # fmt: skip
    parser.add_argument("--network", default="bundled")
    parser.add_argument("--size", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    network = load_network(args.network)
    provider = RoadNetwork(network)
    problem = generate_day(network, size=args.size, seed=args.seed)
    matrix, _ = travel_time_matrix_for(problem, provider)
    options = dataclasses.replace(problem.options, time_limit=args.time_limit)
    plan = solve(problem, matrix, options)
    served = [
        (r.engineer_id, s.visit_id)
        for r in plan.routes
        for s in r.stops
        if not problem.visit(s.visit_id).is_event
    ]
    print(f"published: {len(served)} home visits on {len(problem.engineers)} engineers",
          file=sys.stderr)  # fmt: skip
    rng = random.Random(args.seed)
    preview_ms, feasible = [], 0
    for _ in range(args.moves):
        eid, vid = rng.choice(served)
        v = problem.visit(vid)
        others = [e.id for e in problem.engineers if e.id != eid and v.required_skills <= e.skills
                  and (not v.allowed_engineers or e.id in v.allowed_engineers)]  # fmt: skip
        if not others:
            continue
        move = Move(vid, rng.choice(others))
        began = time.perf_counter()
        result = preview(problem, matrix, plan, [move])
        preview_ms.append(1000 * (time.perf_counter() - began))
        feasible += result.feasible
    slots_ms, offered = [], []
    homes = [v for v in problem.visits if not v.is_event]
    locations = {loc.id: loc for loc in problem.locations}
    for _ in range(args.requests):
        like = rng.choice(homes)
        place = locations[like.location]
        request = SlotRequest(place.lat + rng.uniform(-0.002, 0.002),
                              place.lon + rng.uniform(-0.003, 0.003), 45 * 60,
                              like.required_skills)  # fmt: skip
        began = time.perf_counter()
        day = with_request(problem, request)
        day_matrix = extended_matrix(provider, problem.locations, matrix, day.locations[-1:])
        booking = BookingDay(problem.date.isoformat(), day, day_matrix, plan,
                             tuple(TimeWindow(a, b) for a, b in WINDOWS))  # fmt: skip
        slots = offer_slots([booking], request)
        slots_ms.append(1000 * (time.perf_counter() - began))
        offered.append(len(slots))
    lines = [
        f"Day: size {args.size}, seed {args.seed}, {len(problem.visits)} visits, "
        f"{len(problem.engineers)} engineers, planned {args.time_limit:g} s on {args.network}.",
        "",
        "| question | runs | median ms | p90 ms | outcome |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| preview one move | {len(preview_ms)} | {statistics.median(preview_ms):.0f} | "
        f"{percentile(preview_ms, 0.9):.0f} | {feasible} feasible |",
        f"| booking slots, 4 windows | {len(slots_ms)} | {statistics.median(slots_ms):.0f} | "
        f"{percentile(slots_ms, 0.9):.0f} | median {statistics.median(offered):g} windows "
        "offered |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        header = (
            f"\nCommand: `python -m benchmarks.dispatch_changes {' '.join(argv or sys.argv[1:])}`"
            f"  \nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; date {dt.date.today().isoformat()}\n\n"
        )
        with args.out.open("a") as f:
            f.write(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
