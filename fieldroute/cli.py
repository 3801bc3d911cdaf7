"""The ``fieldroute`` command line, built from the parts: ``solve`` and ``demo`` here, ``generate``
from ``datasets``, ``simulate`` over ``scheduler.simulate``, ``serve`` and ``token`` from ``api``,
``bench`` from the checkout's ``benchmarks``.

The optional parts are imported only when their command runs. A command whose extra is not
installed (``serve``/``token`` without ``fieldroute[service]``, ``simulate`` without
``fieldroute[simulate]``) exits 2 with one line that says what to install, and ``bench``
outside a source checkout says that benchmarks run from one.

Exit status: 0 success, 2 bad input (the message names the object, field and value),
1 an internal failure worth reporting.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from scheduler.domain import ENGINES, SolveOptions
from scheduler.errors import (
    FieldrouteError,
    InputFormatError,
    NetworkError,
    ProblemError,
    SolverError,
)
from scheduler.solver import Progress, ProgressCallback

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

_SERVICE_MODULES = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "pydantic_settings",
    "icalendar",
    "yaml",
    "matplotlib",
)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "serve": ("service", _SERVICE_MODULES),
    "token": ("service", _SERVICE_MODULES),
    "simulate": ("simulate", ("yaml", "matplotlib", "distributed")),
    "bench": ("bench", ("vrplib",)),
}
"""Command -> (the extra that installs what it imports, the modules checked for it)."""
BENCH_HELP = (
    "solve VRPLIB VRPTW/SDVRPTW/MDVRPTW or HHCRSP instances, validate, compare with the best-known"
)


def _importable(module: str) -> bool:
    """Whether ``module`` (a top-level name) can be imported here, without importing it."""
    return importlib.util.find_spec(module) is not None


def missing_part(command: str) -> str | None:
    """Why ``command`` cannot run in this installation (one line), or None when it can."""
    if command == "bench" and not _importable("benchmarks"):
        return (
            "'fieldroute bench' runs from a source checkout: the benchmarks are not part of the "
            "installed package (in a clone of the repository, 'make test' sets them up)"
        )
    extra, modules = EXTRAS.get(command, ("", ()))
    if not all(_importable(m) for m in modules):
        return f"'fieldroute {command}' needs the {extra} extra: pip install 'fieldroute[{extra}]'"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldroute", description="Plan field engineers' days on real travel times."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser("solve", help="plan one day from a problem JSON file")
    solve.add_argument("problem", type=Path, help="problem JSON (see schemas/problem.schema.json)")
    solve.add_argument("--out", type=Path, required=True, help="where to write the plan JSON")
    solve.add_argument("--time-limit", type=float, help="search time in seconds (default: options)")
    solve.add_argument(
        "--solution-limit", type=int, help="stop after this many solutions: reproducible results"
    )
    solve.add_argument("--seed", type=int, help="seeds the search (default: options, 0)")
    _add_search_arguments(solve)
    travel = solve.add_mutually_exclusive_group()
    travel.add_argument(
        "--haversine",
        action="store_true",
        help="use straight-line estimates even when the problem has a matrix",
    )
    travel.add_argument(
        "--network",
        metavar="SOURCE",
        help="road travel times from OpenStreetMap when the problem has no matrix: an "
        ".osm.pbf/.osm/.graphml file, 'bundled' (central Helsinki), or online "
        "'place:NAME', 'bbox:W,S,E,N', 'point:LAT,LON,METRES'",
    )
    solve.add_argument(
        "--max-snap",
        type=float,
        default=500.0,
        metavar="METRES",
        help="with --network: reject locations farther than this from a road (default 500)",
    )
    solve.add_argument(
        "--speed",
        action="append",
        default=[],
        metavar="HIGHWAY=KPH",
        help="with --network: speed of an OSM highway type where its roads have no maxspeed "
        "tag, e.g. --speed residential=25 --speed motorway=110 (repeatable)",
    )
    solve.add_argument(
        "--geojson",
        type=Path,
        metavar="PATH",
        help="also write the routes and stops as GeoJSON (along the roads with --network)",
    )
    solve.add_argument("--quiet", action="store_true", help="do not print the plan")
    _add_demo(sub)
    from fieldroute.replan_cli import add_replan

    add_replan(sub)
    from fieldroute.simulate_cli import add_command as add_simulate

    add_simulate(sub)
    if missing_part("bench") is None:
        from benchmarks.vrplib_bench import add_command as add_bench

        add_bench(sub)
    else:  # its options live in the benchmarks package; main() says what is missing
        sub.add_parser("bench", help=BENCH_HELP, add_help=False)
    from datasets.cli import add_generate

    add_generate(sub)
    from api.cli import add_commands  # the HTTP service's commands: serve, token create

    add_commands(sub)
    return parser


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="plan a realistic day end to end on a real road network, offline",
        description="Generate a service day on a road network (offline by default), solve "
        "it, print the KPIs and write problem.json, plan.json, stops.csv, plan.geojson and "
        "map.html (open it in a browser).",
    )
    demo.add_argument(
        "--network",
        default="liechtenstein",
        metavar="SOURCE",
        help="road network: 'liechtenstein' (11 towns, offline; default), 'bundled' (central "
        "Helsinki, offline), an .osm.pbf/.osm/.graphml file, or 'place:NAME' / "
        "'bbox:W,S,E,N' online",
    )
    demo.add_argument(
        "--size",
        default="default",
        choices=("small", "default", "city"),
        help="small: 5 engineers, ~30 visits; default: 20 engineers, ~150 visits, 2 events; "
        "city: 200 engineers, ~2,000 visits (needs a larger network)",
    )
    demo.add_argument("--seed", type=int, default=0, help="the generated day's seed (default 0)")
    demo.add_argument("--time-limit", type=float, default=30.0, help="search seconds (default 30)")
    demo.add_argument(
        "--solution-limit", type=int, help="stop after this many solutions: repeatable plans"
    )
    _add_search_arguments(demo)
    demo.add_argument(
        "--problem", type=Path, help="plan this problem JSON instead of generating a day"
    )
    demo.add_argument(
        "--max-snap",
        type=float,
        default=500.0,
        metavar="METRES",
        help="reject locations farther than this from a road (default 500)",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="output directory (./demo-output)"
    )
    demo.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="also save a picture of map.html (needs chromium: apt-get install chromium)",
    )
    demo.add_argument("--quiet", action="store_true", help="print only the KPI table")


def _add_search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="compiled: the compiled ruin-and-recreate search (every rule; default); "
        "ortools: OR-Tools' routing search",
    )
    parser.add_argument(
        "--iterations",
        type=int,
        help="iterations of the compiled search instead of the time limit: repeatable plans",
    )
    parser.add_argument("--workers", type=int, help="most processes one solve may run (default 2)")


def _search_options(args: argparse.Namespace, options: SolveOptions) -> SolveOptions:
    """``options`` with the search flags given on the command line."""
    params = options.params
    if getattr(args, "iterations", None) is not None:
        params = dataclasses.replace(params, iterations=args.iterations)
    if getattr(args, "search_seed", None) is not None:
        params = dataclasses.replace(params, seed=args.search_seed)
    changes: dict[str, object] = {"params": params}
    if args.engine is not None:
        changes["engine"] = args.engine
    if args.workers is not None:
        changes["workers"] = args.workers
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]


def _demo(args: argparse.Namespace) -> int:
    from fieldroute.demo import run_demo
    from scheduler.report import format_kpis

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    result = run_demo(
        out=args.out,
        network_source=args.network,
        size=args.size,
        seed=args.seed,
        time_limit=args.time_limit,
        solution_limit=args.solution_limit,
        search=lambda options: _search_options(args, options),
        problem_path=args.problem,
        max_snap_m=args.max_snap,
        say=say,
        progress=_progress_printer(args.quiet),
    )
    print()
    print(format_kpis(result.problem, result.plan, result.kpis))
    print()
    print(f"Files in {args.out}/ ({result.seconds:.0f} s in all):")
    for name, path in result.files.items():
        print(f"  {name:<13} {path}")
    print(f"Open {result.files['map.html']} in a browser to see the routes on the map.")
    # A board database of an earlier day in the same folder would not match this one.
    (args.out / "board.db").unlink(missing_ok=True)
    command = sys.argv[0] if Path(sys.argv[0]).name == "fieldroute" else "fieldroute"
    print(
        f"Open the board on this day as a dispatcher, an engineer or a planner:\n"
        f"  {command} serve --day {args.out}\n"
        "and open one of the sign-in links it prints in a browser."
    )
    if args.screenshot is not None:
        from fieldroute.browser import BrowserError, screenshot

        try:
            screenshot(result.files["map.html"], args.screenshot)
        except BrowserError as exc:
            print(f"fieldroute: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"Screenshot of the map: {args.screenshot}")
    return EXIT_OK


def _progress_printer(quiet: bool) -> ProgressCallback:
    """Improvements on stderr: rewritten in place on a terminal, one line each in a log."""
    tty = sys.stderr.isatty()
    end = "\r" if tty else "\n"
    last_stage, last_elapsed = "", -1.0

    def report(p: Progress) -> None:
        nonlocal last_stage, last_elapsed
        # In a log (not a terminal) one line per second or stage is enough to show progress.
        if not tty and p.stage == last_stage and p.elapsed - last_elapsed < 1.0:
            return
        last_stage, last_elapsed = p.stage, p.elapsed
        if not quiet:
            print(
                f"  {p.elapsed:5.1f} s  {p.stage}: best objective {p.objective} "
                f"after {p.solutions} solutions",
                end=end,
                file=sys.stderr,
                flush=True,
            )

    return report


def _solve(args: argparse.Namespace) -> int:
    from scheduler.formats import load_problem, plan_to_json
    from scheduler.report import format_plan
    from scheduler.solver import solve
    from scheduler.travel import HaversineEstimate, TravelTimeProvider, travel_time_matrix_for

    problem = load_problem(args.problem)
    options = problem.options
    if args.time_limit is not None:
        options = dataclasses.replace(options, time_limit=args.time_limit)
    if args.solution_limit is not None:
        options = dataclasses.replace(options, solution_limit=args.solution_limit)
    args.search_seed = args.seed
    options = _search_options(args, options)
    network = None
    if args.network is not None and (problem.travel_time_matrix is None or args.geojson):
        from scheduler.network import load_network
        from scheduler.network.speeds import parse_speed_overrides

        network = load_network(args.network, speeds_kph=parse_speed_overrides(args.speed) or None)
    elif args.speed and args.network is None:
        raise NetworkError("--speed changes road speeds: it needs --network SOURCE")
    provider: TravelTimeProvider | None = HaversineEstimate() if args.haversine else None
    if network is not None and problem.travel_time_matrix is None:
        from scheduler.network import MatrixCache, RoadNetwork, default_cache_dir, snap_locations

        snaps = snap_locations(network, problem.locations, max_distance_m=args.max_snap)
        if not args.quiet:
            print(snaps.summary(), file=sys.stderr)
        cache = MatrixCache(default_cache_dir() / "matrices")
        provider = RoadNetwork(network, max_snap_m=args.max_snap, cache=cache)
    matrix, source = travel_time_matrix_for(problem, provider)
    if not args.quiet:
        print(
            f"Planning {len(problem.visits)} visits for {len(problem.engineers)} engineers "
            f"(travel times: {source}, time limit {options.time_limit:g} s)",
            file=sys.stderr,
        )
    plan = solve(problem, matrix, options, progress=_progress_printer(args.quiet))
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    document = plan_to_json(problem, plan, matrix, travel_times=source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    if args.geojson is not None:
        from scheduler.network import plan_to_geojson

        collection = plan_to_geojson(
            problem, plan, network=network, max_snap_m=args.max_snap, travel_times=source
        )
        args.geojson.parent.mkdir(parents=True, exist_ok=True)
        args.geojson.write_text(json.dumps(collection) + "\n")
    if not args.quiet:
        print(format_plan(problem, plan))
        print(f"\nPlan written to {args.out}")
        if args.geojson is not None:
            print(f"Map written to {args.geojson}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fieldroute`` console command."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    missing = missing_part(args.command)
    if missing is not None:
        print(f"fieldroute: error: {missing}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if args.command == "solve":
            return _solve(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "simulate":
            from fieldroute.simulate_cli import run_command

            return run_command(args)
        if args.command == "bench":
            from benchmarks.vrplib_bench import run as run_bench

            return run_bench(args)
        if args.command == "replan":
            from fieldroute.replan_cli import run_replan

            return run_replan(args)
        if args.command == "generate":
            from datasets.cli import run_generate

            return run_generate(args)
        if args.command in ("serve", "token"):
            from api.cli import run

            return run(args)
    except (InputFormatError, ProblemError, NetworkError) as exc:
        print(f"fieldroute: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"fieldroute: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SolverError, FieldrouteError) as exc:
        print(f"fieldroute: internal error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_FAILURE


if __name__ == "__main__":
    raise SystemExit(main())
