"""The ``fieldroute solve`` contract: a plan file on success, exit 2 and a clear message on
bad input, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldroute.cli import EXIT_BAD_INPUT, EXIT_OK, main
from scheduler.formats import load_problem, plan_from_json
from scheduler.travel import travel_time_matrix_for
from scheduler.validate import validate
from tests.paths import SMALL_DAY

EXAMPLE = SMALL_DAY


def test_solve_writes_a_valid_plan_for_the_example_day(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code = main(["solve", str(EXAMPLE), "--out", str(out), "--solution-limit", "300", "--quiet"])
    assert code == EXIT_OK
    problem = load_problem(EXAMPLE)
    text = out.read_text()
    plan = plan_from_json(problem, text)
    matrix, source = travel_time_matrix_for(problem)
    assert validate(problem, plan, matrix) == []
    document = json.loads(text)
    assert document["travel_times"] == source == "haversine-estimate"
    served = {s["visit_id"] for r in document["routes"] for s in r["stops"]}
    assert served | {u["visit_id"] for u in document["unassigned"]} == {
        v.id for v in problem.visits
    }
    assert document["routes"][0]["departure"].endswith("+02:00")  # Helsinki, November


def edit_example(tmp_path: Path, change: str) -> Path:
    """A copy of the example with one defect (see the parametrised rows)."""
    doc = json.loads(EXAMPLE.read_text())
    if change == "negative duration":
        doc["visits"][0]["duration_min"] = -5
    elif change == "window end before start":
        doc["visits"][0]["time_windows"] = [{"start": "10:00", "end": "09:00"}]
    elif change == "unknown engineer":
        doc["visits"][0]["allowed_engineers"] = ["nobody"]
    elif change == "unknown location":
        doc["visits"][0]["location"] = "atlantis"
    elif change == "k too large":
        doc["visits"][-1]["engineers_required"] = 99
    elif change == "duplicate id":
        doc["visits"][1]["id"] = doc["visits"][0]["id"]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ("negative duration", ["v01", "duration_min", "-5"]),
        ("window end before start", ["v01", "end"]),
        ("unknown engineer", ["v01", "allowed_engineers", "nobody"]),
        ("unknown location", ["v01", "location", "atlantis"]),
        ("k too large", ["engineers_required", "99"]),
        ("duplicate id", ["v01", "id"]),
    ],
)
def test_bad_problem_exits_2_naming_object_field_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, names: list[str]
) -> None:
    path = edit_example(tmp_path, change)
    code = main(["solve", str(path), "--out", str(tmp_path / "plan.json"), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    for name in names:
        assert name in err
    assert not (tmp_path / "plan.json").exists()


def test_malformed_json_and_missing_file_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"date": "2026-11-27",, }')
    for path in (bad, tmp_path / "missing.json"):
        result = subprocess.run(
            [sys.executable, "-m", "fieldroute", "solve", str(path), "--out", "x.json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == EXIT_BAD_INPUT
        assert "Traceback" not in result.stderr
        assert str(path.name) in result.stderr
