"""Solve VRPLIB instances with fieldroute's core (and optionally PyVRP and VROOM), check
every solution with ``scheduler.validate``, recompute its cost, compare with the best-known
solution (BKS) beside the instance, and write VRPLIB ``.sol`` files.

Usage: ``fieldroute bench PATH... --time-limit S [--solutions DIR] [--peers pyvrp,vroom]
[--variants plain,break1,lunch30] [--engines compiled,ortools] [--together]`` (PATH: ``.vrp``
files or folders of them). Variants give every vehicle a break, side by side with the plain
instance (with ``--together`` at the same moment, each on its share of the cores):
``break1`` a 1-minute break anywhere in the depot's horizon, ``lunch30`` a 30-minute break in
its middle third (the best-known cost is then a lower bound); peers run the plain variant
only (they know no breaks). Run it under ``flock /tmp/fieldroute-bench.lock``
on this shared machine. Costs are in each set's BKS units (VRPTW one decimal, SD/MD
integers); gaps in percent of the BKS cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.vrplib_adapter import (
    Instance,
    bks_path,
    format_sol,
    plan_from_routes,
    read_instance,
    read_known_solution,
    routes_from_plan,
    solution_cost,
    to_problem,
)
from scheduler.domain import Break, Plan, Problem, SearchParams, SolveOptions
from scheduler.errors import InputFormatError, ProblemError
from scheduler.validate import validate

Routes = list[list[int]]
PEERS = ("pyvrp", "vroom")


@dataclass(frozen=True)
class Outcome:
    """One solver's answer to one instance, checked and costed independently."""

    instance: str
    kind: str
    clients: int
    solver: str
    cost: float | None  # in the BKS units; None without a solution
    routes: int
    feasible: bool
    problems: tuple[str, ...]
    bks: float | None
    wall: float
    bks_checked: bool = True
    variant: str = "plain"

    @property
    def gap(self) -> float | None:
        if self.cost is None or not self.bks:
            return None
        return 100.0 * (self.cost - self.bks) / self.bks


@dataclass
class Settings:
    time_limit: float
    peers: tuple[str, ...] = ()
    solutions: Path | None = None
    seed: int = 0
    core_options: dict[str, object] = field(default_factory=dict)
    variants: tuple[str, ...] = ("plain",)
    engines: tuple[str, ...] = ("compiled",)
    together: bool = False


def _with_break(problem: Problem, minutes: int, middle_third: bool) -> Problem:
    """Every engineer of ``problem`` with one break of ``minutes`` in their shift (or its
    middle third)."""
    engineers = []
    for e in problem.engineers:
        lo, hi = e.shift_start, e.shift_end
        if middle_third:
            third = (hi - lo) // 3
            lo, hi = lo + third, hi - third
        engineers.append(dataclasses.replace(e, breaks=(Break(minutes * 60, lo, hi),)))
    return dataclasses.replace(problem, engineers=tuple(engineers))


VARIANTS: dict[str, Callable[[Problem], Problem]] = {
    "plain": lambda p: p,
    "break1": lambda p: _with_break(p, 1, middle_third=False),
    "lunch30": lambda p: _with_break(p, 30, middle_third=True),
}
ENGINES = ("compiled", "ortools")


# ---- solvers -----------------------------------------------------------------------------


def solve_core(
    inst: Instance, time_limit: float, variant: str = "plain", **options: object
) -> tuple[Routes, Plan]:
    """fieldroute's own solver on the instance (with ``variant``'s breaks); returns the
    routes per vehicle and its plan."""
    from scheduler.solver import solve

    problem = VARIANTS[variant](to_problem(inst, time_limit))
    opts = SolveOptions(time_limit=time_limit, weights=problem.options.weights, **options)  # type: ignore[arg-type]
    plan = solve(problem, inst.arcs, opts)
    return routes_from_plan(inst, plan), plan


def _timed_core(
    inst: Instance, time_limit: float, variant: str, options: dict[str, object]
) -> tuple[Routes, Plan, float]:
    """`solve_core` in a process of its own; the wall time (s) is its own solve's."""
    started = time.monotonic()
    routes, plan = solve_core(inst, time_limit, variant, **options)
    return routes, plan, time.monotonic() - started


def _core_together(
    inst: Instance, time_limit: float, runs: Sequence[tuple[str, str, dict[str, object]]]
) -> list[tuple[tuple[Routes, Plan] | None, str | None, float]]:
    """fieldroute's runs at the same moment, each in its own process with an equal share of
    the cores: a comparison that the machine's load cannot tilt, since every run meets it."""
    share = max(1, (os.cpu_count() or 1) // len(runs))
    with ProcessPoolExecutor(len(runs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_timed_core, inst, time_limit, variant, {**options, "workers": share})
            for _, variant, options in runs
        ]
        out: list[tuple[tuple[Routes, Plan] | None, str | None, float]] = []
        for f in futures:
            try:
                routes, plan, wall = f.result()
                out.append(((routes, plan), None, wall))
            except Exception as exc:  # a failed run is a result to report, not a crash
                out.append((None, f"{type(exc).__name__}: {exc}", 0.0))
    return out


def solve_pyvrp(inst: Instance, time_limit: float, seed: int = 0) -> Routes:
    """PyVRP's hybrid genetic search on the same file and rounding convention."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    data = pyvrp.read(inst.path, round_func="dimacs" if inst.kind == "VRPTW" else "exact")
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    routes: Routes = [[] for _ in range(inst.num_vehicles)]
    # read() groups identical vehicles into types named by their 0-based vehicle indices.
    free = {t: [int(k) for k in vt.name.split(",")] for t, vt in enumerate(data.vehicle_types())}
    for route in result.best.routes():
        k = free[route.vehicle_type()].pop(0)
        routes[k] = [data.client(a.idx).location for a in route if a.is_client()]
    return routes


def solve_vroom(inst: Instance, time_limit: float) -> Routes:
    """VROOM (pyvroom), travel times = the convention's arcs; site restrictions as skills.

    VROOM has no maximum route duration; a route breaking one shows in the validation.
    """
    import datetime

    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=inst.arcs.tolist())
    classes: dict[frozenset[int], int] = {}
    client_class: dict[int, int] = {}
    if any(a is not None for a in inst.allowed):
        for c in inst.clients:
            who = frozenset(k for k, a in enumerate(inst.allowed) if a is None or c in a)
            client_class[c] = classes.setdefault(who, len(classes) + 1)
    for k in range(inst.num_vehicles):
        depot = inst.vehicle_depot[k]
        skills = {s for who, s in classes.items() if k in who}
        problem.add_vehicle(
            vroom.Vehicle(
                id=k,
                start=depot,
                end=depot,
                capacity=[inst.capacity[k]],
                time_window=vroom.TimeWindow(*inst.windows[depot]),
                skills=skills or None,
            )
        )
    for c in inst.clients:
        problem.add_job(
            vroom.Job(
                id=c,
                location=c,
                default_service=inst.service[c],
                delivery=vroom.Amount([inst.demand[c]]),
                time_windows=[vroom.TimeWindow(*inst.windows[c])],
                skills={client_class[c]} if client_class else None,
            )
        )
    solution = problem.solve(
        exploration_level=5, nb_threads=2, timeout=datetime.timedelta(seconds=time_limit)
    )
    routes: Routes = [[] for _ in range(inst.num_vehicles)]
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    for k, job in zip(jobs["vehicle_id"], jobs["id"], strict=True):
        routes[int(k)].append(int(job))
    return routes


# ---- checking ----------------------------------------------------------------------------


def evaluate(
    inst: Instance,
    solver: str,
    routes: Routes | None,
    wall: float,
    bks: float | None,
    plan: Plan | None = None,
    note: str | None = None,
    variant: str = "plain",
) -> Outcome:
    """Validate ``routes`` (or the solver's own timed ``plan``) and recompute the cost."""
    clients = len(inst.clients)
    if routes is None:
        return Outcome(
            inst.name, inst.kind, clients, solver, None, 0, False, (note or "",), bks, wall,
            variant=variant,
        )  # fmt: skip
    problem = VARIANTS[variant](to_problem(inst))
    checked = plan if plan is not None else plan_from_routes(inst, routes)
    problems = [f"{v.code}: {v.message}" for v in validate(problem, checked, inst.arcs)]
    served = sorted(c for r in routes for c in r)
    if served != list(inst.clients):
        missing = len(set(inst.clients) - set(served))
        problems.append(f"UNSERVED: {missing} of {clients} clients not served")
    cost = inst.display_cost(solution_cost(inst, routes))
    used = sum(1 for r in routes if r)
    return Outcome(
        inst.name, inst.kind, clients, solver, cost, used, not problems, tuple(problems), bks, wall,
        variant=variant,
    )  # fmt: skip


def check_sol_round_trip(inst: Instance, path: Path, routes: Routes) -> None:
    """The written ``.sol`` reads back (with vrplib) to the same routes and stated cost."""
    back = read_known_solution(inst, path)
    if not back.matches(inst) or sorted(map(tuple, back.routes)) != sorted(map(tuple, routes)):
        raise AssertionError(f"{path} does not read back to the solution written")


def run_instance(inst: Instance, settings: Settings) -> list[Outcome]:
    """Every solver on one instance, each with the same time limit."""
    bks: float | None = None
    bks_ok = True
    known = bks_path(inst)
    if known is not None:
        sol = read_known_solution(inst, known)
        bks, bks_ok = sol.stated, sol.matches(inst)
    core_runs: list[tuple[str, str, dict[str, object]]] = []
    for variant in settings.variants:
        for engine in settings.engines:
            name = "fieldroute" if engine == "compiled" else f"fieldroute-{engine}"
            core_runs.append((name, variant, {**settings.core_options, "engine": engine}))
    runs: list[tuple[str, str, Callable[[], tuple[Routes, Plan | None]]]] = []
    answered: list[tuple[str, str, tuple[Routes, Plan | None] | None, str | None, float]] = []
    if settings.together and len(core_runs) > 1:
        for (solver, variant, _), (together, failed, wall) in zip(
            core_runs, _core_together(inst, settings.time_limit, core_runs), strict=True
        ):
            answered.append((solver, variant, together, failed, wall))
    else:
        for solver, variant, options in core_runs:
            runs.append(
                (
                    solver,
                    variant,
                    lambda v=variant, o=options: solve_core(  # type: ignore[misc]
                        inst, settings.time_limit, v, **o
                    ),
                )
            )
    if "pyvrp" in settings.peers:
        runs.append(
            (
                "pyvrp",
                "plain",
                lambda: (solve_pyvrp(inst, settings.time_limit, settings.seed), None),
            )
        )
    if "vroom" in settings.peers:
        runs.append(("vroom", "plain", lambda: (solve_vroom(inst, settings.time_limit), None)))
    for solver, variant, run in runs:
        started = time.monotonic()
        try:
            result: tuple[Routes, Plan | None] | None = run()
            note: str | None = None
        except Exception as exc:  # a peer's failure is a result to report, not a crash
            result, note = None, f"{type(exc).__name__}: {exc}"
        answered.append((solver, variant, result, note, time.monotonic() - started))
    out = []
    for solver, variant, answer, why, wall in answered:
        routes, plan = answer if answer is not None else (None, None)
        outcome = evaluate(inst, solver, routes, wall, bks, plan, why, variant)
        out.append(dataclasses.replace(outcome, bks_checked=bks_ok))
        if routes is not None and settings.solutions is not None:
            folder = settings.solutions / (solver if variant == "plain" else f"{solver}-{variant}")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{inst.name}.sol"
            path.write_text(format_sol(inst, routes, solution_cost(inst, routes)))
            check_sol_round_trip(inst, path, routes)
    return out


# ---- reporting ---------------------------------------------------------------------------


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table, one row per instance and solver, then mean gaps per set."""
    lines = [
        "| instance | set | clients | solver | variant | cost | routes | feasible | BKS | gap % "
        "| time s |",
        "| --- | --- | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for o in outcomes:
        digits = 1 if o.kind == "VRPTW" else 0
        cost = _num(o.cost, digits)
        bks = _num(o.bks, digits) + ("" if o.bks_checked else " (BKS cost NOT reproduced)")
        feasible = "yes" if o.feasible else f"NO ({o.problems[0][:60]})" if o.problems else "NO"
        lines.append(
            f"| {o.instance} | {o.kind} | {o.clients} | {o.solver} | {o.variant} | {cost} | "
            f"{o.routes} | "
            f"{feasible} | {bks} | {_num(o.gap, 2)} | {_num(o.wall)} |"
        )
    lines += [
        "",
        "| set | solver | variant | instances | feasible | mean gap % (feasible) | median |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    keys = sorted({(o.kind, o.solver, o.variant) for o in outcomes})
    for kind, solver, variant in keys:
        group = [o for o in outcomes if (o.kind, o.solver, o.variant) == (kind, solver, variant)]
        gaps = [o.gap for o in group if o.feasible and o.gap is not None]
        mean = _num(statistics.fmean(gaps), 2) if gaps else "-"
        median = _num(statistics.median(gaps), 2) if gaps else "-"
        lines.append(
            f"| {kind} | {solver} | {variant} | {len(group)} | "
            f"{sum(o.feasible for o in group)} | {mean} | {median} |"
        )
    return "\n".join(lines)


def instance_paths(paths: Sequence[Path]) -> list[Path]:
    """``.vrp`` files given, and those inside given folders (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.vrp"))
            if not found:
                raise InputFormatError(f"{p}: no .vrp instance files in this folder")
            out += found
        elif p.exists():
            out.append(p)
        else:
            raise InputFormatError(f"{p}: no such instance file or folder")
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` options (shared by ``fieldroute bench`` and ``python -m``)."""
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help=".vrp files or folders; or HHCRSP .json/.json.gz files or folders",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solver run")
    parser.add_argument("--solutions", type=Path, help="write DIR/<solver>/<instance>.sol")
    parser.add_argument(
        "--peers", default="", help="comma-separated peers to run too: pyvrp, vroom"
    )
    parser.add_argument("--seed", type=int, default=0, help="PyVRP's seed")
    parser.add_argument(
        "--iterations",
        type=int,
        help="fieldroute: iterations of the compiled search (OR-Tools: solutions) instead of "
        "the time limit (repeatable)",
    )
    parser.add_argument(
        "--variants",
        default="plain",
        help="comma-separated: plain, break1 (a 1-minute break anywhere in the shift), "
        "lunch30 (a 30-minute break in its middle third); run side by side",
    )
    parser.add_argument(
        "--engines",
        default="compiled",
        help="comma-separated fieldroute engines: compiled, ortools",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="run fieldroute's variants and engines at the same time, each in its own process "
        "with an equal share of the cores (default: one after another, each with every core)",
    )
    parser.add_argument("--out", type=Path, help="append the table (with command, machine, date)")


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``fieldroute bench``: these instances, every solver, the table."""
    bench = sub.add_parser(
        "bench",
        help="solve VRPLIB VRPTW/SDVRPTW/MDVRPTW or HHCRSP instances, validate, compare with "
        "the best-known",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(bench)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark the parsed ``args`` describe; print the table. Returns 0. HHCRSP
    instances (``.json``/``.json.gz``) go to ``benchmarks.hhcrsp_bench``."""
    from benchmarks.hhcrsp_bench import is_hhcrsp

    if is_hhcrsp(args.paths):
        from benchmarks.hhcrsp_bench import run as run_hhcrsp

        return run_hhcrsp(args)
    peers = tuple(p for p in args.peers.split(",") if p)
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        raise ProblemError("bench", "--peers", unknown[0], f"must be one of {', '.join(PEERS)}")
    if not (args.time_limit > 0):
        raise ProblemError("bench", "--time-limit", args.time_limit, "must be > 0 seconds")
    variants = tuple(v for v in args.variants.split(",") if v)
    for v in variants:
        if v not in VARIANTS:
            raise ProblemError("bench", "--variants", v, f"must be one of {', '.join(VARIANTS)}")
    engines = tuple(e for e in args.engines.split(",") if e)
    for e in engines:
        if e not in ENGINES:
            raise ProblemError("bench", "--engines", e, f"must be one of {', '.join(ENGINES)}")
    core: dict[str, object] = {}
    if args.iterations is not None:
        core = {
            "params": SearchParams(iterations=args.iterations),
            "solution_limit": args.iterations,
        }
    settings = Settings(
        args.time_limit,
        peers,
        args.solutions,
        args.seed,
        core,
        variants=variants,
        engines=engines,
        together=args.together,
    )
    outcomes: list[Outcome] = []
    for path in instance_paths(args.paths):
        inst = read_instance(path)
        for o in run_instance(inst, settings):
            outcomes.append(o)
            print(
                f"{o.instance} {o.solver}: cost {o.cost} routes {o.routes} "
                f"feasible {o.feasible} gap {_num(o.gap, 2)}% in {o.wall:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    text = table(outcomes)
    print(text)
    if args.out is not None:
        command = " ".join(
            ["fieldroute", "bench", *map(str, args.paths), f"--time-limit {args.time_limit:g}"]
            + ([f"--peers {args.peers}"] if args.peers else [])
            + ([f"--variants {args.variants}"] if args.variants != "plain" else [])
            + ([f"--engines {args.engines}"] if args.engines != "compiled" else [])
            + (["--together"] if args.together else [])
            + ([f"--solutions {args.solutions}"] if args.solutions else [])
        )
        header = (
            f"\nCommand: `{command}`  \n"
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; date {dt.date.today().isoformat()}; "
            f"time limit {args.time_limit:g} s per solver run\n\n"
        )
        with args.out.open("a") as f:
            f.write(header + text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vrplib_bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
