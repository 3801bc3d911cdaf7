"""The VRPLIB adapter and ``fieldroute bench`` on tiny hand-costed instances.

Depot at (0, 0); client 1 at (1, 3) is sqrt(10) = 3.1623 away, client 2 at (4, 3) is 5 away
from the depot and 3 from client 1. DIMACS truncates each arc to one decimal (3.1, not the
rounded 3.2); the site-dependent convention is round(1000 x distance) (3162).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import vrplib

from benchmarks.vrplib_adapter import (
    format_sol,
    plan_from_routes,
    read_instance,
    read_known_solution,
    solution_cost,
    to_problem,
)
from fieldroute.cli import main
from scheduler.validate import Code, validate

VRPTW = """NAME : TINY_TW
TYPE : VRPTW
DIMENSION : 3
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 10
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 1 3
3 4 3
DEMAND_SECTION
1 0
2 4
3 5
TIME_WINDOW_SECTION
1 0 1000
2 0 100
3 0 100
DEPOT_SECTION
1
-1
EOF
"""

# One route 0 -> 1 -> 2 -> 0: 3.1 + 3.0 + 5.0 (exact Euclidean would be 11.16).
VRPTW_SOL = "Route #1: 1 2\nCost 11.1\n"

SDVRPTW = """NAME: TINY_SD
TYPE: SDVRPTW
EDGE_WEIGHT_TYPE: EUC_2D
DIMENSION: 3
VEHICLES: 2
VEHICLES_MAX_DURATION: 100
NODE_COORD_SECTION
1\t0\t0
2\t1\t3
3\t4\t3
DEMAND_SECTION
1\t0
2\t4
3\t5
SERVICE_TIME_SECTION
1\t0
2\t10
3\t10
TIME_WINDOW_SECTION
1\t0\t1000
2\t0\t100
3\t0\t100
CAPACITY_SECTION
1\t10
2\t10
VEHICLES_ALLOWED_CLIENTS_SECTION
1\t2
2\t3
EOF
"""

# Vehicle 1 may only serve client 1 and vehicle 2 only client 2: 2 x 3162 + 2 x 5000.
SDVRPTW_SOL = "Route #1: 1\nRoute #2: 2\nCost: 16324\n"


def write(tmp_path: Path, name: str, instance: str, solution: str) -> Path:
    (tmp_path / f"{name}.sol").write_text(solution)
    path = tmp_path / f"{name}.vrp"
    path.write_text(instance)
    return path


def test_dimacs_convention_reproduces_the_known_cost_exactly(tmp_path: Path) -> None:
    inst = read_instance(write(tmp_path, "TINY_TW", VRPTW, VRPTW_SOL))
    assert (inst.kind, inst.scale) == ("VRPTW", 10)
    assert int(inst.arcs[0, 1]) == 31  # tenths: 3.1623 truncated, not rounded
    known = read_known_solution(inst, tmp_path / "TINY_TW.sol")
    assert known.recomputed_units == 111 and known.matches(inst)
    plan = plan_from_routes(inst, known.routes)
    assert validate(to_problem(inst), plan, inst.arcs) == []


def test_site_dependent_convention_and_restrictions(tmp_path: Path) -> None:
    inst = read_instance(write(tmp_path, "TINY_SD", SDVRPTW, SDVRPTW_SOL))
    assert inst.allowed == (frozenset({1}), frozenset({2}))
    assert inst.max_duration == 100_000 and inst.service[1] == 10_000
    known = read_known_solution(inst, tmp_path / "TINY_SD.sol")
    assert known.recomputed_units == 16324 and known.matches(inst)
    problem = to_problem(inst)
    assert validate(problem, plan_from_routes(inst, known.routes), inst.arcs) == []
    # The cheaper single route breaks the site restriction; the validator says so.
    one_route = plan_from_routes(inst, [[1, 2], []])
    assert Code.NOT_ALLOWED in {v.code for v in validate(problem, one_route, inst.arcs)}


def test_written_sol_numbers_routes_by_vehicle_and_reads_back(tmp_path: Path) -> None:
    inst = read_instance(write(tmp_path, "TINY_SD", SDVRPTW, SDVRPTW_SOL))
    routes = [[], [2]]
    text = format_sol(inst, routes, solution_cost(inst, routes))
    assert text.splitlines()[:2] == ["Route #1:", "Route #2: 2"]
    (tmp_path / "out.sol").write_text(text)
    assert vrplib.read_solution(str(tmp_path / "out.sol"))["cost"] == 10000


def test_bench_command_solves_validates_and_writes_sol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tw = write(tmp_path, "TINY_TW", VRPTW, VRPTW_SOL)
    sd = write(tmp_path, "TINY_SD", SDVRPTW, SDVRPTW_SOL)
    out = tmp_path / "solutions"
    args = ["bench", str(tw), str(sd), "--iterations", "200", "--solutions", str(out)]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "| TINY_TW | VRPTW | 2 | fieldroute | plain | 11.1 | 1 | yes | 11.1 | 0.00 |" in table
    assert (
        "| TINY_SD | SDVRPTW | 2 | fieldroute | plain | 16324 | 2 | yes | 16324 | 0.00 |" in table
    )
    written = vrplib.read_solution(str(out / "fieldroute" / "TINY_SD.sol"))
    assert written["routes"] == [[1], [2]] and written["cost"] == 16324


def test_bench_runs_break_variants_and_both_engines_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each vehicle gets a break (1 min anywhere, or 30 min in the middle third of the
    horizon); every plan is validated against the instance with those breaks."""
    tw = write(tmp_path, "TINY_TW", VRPTW, VRPTW_SOL)
    args = ["bench", str(tw), "--iterations", "200", "--variants", "plain,break1,lunch30"]
    assert main([*args, "--engines", "compiled,ortools"]) == 0
    table = capsys.readouterr().out
    for solver in ("fieldroute", "fieldroute-ortools"):
        for variant in ("plain", "break1", "lunch30"):
            row = f"| VRPTW | {solver} | {variant} | 1 | 1 |"
            assert row in table, (row, table)


def test_bench_together_runs_each_variant_in_its_own_process_with_the_same_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--together runs the variants at one moment (so that the machine's load meets them
    equally); bounded by iterations, each answer is the one the variant gives alone."""
    tw = write(tmp_path, "TINY_TW", VRPTW, VRPTW_SOL)
    args = ["bench", str(tw), "--iterations", "200", "--variants", "plain,break1"]

    def rows(table: str) -> list[str]:  # without the wall-time column
        return [line.rsplit("|", 2)[0] for line in table.splitlines() if "| TINY_TW |" in line]

    assert main(args) == 0
    alone = rows(capsys.readouterr().out)
    assert main([*args, "--together"]) == 0
    together = rows(capsys.readouterr().out)
    assert len(alone) == 2 and together == alone


def test_bench_command_names_a_missing_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", str(tmp_path / "nope.vrp"), "--time-limit", "1"]) == 2
    assert "nope.vrp: no such instance file or folder" in capsys.readouterr().err
