"""``fieldroute bench`` on the HHCRSP instances (``*.json``, ``*.json.gz``; see
``benchmarks.hhcrsp``): solve each with fieldroute's compiled search, recompute the plan's
distance, total and maximum tardiness and cost with the benchmark's own evaluator, and
compare with the best-known result of ``best.md`` (beside the instances' folder).

Per instance: feasible (every service given and every rule of the evaluator held), distance,
total and maximum lateness, total cost, best-known, gap (percent of the best-known cost), the
wall time, and the first time the search's objective was within 5% of the best-known cost
(read from the progress reports: the objective is 180 x the benchmark's cost, up to the
rounding of drives to whole seconds). Run it under ``flock /tmp/fieldroute-bench.lock``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.hhcrsp import (
    UNIT,
    Best,
    evaluate,
    instance_paths,
    read_best,
    read_instance,
    routes_from_plan,
    to_problem,
)
from scheduler.domain import SearchParams, SolveOptions
from scheduler.solver.progress import Progress
from scheduler.solver.solve import solve

SCALE = 3 * UNIT  # the objective (cost units) per unit of the benchmark's total cost


def is_hhcrsp(paths: Sequence[Path]) -> bool:
    """Whether ``paths`` name HHCRSP instances (JSON files, or folders of them)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            if any(p.glob("*.json.gz")) or any(p.glob("*.json")):
                return True
        elif p.name.endswith((".json", ".json.gz")):
            return True
    return False


@dataclass(frozen=True)
class Row:
    instance: str
    patients: int
    feasible: bool
    problems: tuple[str, ...]
    distance: float
    total_lateness: float
    max_lateness: float
    cost: float
    best: float | None
    wall: float
    to_5pct: float | None  # seconds until the objective was within 5% of the best

    @property
    def gap(self) -> float | None:
        return None if not self.best else 100.0 * (self.cost - self.best) / self.best


def find_best(path: Path) -> dict[str, Best]:
    """``best.md`` beside the instance or in a parent folder (none: empty)."""
    for folder in (path.parent, path.parent.parent):
        if (folder / "best.md").exists():
            return read_best(folder / "best.md")
    return {}


def run_instance(
    path: Path, time_limit: float, *, iterations: int | None = None, seed: int = 0
) -> Row:
    inst = read_instance(path)
    best = find_best(path).get(inst.name)
    params = SearchParams(seed=seed, iterations=iterations)
    options = SolveOptions(time_limit=time_limit, params=params)
    problem = to_problem(inst, options)
    assert problem.travel_time_matrix is not None
    matrix = np.asarray(problem.travel_time_matrix, dtype=np.int64)
    reached: list[float] = []

    def progress(p: Progress) -> None:
        if (
            best is not None
            and p.objective is not None
            and not reached
            and p.objective <= 1.05 * best.total_cost * SCALE
        ):
            reached.append(p.elapsed)

    started = time.monotonic()
    plan = solve(problem, matrix, progress=progress)
    wall = time.monotonic() - started
    ev = evaluate(inst, routes_from_plan(plan, problem))
    problems = ev.problems + tuple(f"{u.visit_id} left out: {u.reason}" for u in plan.unassigned)
    return Row(
        inst.name, len(inst.patients), not problems, problems, ev.distance,
        ev.total_tardiness, ev.max_tardiness, ev.total_cost,
        None if best is None else best.total_cost, wall,
        reached[0] if reached else None,
    )  # fmt: skip


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(rows: Sequence[Row]) -> str:
    head = (
        "| instance | patients | feasible | distance | total lateness | max lateness | "
        "total cost | best-known | gap % | wall s | to 5% s |\n"
        "| --- | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    lines = [
        f"| {r.instance.removesuffix('.json')} | {r.patients} | {'yes' if r.feasible else 'NO'} "
        f"| {r.distance:.2f} | {r.total_lateness:.2f} | {r.max_lateness:.2f} | {r.cost:.3f} "
        f"| {_num(r.best, 3)} | {_num(r.gap)} | {r.wall:.1f} | {_num(r.to_5pct, 1)} |"
        for r in rows
    ]
    gaps = [r.gap for r in rows if r.gap is not None]
    small = [r.gap for r in rows if r.gap is not None and r.patients <= 75]
    summary = [
        "",
        f"{sum(r.feasible for r in rows)} of {len(rows)} feasible; mean gap "
        f"{_num(statistics.mean(gaps) if gaps else None)}% over {len(gaps)} instances; "
        f"10-75 patients: {_num(statistics.mean(small) if small else None)}% over "
        f"{len(small)}; within 5% of the best-known: "
        f"{sum(1 for g in gaps if g <= 5.0)} of {len(gaps)}",
    ]
    return head + "\n".join(lines + summary)


def run(args: argparse.Namespace) -> int:
    """``fieldroute bench`` on HHCRSP instance files: the table, printed (and appended to
    ``--out`` with the command, machine and date)."""
    rows = []
    for path in instance_paths(args.paths):
        row = run_instance(path, args.time_limit, iterations=args.iterations, seed=args.seed)
        rows.append(row)
        print(
            f"{row.instance}: cost {row.cost:.3f} best {_num(row.best, 3)} gap {_num(row.gap)}% "
            f"feasible {row.feasible} in {row.wall:.1f} s"
            + (f" ({'; '.join(row.problems[:3])})" if row.problems else ""),
            file=sys.stderr,
            flush=True,
        )
    text = table(rows)
    print(text)
    if args.out is not None:
        budget = (
            f"--iterations {args.iterations}"
            if args.iterations is not None
            else f"--time-limit {args.time_limit:g}"
        )
        command = " ".join(["fieldroute", "bench", *map(str, args.paths), budget])
        header = (
            f"\nCommand: `{command}`  \n"
            f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work), "
            f"Python {platform.python_version()}; date {dt.date.today().isoformat()}\n\n"
        )
        with args.out.open("a") as f:
            f.write(header + text + "\n")
    return 0
