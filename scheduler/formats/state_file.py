"""The day-state file ``fieldroute replan`` reads: what has happened so far today.

```json
{
  "visits": {
    "v1": {"status": "done", "actual_start": "08:40", "actual_end": "09:20"},
    "v2": {"status": "started", "actual_start": "10:50"},
    "v3": {"status": "en_route"},
    "v4": {"status": "cancelled"},
    "v5": {"promised": {"start": "13:00", "end": "15:00"}}
  },
  "engineers": {
    "e1": {"position": {"lat": 60.17, "lon": 24.94}, "seen_at": "11:00"},
    "e2": {"off_from": "11:00"}
  }
}
```

Statuses: ``pending`` (the default), ``en_route``, ``started``, ``done``,
``cannot_complete``, ``cancelled``. Times as in the problem file (``HH:MM`` on the problem's
date or ISO 8601). Every fault is reported in one message, one line each.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from scheduler.day_state import DayState, EngineerState, VisitState, VisitStatus
from scheduler.domain import Problem, TimeWindow
from scheduler.errors import InputFormatError
from scheduler.formats.boundary import ClockTime, Id, StrictModel, validate_json
from scheduler.formats.clock import clock_for


class WindowFile(StrictModel):
    start: ClockTime
    end: ClockTime


class VisitStateFile(StrictModel):
    """What happened to a visit so far."""

    status: Literal["pending", "en_route", "started", "done", "cannot_complete", "cancelled"] = (
        "pending"
    )
    actual_start: ClockTime | None = None
    actual_end: ClockTime | None = None
    promised: WindowFile | None = Field(
        default=None, description="The window the customer was told."
    )


class PositionFile(StrictModel):
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")


class EngineerStateFile(StrictModel):
    """Where an engineer was last seen, and from when they are off."""

    position: PositionFile | None = None
    seen_at: ClockTime | None = None
    off_from: ClockTime | None = None


class StateFile(StrictModel):
    """The day as it runs."""

    visits: dict[Id, VisitStateFile] = Field(default_factory=dict)
    engineers: dict[Id, EngineerStateFile] = Field(default_factory=dict)


def state_from_json(problem: Problem, text: str) -> DayState:
    """Parse a state file for ``problem``'s day.

    Raises
    ------
    InputFormatError
        Malformed JSON, unknown fields or statuses, times that are not times, or visit and
        engineer ids the problem does not have: one line per fault.
    """
    f, _ = validate_json(StateFile, text)
    clock = clock_for(problem)
    errors: list[str] = []
    visit_ids = {v.id for v in problem.visits}
    engineer_ids = {e.id for e in problem.engineers}

    def seconds(where: str, text: str | None) -> int | None:
        if text is None:
            return None
        try:
            return clock.seconds(text, where)
        except ValueError as e:
            errors.append(f"{where} = {text!r}: {e}")
            return None

    visits = {}
    for vid, v in f.visits.items():
        where = f"visits[{vid!r}]"
        if vid not in visit_ids:
            errors.append(f"{where}: is not a visit of the problem")
        promised = None
        if v.promised is not None:
            lo = seconds(f"{where}.promised.start", v.promised.start)
            hi = seconds(f"{where}.promised.end", v.promised.end)
            if lo is not None and hi is not None:
                if hi < lo:
                    errors.append(f"{where}.promised.end: must not be before its start")
                else:
                    promised = TimeWindow(lo, hi)
        visits[vid] = VisitState(
            VisitStatus(v.status),
            seconds(f"{where}.actual_start", v.actual_start),
            seconds(f"{where}.actual_end", v.actual_end),
            promised,
        )
    engineers = {}
    for eid, e in f.engineers.items():
        where = f"engineers[{eid!r}]"
        if eid not in engineer_ids:
            errors.append(f"{where}: is not an engineer of the problem")
        engineers[eid] = EngineerState(
            e.position.lat if e.position else None,
            e.position.lon if e.position else None,
            seconds(f"{where}.seen_at", e.seen_at),
            seconds(f"{where}.off_from", e.off_from),
        )
    if errors:
        raise InputFormatError("\n".join(errors))
    return DayState(visits, engineers)


def load_state(problem: Problem, path: str | os.PathLike[str]) -> DayState:
    """Read a state file (UTF-8 JSON); errors are prefixed with the path."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise InputFormatError(f"{os.fspath(path)}: cannot read: {e.strerror or e}") from None
    try:
        return state_from_json(problem, text)
    except InputFormatError as e:
        raise InputFormatError(f"{os.fspath(path)}: {e}") from e
