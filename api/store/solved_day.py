"""A day planned elsewhere (``fieldroute demo``, ``fieldroute solve``) stored as the service's
own: its centres, engineers and visits as rows, and its plan as a succeeded plan, published
if asked. The board, the engineers' schedules and later plans of the day then work on it as
on a day loaded through the API.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Engineer, PlanCentre, PlanJob, ServiceCentre, Visit, utcnow
from api.schemas import PlanOptionsIn, PlanStatus
from api.store.day import VisitDetails
from scheduler.domain import Problem
from scheduler.formats import plan_from_json, problem_to_json
from scheduler.formats.clock import seconds_to_minutes, wall_text

__all__ = ["DayStoredError", "store_solved_day"]


class DayStoredError(Exception):
    """The day's centres are already in the database; the message names the plan."""

    def __init__(self, message: str, plan_id: int | None) -> None:
        super().__init__(message)
        self.plan_id = plan_id


def _clock(seconds: int) -> str:
    return wall_text(max(0, min(seconds, 86_400)))


def _add_rows(session: Session, problem: Problem, served_by: dict[str, str]) -> None:
    """Rows of the day's centres, engineers and visits; a visit belongs to the centre of
    the engineer serving it (else the nearest centre)."""
    where = {loc.id: loc for loc in problem.locations}
    timezone = problem.timezone or "UTC"
    for c in problem.service_centers:
        loc = where[c.location]
        session.add(
            ServiceCentre(
                id=c.id, name=c.name, address="", lat=loc.lat, lon=loc.lon, timezone=timezone
            )
        )
    session.flush()  # the centres first: engineers and visits refer to them
    centre_of = {c.location: c.id for c in problem.service_centers}
    for e in problem.engineers:
        session.add(
            Engineer(
                id=e.id,
                name=e.name,
                service_centre_id=e.service_center or centre_of[e.start_location],
                skills=sorted(e.skills),
                shift_start=_clock(e.shift_start),
                shift_end=_clock(e.shift_end),
                breaks=[
                    {
                        "duration_min": seconds_to_minutes(b.duration),
                        "earliest_start": _clock(b.earliest_start),
                        "latest_end": _clock(b.latest_end),
                    }
                    for b in e.breaks
                ],
                overtime_max_min=seconds_to_minutes(e.overtime_max),
            )
        )
    centre_by_engineer = {
        e.id: e.service_center or centre_of[e.start_location] for e in problem.engineers
    }
    nearest = _nearest_centre(problem)
    for v in problem.visits:
        loc = where[v.location]
        details = VisitDetails.of(v)
        title = str(v.details.get("title") or "")
        venue = str(v.details.get("venue") or "")
        engineer = served_by.get(v.id)
        centre = centre_by_engineer[engineer] if engineer else nearest(loc.lat, loc.lon)
        session.add(
            Visit(
                id=v.id,
                service_centre_id=centre,
                date=problem.date,
                kind=v.kind.value,
                lat=loc.lat,
                lon=loc.lon,
                address=details.address,
                duration_min=seconds_to_minutes(v.duration),
                time_windows=[
                    {"start": _clock(w.start), "end": _clock(w.end)} for w in v.time_windows
                ],
                soft_windows=v.soft_windows,
                required_skills=sorted(v.required_skills),
                priority=v.priority,
                allowed_engineers=sorted(v.allowed_engineers),
                preferred_engineers=sorted(v.preferred_engineers),
                engineers_required=v.engineers_required,
                crew=[
                    {"skills": sorted(m.skills), "duration_min": seconds_to_minutes(m.duration)}
                    for m in v.crew
                ]
                or None,
                crew_timing=(
                    {
                        "sequence": {
                            "min_gap_min": seconds_to_minutes(v.crew_timing.min_gap),
                            "max_gap_min": seconds_to_minutes(v.crew_timing.max_gap),
                        }
                    }
                    if v.crew_timing is not None
                    else "together"
                ),
                job_type=details.job_type if not v.is_event else (title or details.job_type),
                customer_name=details.customer_name or venue,
                customer_phone=details.customer_phone,
                notes=details.notes or str(v.details.get("note", "")),
            )
        )


def _nearest_centre(problem: Problem) -> Any:
    where = {loc.id: loc for loc in problem.locations}
    centres = [(c.id, where[c.location]) for c in problem.service_centers]

    def nearest(lat: float, lon: float) -> str:
        return min(centres, key=lambda c: (c[1].lat - lat) ** 2 + (c[1].lon - lon) ** 2)[0]

    return nearest


def store_solved_day(
    session: Session,
    problem: Problem,
    plan_document: dict[str, Any],
    *,
    publish: bool = True,
    created_by: str = "import",
) -> int:
    """Store ``problem``'s centres, engineers and visits and its plan (a plan file's
    document, as ``plan.json``) as a succeeded plan; the plan's id. Added and flushed; the
    caller commits.

    Raises ``DayStoredError`` when one of the day's centres is already stored (with the
    plan published for it that day, if any), and ``InputFormatError`` when the plan does not
    fit the problem.
    """
    plan = plan_from_json(problem, json.dumps(plan_document))  # refuses another day's plan
    centre_ids = [c.id for c in problem.service_centers]
    taken = session.scalars(select(ServiceCentre.id).where(ServiceCentre.id.in_(centre_ids)))
    if taken.first() is not None:
        published = session.scalars(
            select(PlanCentre.plan_id).where(
                PlanCentre.service_centre_id.in_(centre_ids),
                PlanCentre.date == problem.date,
                PlanCentre.published,
            )
        ).first()
        raise DayStoredError(
            f"the day's service centres ({', '.join(centre_ids)}) are already stored", published
        )
    served_by = {s.visit_id: r.engineer_id for r in plan.routes for s in r.stops}
    _add_rows(session, problem, served_by)
    now = utcnow()
    row = PlanJob(
        date=problem.date,
        status=PlanStatus.SUCCEEDED.value,
        options=PlanOptionsIn().model_dump(mode="json"),
        problem=problem_to_json(problem),
        result=plan_document,
        created_by=created_by,
        started_at=now,
        finished_at=now,
        published_at=now if publish else None,
        centres=[
            PlanCentre(service_centre_id=c, date=problem.date, published=publish)
            for c in centre_ids
        ],
    )
    session.add(row)
    session.flush()
    return row.id
