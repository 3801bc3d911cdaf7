"""``fieldroute generate``: write a generated service day as problem JSON and CSV files."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from datasets.generator import DEFAULT_DATE, SIZES


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def add_generate(sub: Any) -> None:
    """Add ``generate`` to the ``fieldroute`` parser's subparsers."""
    gen = sub.add_parser(
        "generate",
        help="generate a realistic service day on a road network (problem.json and CSVs)",
        description="Generate a seeded service day (service centres at real shops, engineers, "
        "home visits at real homes, community events at community places) on a road network "
        "and write problem.json, service_centers.csv, engineers.csv and visits.csv.",
    )
    gen.add_argument(
        "--network",
        default="bundled",
        metavar="SOURCE",
        help="road network: 'bundled' (central Helsinki, offline; default) or an "
        ".osm.pbf/.osm/.graphml file; places come from an .osm.pbf",
    )
    gen.add_argument(
        "--size",
        default="small",
        choices=tuple(SIZES),
        help="small: 5 engineers, 30 visits, 1 event (default); default: 20, 150, 2; "
        "city: 200, 2,000, 10 (needs a larger network)",
    )
    gen.add_argument("--seed", type=int, default=0, help="the day's seed (default 0)")
    gen.add_argument(
        "--date",
        type=_date,
        default=DEFAULT_DATE,
        help=f"the day planned, YYYY-MM-DD (default {DEFAULT_DATE.isoformat()})",
    )
    gen.add_argument(
        "--max-snap",
        type=float,
        default=500.0,
        metavar="METRES",
        help="every point within this distance of a road node (default 500)",
    )
    gen.add_argument(
        "--crews",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of home visits served by a crew where the job allows one: a signer with "
        "the job's engineer together, or an install then a configuration within two hours "
        "(default 0; the CSV files cannot carry crews, so only problem.json is written)",
    )
    gen.add_argument("--out", type=Path, required=True, help="directory to write into")


def run_generate(args: argparse.Namespace) -> int:
    """Generate and write the day; errors propagate to the CLI's handler (exit status 2)."""
    from datasets.generator import generate_day
    from scheduler.formats import problem_to_json, write_csv
    from scheduler.network import OSM_ATTRIBUTION, load_network

    network = load_network(args.network)
    problem = generate_day(
        network,
        size=args.size,
        seed=args.seed,
        date=args.date,
        max_snap_m=args.max_snap,
        crews=args.crews,
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    problem_path = out / "problem.json"
    problem_path.write_text(
        json.dumps(problem_to_json(problem), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    crews = sum(1 for v in problem.visits if v.crew)
    written = [problem_path, *(write_csv(problem, out) if not crews else ())]
    events = sum(v.is_event for v in problem.visits)
    print(
        f"A {args.size} day on {network.source} (seed {args.seed}, {problem.date}): "
        f"{len(problem.service_centers)} service centre(s), {len(problem.engineers)} engineers, "
        f"{len(problem.visits) - events} home visits, {events} community event(s)"
        + (f", {crews} of the visits by a crew (problem.json only)." if crews else ".")
    )
    for path in written:
        print(f"  {path}")
    print(f"Map data {OSM_ATTRIBUTION}.")
    return 0
