"""``fieldroute replan``: the rest of a day from its state, against the published plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldroute.cli import EXIT_BAD_INPUT, EXIT_OK, main
from tests.paths import SMALL_DAY


def published(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    out = tmp_path / "published.json"
    code = main(["solve", str(SMALL_DAY), "--out", str(out), "--iterations", "400", "--quiet"])
    assert code == EXIT_OK
    doc = json.loads(out.read_text())
    routes = {r["engineer_id"]: [s["visit_id"] for s in r["stops"]] for r in doc["routes"]}
    return out, {e: stops for e, stops in routes.items() if stops}


def test_replan_keeps_finished_work_out_and_reports_churn(tmp_path: Path) -> None:
    plan_path, routes = published(tmp_path)
    first_stops = next(iter(routes.values()))
    done, cancelled = first_stops[0], [s for r in routes.values() for s in r][-1]
    state = tmp_path / "state.json"
    state.write_text(json.dumps({
        "visits": {done: {"status": "done"}, cancelled: {"status": "cancelled"}},
    }))  # fmt: skip
    out = tmp_path / "new.json"
    code = main([
        "replan", str(SMALL_DAY), "--published", str(plan_path), "--state", str(state),
        "--at", "10:00", "--iterations", "400", "--out", str(out), "--quiet",
    ])  # fmt: skip
    assert code == EXIT_OK
    doc = json.loads(out.read_text())
    served = {s["visit_id"] for r in doc["routes"] for s in r["stops"]}
    assert not served & {done, cancelled}
    churn = doc["churn"]
    planned_before = {s for r in routes.values() for s in r} - {done, cancelled}
    assert churn["compared"] == len(planned_before & served)
    assert 0 <= churn["reassigned"] <= churn["compared"]
    for r in doc["routes"]:
        for s in r["stops"]:
            assert s["start"] >= "2026-11-27T10:00"  # nothing new starts before the re-plan


def test_a_state_naming_an_unknown_visit_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path, _ = published(tmp_path)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"visits": {"v99": {"status": "done"}}}))
    out = tmp_path / "new.json"
    code = main([
        "replan", str(SMALL_DAY), "--published", str(plan_path), "--state", str(state),
        "--at", "10:00", "--iterations", "50", "--out", str(out), "--quiet",
    ])  # fmt: skip
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "state.json" in err and "v99" in err
    assert not out.exists()


def test_a_bad_time_exits_2_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path, _ = published(tmp_path)
    state = tmp_path / "state.json"
    state.write_text("{}")
    code = main([
        "replan", str(SMALL_DAY), "--published", str(plan_path), "--state", str(state),
        "--at", "half past ten", "--out", str(tmp_path / "new.json"), "--quiet",
    ])  # fmt: skip
    assert code == EXIT_BAD_INPUT
    assert "--at" in capsys.readouterr().err
