"""The domain ``Problem`` of one day at some service centres, built from the stored rows.

Each centre and visit becomes a :class:`~scheduler.domain.Location` (``centre:<id>``,
``visit:<id>``, WGS84 degrees); every engineer starts and ends at their centre. Clock times
(``"HH:MM"`` on the day, in the centres' time zone) become seconds since local midnight and
minutes become seconds through ``scheduler.formats.clock``, so the problem the service plans
is the problem the library would read from the same day's problem file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Engineer, ServiceCentre, Visit
from api.schemas import PlanOptionsIn
from scheduler.domain import (
    Break,
    CrewMember,
    CrewSequence,
    Location,
    Problem,
    SearchParams,
    ServiceCenter,
    SolveOptions,
    TimeWindow,
    VisitKind,
    Weights,
)
from scheduler.domain import Engineer as DomainEngineer
from scheduler.domain import Visit as DomainVisit
from scheduler.errors import ProblemError
from scheduler.formats.clock import DayClock, minutes_to_seconds, zone

__all__ = [
    "PlanningInputError",
    "VisitDetails",
    "centre_location",
    "engineer_from_row",
    "problem_for_day",
    "solve_options",
    "visit_from_row",
    "visit_location",
]


class PlanningInputError(ValueError):
    """The stored data cannot make a problem; ``loc`` names the request field at fault."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def centre_location(centre_id: str) -> str:
    """The location id of a service centre in a day's problem."""
    return f"centre:{centre_id}"


def visit_location(visit_id: str) -> str:
    """The location id of a visit in a day's problem."""
    return f"visit:{visit_id}"


@dataclass(frozen=True, slots=True)
class VisitDetails:
    """What an engineer needs at a visit beyond when and where: the dispatcher's texts.

    Carried in the domain visit's ``details`` (and so in the plan file's stops) under the
    keys ``address``, ``job_type``, ``customer``, ``phone`` and ``notes``, beside the
    visit's ``lat`` and ``lon``.
    """

    address: str = ""
    job_type: str = ""
    customer_name: str = ""
    customer_phone: str = ""
    notes: str = ""

    @classmethod
    def of(cls, visit: DomainVisit) -> VisitDetails:
        """The texts in ``visit.details``; a text never given is empty."""
        d = visit.details
        return cls(
            address=str(d.get("address", "")),
            job_type=str(d.get("job_type", "")),
            customer_name=str(d.get("customer", "")),
            customer_phone=str(d.get("phone", "")),
            notes=str(d.get("notes", "")),
        )

    def as_details(self, location: Location) -> dict[str, Any]:
        """The domain visit's ``details``: these texts and where the visit is."""
        return {
            "address": self.address,
            "lat": location.lat,
            "lon": location.lon,
            "job_type": self.job_type,
            "customer": self.customer_name,
            "phone": self.customer_phone,
            "notes": self.notes,
        }


def solve_options(options: PlanOptionsIn) -> SolveOptions:
    """The search a plan request asks for: engine, seconds, solutions or iterations, seed,
    events tried, weights.

    Raises ``PlanningInputError`` for values the library refuses.
    """
    try:
        return SolveOptions(
            time_limit=options.time_limit_s,
            solution_limit=options.solution_limit,
            event_subsets_max=options.event_subsets_max,
            weights=Weights(**options.weights.model_dump()) if options.weights else Weights(),
            engine=options.engine,
            params=SearchParams(seed=options.seed, iterations=options.iterations),
        )
    except ProblemError as e:
        raise PlanningInputError(("body", "options"), str(e)) from None


def _seconds(clock: DayClock, text: str, owner: str, field: str) -> int:
    """Seconds since local midnight of the clock time ``text`` in ``owner``'s ``field``."""
    try:
        return clock.seconds(text)
    except ValueError as e:  # e.g. a time the clocks skip that day
        raise ProblemError(owner, field, text, str(e)) from None


def engineer_from_row(row: Engineer, clock: DayClock) -> DomainEngineer:
    """The engineer's day on ``clock``'s date: shift and breaks in seconds since local
    midnight, overtime in seconds, starting and ending at their service centre."""
    who = f"engineer {row.id!r}"
    home = centre_location(row.service_centre_id)
    return DomainEngineer(
        id=row.id,
        name=row.name,
        start_location=home,
        end_location=home,
        shift_start=_seconds(clock, row.shift_start, who, "shift_start"),
        shift_end=_seconds(clock, row.shift_end, who, "shift_end"),
        breaks=tuple(
            Break(
                duration=minutes_to_seconds(b["duration_min"]),
                earliest_start=_seconds(clock, b["earliest_start"], who, "breaks.earliest_start"),
                latest_end=_seconds(clock, b["latest_end"], who, "breaks.latest_end"),
            )
            for b in row.breaks
        ),
        skills=frozenset(row.skills),
        overtime_max=minutes_to_seconds(row.overtime_max_min),
        service_center=row.service_centre_id,
    )


def visit_from_row(row: Visit, clock: DayClock) -> DomainVisit:
    """The visit on ``clock``'s date: duration in seconds, windows in seconds since local
    midnight, the dispatcher's texts and its coordinates in ``details``."""
    what = f"visit {row.id!r}"
    where = Location(visit_location(row.id), row.lat, row.lon)
    details = VisitDetails(
        address=row.address,
        job_type=row.job_type,
        customer_name=row.customer_name,
        customer_phone=row.customer_phone,
        notes=row.notes,
    )
    return DomainVisit(
        id=row.id,
        location=where.id,
        duration=minutes_to_seconds(row.duration_min),
        kind=VisitKind(row.kind),
        time_windows=tuple(
            TimeWindow(
                _seconds(clock, w["start"], what, "time_windows.start"),
                _seconds(clock, w["end"], what, "time_windows.end"),
            )
            for w in row.time_windows
        ),
        soft_windows=row.soft_windows,
        required_skills=frozenset(row.required_skills),
        priority=row.priority,
        allowed_engineers=frozenset(row.allowed_engineers),
        preferred_engineers=frozenset(row.preferred_engineers),
        engineers_required=row.engineers_required,
        details=details.as_details(where),
        crew=tuple(
            CrewMember(frozenset(m["skills"]), minutes_to_seconds(m["duration_min"]))
            for m in row.crew or ()
        ),
        crew_timing=(
            CrewSequence(
                minutes_to_seconds(row.crew_timing["sequence"]["min_gap_min"]),
                minutes_to_seconds(row.crew_timing["sequence"]["max_gap_min"]),
            )
            if isinstance(row.crew_timing, dict)
            else None
        ),
    )


def _centres(session: Session, centre_ids: Sequence[str]) -> Mapping[str, ServiceCentre]:
    """The stored centres, in request order; 422 material for unknown ids or mixed zones."""
    ids = list(dict.fromkeys(centre_ids))
    found = {
        c.id: c for c in session.scalars(select(ServiceCentre).where(ServiceCentre.id.in_(ids)))
    }
    for i, cid in enumerate(centre_ids):
        if cid not in found:
            raise PlanningInputError(
                ("body", "service_centre_ids", str(i)), f"service centre {cid!r} does not exist"
            )
    zones = sorted({c.timezone for c in found.values()})
    if len(zones) > 1:
        raise PlanningInputError(
            ("body", "service_centre_ids"),
            f"the centres are in different time zones ({', '.join(zones)}); plan them separately",
        )
    return {cid: found[cid] for cid in ids}


def problem_for_day(
    session: Session, date: dt.date, centre_ids: Sequence[str], options: SolveOptions
) -> Problem:
    """The problem of ``date`` at the given centres: their active engineers and the day's
    visits, searched with ``options``.

    Raises ``PlanningInputError`` for unknown centres, centres in different time zones, or
    data the library refuses (its message names the visit or engineer and the field).
    """
    centres = _centres(session, centre_ids)
    timezone = next(iter(centres.values())).timezone
    engineers = session.scalars(
        select(Engineer)
        .where(Engineer.service_centre_id.in_(list(centres)), Engineer.active)
        .order_by(Engineer.id)
    ).all()
    visits = session.scalars(
        select(Visit)
        .where(Visit.service_centre_id.in_(list(centres)), Visit.date == date)
        .order_by(Visit.id)
    ).all()
    try:
        clock = DayClock(date, zone(timezone))
        return Problem(
            date=date,
            timezone=timezone,
            locations=(
                *(Location(centre_location(c.id), c.lat, c.lon) for c in centres.values()),
                *(Location(visit_location(v.id), v.lat, v.lon) for v in visits),
            ),
            service_centers=tuple(
                ServiceCenter(c.id, c.name, centre_location(c.id)) for c in centres.values()
            ),
            engineers=tuple(engineer_from_row(e, clock) for e in engineers),
            visits=tuple(visit_from_row(v, clock) for v in visits),
            options=options,
        )
    except ValueError as e:  # ProblemError, or a zone the library does not know
        raise PlanningInputError(
            ("body",), f"the stored data for this day is not plannable: {e}"
        ) from None
