"""The day-state file ``fieldroute replan`` reads: each field onto the domain, every fault named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.day_state import VisitStatus
from scheduler.domain import TimeWindow
from scheduler.errors import InputFormatError
from scheduler.formats import load_problem
from scheduler.formats.state_file import load_state, state_from_json
from tests.paths import SMALL_DAY

H, M = 3600, 60


def test_a_state_file_maps_onto_the_day_state() -> None:
    problem = load_problem(SMALL_DAY)  # Helsinki, +02:00 in November
    text = json.dumps({
        "visits": {
            "v01": {"status": "done", "actual_start": "08:40", "actual_end": "09:20"},
            "v02": {"status": "started", "actual_start": "2026-11-27T10:50:00+02:00"},
            "v03": {"status": "en_route"},
            "v04": {"status": "cancelled"},
            "v05": {"promised": {"start": "13:00", "end": "15:00"}},
        },
        "engineers": {
            "e1": {"position": {"lat": 60.17, "lon": 24.94}, "seen_at": "11:00"},
            "e2": {"off_from": "11:00"},
        },
    })  # fmt: skip
    state = state_from_json(problem, text)
    v = state.visit
    assert (v("v01").status, v("v01").actual_start, v("v01").actual_end) == (
        VisitStatus.DONE, 8 * H + 40 * M, 9 * H + 20 * M,
    )  # fmt: skip
    assert (v("v02").status, v("v02").actual_start) == (VisitStatus.STARTED, 10 * H + 50 * M)
    assert v("v03").status is VisitStatus.EN_ROUTE
    assert v("v04").status is VisitStatus.CANCELLED
    assert (v("v05").status, v("v05").promised) == (VisitStatus.PENDING, TimeWindow(13 * H, 15 * H))
    assert v("v06").status is VisitStatus.PENDING  # not mentioned: pending
    e1, e2 = state.engineer("e1"), state.engineer("e2")
    assert (e1.lat, e1.lon, e1.seen_at, e1.off_from) == (60.17, 24.94, 11 * H, None)
    assert e2.off_from == 11 * H


def test_every_fault_is_named_in_one_message() -> None:
    problem = load_problem(SMALL_DAY)
    text = json.dumps({
        "visits": {
            "nope": {"status": "done"},
            "v02": {"promised": {"start": "15:00", "end": "13:00"}},
        },
        "engineers": {"ghost": {"off_from": "11:00"}},
    })  # fmt: skip
    with pytest.raises(InputFormatError) as info:
        state_from_json(problem, text)
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert any("'nope'" in line and "not a visit" in line for line in lines)
    assert any("promised.end" in line for line in lines)
    assert any("'ghost'" in line and "not an engineer" in line for line in lines)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"visits": {"v01": {"status": "finished"}}}, "status"),
        ({"visits": {"v01": {"colour": "red"}}}, "colour"),
        ({"visits": {"v01": {"status": "done", "actual_start": "25:99"}}}, "actual_start.*25:99"),
        ({"engineers": {"e1": {"position": {"lat": 95, "lon": 0}}}}, "lat"),
    ],
)
def test_unknown_statuses_fields_and_bad_positions_are_refused(
    document: dict[str, object], named: str
) -> None:
    with pytest.raises(InputFormatError, match=named):
        state_from_json(load_problem(SMALL_DAY), json.dumps(document))


def test_a_missing_or_malformed_file_names_its_path(tmp_path: Path) -> None:
    problem = load_problem(SMALL_DAY)
    with pytest.raises(InputFormatError, match=r"missing\.json"):
        load_state(problem, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{,}")
    with pytest.raises(InputFormatError, match=r"bad\.json"):
        load_state(problem, bad)
