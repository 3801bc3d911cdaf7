"""The HHCRSP reader and evaluator: the published best solutions cost what best.md says, a
broken solution is caught rule by rule, and the mapping to a fieldroute day."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from pathlib import Path

import pytest

from benchmarks.hhcrsp import (
    UNIT,
    Instance,
    evaluate,
    instance_paths,
    read_best,
    read_instance,
    read_solution,
    to_problem,
)
from tests.paths import SHARED, shared_or_skip

HHCRSP = SHARED / "benchmarks" / "HHCRSP"


def _shipped() -> list[str]:
    best = HHCRSP / "best.md"
    return sorted(read_best(best)) if best.exists() else ["(shared folder absent)"]


@pytest.mark.parametrize("name", _shipped())
def test_evaluator_reproduces_every_published_best(name: str) -> None:
    best = read_best(shared_or_skip(HHCRSP / "best.md"))[name]
    inst = read_instance(HHCRSP / "instances" / f"{name}.gz")
    ev = evaluate(inst, read_solution(HHCRSP / "solutions" / best.solution))
    assert ev.problems == ()
    assert ev.distance == pytest.approx(best.distance, abs=5e-3)
    assert ev.max_tardiness == pytest.approx(best.max_tardiness, abs=5e-3)
    assert ev.total_tardiness == pytest.approx(best.total_tardiness, abs=5e-3)
    assert ev.total_cost == pytest.approx(best.total_cost, abs=5e-3)


def _ten_one() -> tuple[Instance, dict[str, list[tuple[str, str, float]]]]:
    best = read_best(shared_or_skip(HHCRSP / "best.md"))["InstanzCPLEX_HCSRP_10_1.json"]
    inst = read_instance(HHCRSP / "instances" / "InstanzCPLEX_HCSRP_10_1.json.gz")
    return inst, read_solution(HHCRSP / "solutions" / best.solution)


def _two_carer(inst: Instance, kind: str) -> str:
    return next(p.id for p in inst.patients if p.sync == kind)


Routes = dict[str, list[tuple[str, str, float]]]


def _move(routes: Routes, pid: str, service: str, delta: float) -> Routes:
    return {
        c: [(p, s, t + delta if (p, s) == (pid, service) else t) for p, s, t in stops]
        for c, stops in routes.items()
    }


def test_evaluator_catches_each_broken_rule() -> None:
    inst, routes = _ten_one()
    # a simultaneous pair started apart
    pid = _two_carer(inst, "simultaneous")
    svc = inst.patients[inst.row(pid) - 1].services[1][0]
    late = evaluate(inst, _move(routes, pid, svc, 5.0))
    assert any("not simultaneous" in p for p in late.problems)
    # a sequential pair outside its gap
    pid = _two_carer(inst, "sequential")
    p = inst.patients[inst.row(pid) - 1]
    shifted = evaluate(inst, _move(routes, pid, p.services[1][0], p.gap[1] + 1000))
    assert any("gap" in x for x in shifted.problems)
    # a start before the window opens, and before the carer can arrive
    first_c, stops = next((c, s) for c, s in routes.items() if s)
    early = evaluate(inst, _move(routes, stops[0][0], stops[0][1], -1000.0))
    assert any("before" in x for x in early.problems)
    # a service left out
    missing = {c: s[1:] if c == first_c else s for c, s in routes.items()}
    assert any("given 0 times" in x for x in evaluate(inst, missing).problems)
    # a carer without the ability
    carers = dict(inst.carers)
    pid0, svc0, t0 = stops[0]
    other = next(c for c in carers if svc0 not in carers[c])
    swapped = {c: [x for x in s if x[:2] != (pid0, svc0)] for c, s in routes.items()}
    swapped[other] = [(pid0, svc0, t0), *swapped[other]]
    assert any("cannot give" in x for x in evaluate(inst, swapped).problems)


def test_reader_takes_plain_and_gzipped_json(tmp_path: Path) -> None:
    src = shared_or_skip(HHCRSP / "instances" / "InstanzCPLEX_HCSRP_10_1.json.gz")
    plain = tmp_path / "InstanzCPLEX_HCSRP_10_1.json"
    with gzip.open(src, "rb") as f, plain.open("wb") as g:
        shutil.copyfileobj(f, g)
    a, b = read_instance(src), read_instance(plain)
    assert a == b
    assert a.name == "InstanzCPLEX_HCSRP_10_1.json"
    assert [p.name for p in instance_paths([tmp_path])] == [plain.name]


def test_mapping_to_a_fieldroute_day() -> None:
    inst, _ = _ten_one()
    problem = to_problem(inst)
    assert len(problem.visits) == len(inst.patients)
    assert len(problem.engineers) == len(inst.carers)
    for p, v in zip(inst.patients, problem.visits, strict=True):
        assert v.soft_windows
        assert v.time_windows[0].start == p.early * UNIT
        assert v.time_windows[0].end == p.late * UNIT
        members = v.members()
        assert [(sorted(m.skills), m.duration) for m in members] == [
            ([s], d * UNIT) for s, d in p.services
        ]
        if p.sync == "sequential":
            assert v.crew_timing is not None
            assert (v.crew_timing.min_gap, v.crew_timing.max_gap) == tuple(g * UNIT for g in p.gap)
        else:
            assert v.crew_timing is None
    w = problem.options.weights
    assert (w.travel_per_second, w.max_lateness_per_second) == (1, 1)
    assert all(v.lateness_cost == 1 for v in problem.visits)
    # drives rounded up to whole seconds: never shorter than the instance's
    m = problem.travel_time_matrix
    assert m is not None
    for i, row in enumerate(inst.distances):
        for j, d in enumerate(row):
            assert d * UNIT <= m[i][j] < d * UNIT + 1
    assert dataclasses.replace(problem.options, time_limit=1.0).weights == w


def test_bench_solves_an_instance_and_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.vrplib_bench import main

    src = shared_or_skip(HHCRSP / "instances" / "InstanzCPLEX_HCSRP_10_1.json.gz")
    out = tmp_path / "table.md"
    assert main([str(src), "--iterations", "300", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if "InstanzCPLEX_HCSRP_10_1" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "yes"  # feasible: every service given, every rule held
    assert float(cells[7]) == pytest.approx(218.199)  # best-known from best.md
    assert float(cells[8]) < 5.0  # gap, percent
    assert "Command: `fieldroute bench" in out.read_text()
