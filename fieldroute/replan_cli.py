"""``fieldroute replan``: plan the rest of a day from its state, against the published plan."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from scheduler.errors import ProblemError

EXIT_OK = 0


def add_replan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replan",
        help="plan the rest of a day from its state (done, started, en route, sick ...)",
        description="Plan what is left of the day from AT: done, cancelled and "
        "cannot-complete visits are never planned again, a started job stays where it is, an "
        "engineer driving to a stop keeps it, engineers start from their position, an "
        "engineer off from AT hands over, new visits join; everything else may move, at the "
        "price of the churn weights. Writes the new plan with a 'churn' block against "
        "the published one.",
    )
    p.add_argument("problem", type=Path, help="the day's problem JSON (new visits included)")
    p.add_argument("--published", type=Path, required=True, help="the plan being replaced")
    p.add_argument("--state", type=Path, required=True, help="the day's state JSON")
    p.add_argument("--at", required=True, help="re-plan from this time (HH:MM or ISO 8601)")
    p.add_argument("--out", type=Path, required=True, help="where to write the new plan JSON")
    p.add_argument("--time-limit", type=float, help="search seconds (default: options)")
    p.add_argument("--iterations", type=int, help="iterations instead of the time limit")
    p.add_argument(
        "--network", metavar="SOURCE", help="road travel times (as for solve) instead of the "
        "problem's matrix; engineers' positions are snapped to its roads"
    )  # fmt: skip
    p.add_argument(
        "--reassign-cost",
        type=int,
        default=1800,
        help="per visit given to another engineer (cost units: seconds of driving; default 1800)",
    )
    p.add_argument(
        "--move-cost",
        type=int,
        default=1,
        help="per second a start moves later than the tolerance (default 1)",
    )
    p.add_argument(
        "--tolerance-min",
        type=float,
        default=15,
        help="minutes a start may move at no cost (default 15)",
    )
    p.add_argument(
        "--promise-cost",
        type=int,
        default=3600,
        help="per start after the window the customer was told (default 3600)",
    )
    p.add_argument("--drop-planned-cost", type=int, default=36_000, help="per visit planned "
                   "before and left out now (default 36000)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="do not print the plan")


def run_replan(args: argparse.Namespace) -> int:
    from fieldroute.cli import _progress_printer
    from scheduler.domain import SearchParams
    from scheduler.formats import load_problem, plan_from_json, plan_to_json
    from scheduler.formats.clock import clock_for
    from scheduler.formats.state_file import load_state
    from scheduler.replan import ChurnWeights, replan, replan_problem
    from scheduler.report import format_plan
    from scheduler.travel import travel_time_matrix_for

    problem = load_problem(args.problem)
    published = plan_from_json(problem, _read(args.published))
    state = load_state(problem, args.state)
    try:
        at = clock_for(problem).seconds(args.at, "--at")
    except ValueError as e:
        raise ProblemError("replan", "--at", args.at, str(e)) from None
    options = problem.options
    if args.time_limit is not None:
        options = dataclasses.replace(options, time_limit=args.time_limit)
    if args.iterations is not None:
        options = dataclasses.replace(options, params=SearchParams(iterations=args.iterations))
    churn = ChurnWeights(
        reassign=args.reassign_cost,
        move_per_second=args.move_cost,
        tolerance=round(args.tolerance_min * 60),
        broken_promise=args.promise_cost,
        drop_planned=args.drop_planned_cost,
    )
    rest_matrix = None
    if args.network is not None:
        from scheduler.network import RoadNetwork, load_network

        provider = RoadNetwork(load_network(args.network))
        matrix, _ = travel_time_matrix_for(problem, provider)
        rest = replan_problem(problem, published, state, at)
        rest_matrix, _ = travel_time_matrix_for(rest, provider)
    else:
        matrix, _ = travel_time_matrix_for(problem)
    result = replan(
        problem, matrix, published, state, at, churn=churn, options=options,
        progress=_progress_printer(args.quiet), rest_matrix=rest_matrix,
    )  # fmt: skip
    document = plan_to_json(result.problem, result.plan, result.matrix, churn=result.churn)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    if not args.quiet:
        print(format_plan(result.problem, result.plan))
        c = result.churn
        print(
            f"\nChurn against the published plan: {c.reassigned} of {c.compared} visits to "
            f"another engineer, {c.moved} moved more than {args.tolerance_min:g} min "
            f"({c.minutes_moved:g} min in all), {c.promises_broken} promises broken, "
            f"{c.dropped} planned visits left out, {100 * c.sequence_change:.0f}% with "
            f"another predecessor"
        )
        print(f"New plan written to {args.out}", file=sys.stderr)
    return EXIT_OK


def _read(path: Path) -> str:
    from scheduler.errors import InputFormatError

    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputFormatError(f"{path}: cannot read: {e.strerror or e}") from None
