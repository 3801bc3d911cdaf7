"""``fieldroute demo``: a whole service day end to end, offline, on a real road network.

Loads the road network, generates (or reads) a day, computes road travel times, solves,
checks the plan with the independent validator, and writes ``problem.json``, ``plan.json``,
``stops.csv``, ``plan.geojson`` and ``map.html`` into the output directory.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scheduler.domain import Plan, Problem, SolveOptions
from scheduler.kpis import Kpis, compute_kpis
from scheduler.report import clock
from scheduler.solver import ProgressCallback
from scheduler.travel import Matrix

DEFAULT_OUT = Path("demo-output")
DEFAULT_TIME_LIMIT_S = 30.0
DEFAULT_NETWORK = "liechtenstein"
"""The demo's service area: the whole of Liechtenstein (11 towns, about 10 x 22 km), shipped
with fieldroute; ``bundled`` is the much smaller central-Helsinki extract."""

STOP_COLUMNS = (
    "engineer_id",
    "engineer_name",
    "sequence",
    "visit_id",
    "kind",
    "job_type",
    "priority",
    "arrival",
    "start",
    "end",
    "time_windows",
    "lat",
    "lon",
    "customer",
    "address",
)


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced: the day, its plan and KPIs, and the files written."""

    problem: Problem
    plan: Plan
    matrix: Matrix
    kpis: Kpis
    files: dict[str, Path]
    seconds: float


def write_stops_csv(problem: Problem, plan: Plan, path: Path) -> None:
    """One row per stop, in route order, with clock times ``HH:MM`` (local)."""
    where = {loc.id: loc for loc in problem.locations}
    names = {e.id: e.name for e in problem.engineers}
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(STOP_COLUMNS)
        for route in plan.routes:
            for seq, stop in enumerate(route.stops, start=1):
                visit = problem.visit(stop.visit_id)
                details = visit.details or {}
                loc = where[visit.location]
                windows = " ".join(f"{clock(w.start)}-{clock(w.end)}" for w in visit.time_windows)
                out.writerow(
                    (
                        route.engineer_id,
                        names[route.engineer_id],
                        seq,
                        visit.id,
                        visit.kind.value,
                        details.get("job_type", details.get("event_name", "")),
                        visit.priority,
                        clock(stop.arrival),
                        clock(stop.start),
                        clock(stop.end),
                        windows,
                        f"{loc.lat:.6f}",
                        f"{loc.lon:.6f}",
                        details.get("customer", ""),
                        details.get("address", ""),
                    )
                )


def run_demo(
    *,
    out: Path = DEFAULT_OUT,
    network_source: str = DEFAULT_NETWORK,
    size: str = "default",
    seed: int = 0,
    date: dt.date | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    solution_limit: int | None = None,
    search: Callable[[SolveOptions], SolveOptions] = lambda options: options,
    problem_path: Path | None = None,
    max_snap_m: float = 500.0,
    say: Callable[[str], None] = lambda _: None,
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Plan one day end to end and write its files into ``out``.

    Parameters
    ----------
    network_source
        Road network: ``liechtenstein`` (the default, offline), ``bundled`` (central
        Helsinki, offline), a ``.osm.pbf``/``.osm``/
        ``.graphml`` path, or an online source (see :func:`scheduler.network.parse_source`).
    size, seed, date
        The generated day (:func:`datasets.generator.generate_day`); ignored with
        ``problem_path``, which plans that problem file instead.
    time_limit, solution_limit
        Search budget in seconds, and an optional cap on solutions for repeatable plans.
    search
        Changes the solve options further (engine, iterations, workers).
    say
        Receives one line per stage (what is happening and how long it took).

    Raises
    ------
    scheduler.errors.FieldrouteError
        Bad input (unknown size, unreadable network, locations off the roads ...).
    """
    from fieldroute.mapview import plan_map_html
    from scheduler.formats import load_problem, plan_to_json, problem_to_json
    from scheduler.network import (
        MatrixCache,
        RoadNetwork,
        default_cache_dir,
        load_network,
        plan_to_geojson,
    )
    from scheduler.solver import solve
    from scheduler.travel import travel_time_matrix_for

    started = time.perf_counter()

    def lap(t0: float) -> str:
        return f"{time.perf_counter() - t0:.1f} s"

    t0 = time.perf_counter()
    network = load_network(network_source)
    say(f"Road network {network.source}: {network.node_count:,} junctions ({lap(t0)})")

    t0 = time.perf_counter()
    if problem_path is not None:
        problem = load_problem(problem_path)
        origin = str(problem_path)
    else:
        from datasets.generator import generate_day

        if date is None:
            problem = generate_day(network, size=size, seed=seed, max_snap_m=max_snap_m)
        else:
            problem = generate_day(network, size=size, seed=seed, date=date, max_snap_m=max_snap_m)
        origin = f"generated '{size}' day, seed {seed}"
    events = sum(1 for v in problem.visits if v.is_event)
    say(
        f"Day {problem.date.isoformat()} ({origin}): {len(problem.engineers)} engineers, "
        f"{len(problem.visits) - events} home visits, {events} community "
        f"event{'' if events == 1 else 's'} ({lap(t0)})"
    )

    t0 = time.perf_counter()
    provider = RoadNetwork(
        network, max_snap_m=max_snap_m, cache=MatrixCache(default_cache_dir() / "matrices")
    )
    matrix, source = travel_time_matrix_for(problem, provider)
    n = len(problem.locations)
    say(f"Travel times: {n} x {n} road driving times ({lap(t0)})")

    options = search(
        dataclasses.replace(problem.options, time_limit=time_limit, solution_limit=solution_limit)
    )
    say(f"Solving (time limit {time_limit:g} s) ...")
    t0 = time.perf_counter()
    # solve() raises SolverError rather than return a plan the validator rejects.
    plan = solve(problem, matrix, options, progress=progress)
    say(f"Solved and validated ({lap(t0)})")

    out.mkdir(parents=True, exist_ok=True)
    files = {
        name: out / name
        for name in ("problem.json", "plan.json", "stops.csv", "plan.geojson", "map.html")
    }
    files["problem.json"].write_text(json.dumps(problem_to_json(problem), indent=2) + "\n")
    files["plan.json"].write_text(
        json.dumps(plan_to_json(problem, plan, matrix, travel_times=source), indent=2) + "\n"
    )
    write_stops_csv(problem, plan, files["stops.csv"])
    collection = plan_to_geojson(
        problem, plan, network=network, max_snap_m=max_snap_m, travel_times=source
    )
    files["plan.geojson"].write_text(json.dumps(collection) + "\n")
    files["map.html"].write_text(
        plan_map_html(
            problem, plan, collection, road_graph=network.graph, attribution=network.attribution
        ),
        encoding="utf-8",
    )
    return DemoResult(
        problem=problem,
        plan=plan,
        matrix=matrix,
        kpis=compute_kpis(problem, plan, matrix),
        files=files,
        seconds=time.perf_counter() - started,
    )
