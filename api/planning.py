"""From stored centres, engineers and visits to a problem file, and plan ownership lookups."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, lazyload

from api.db.models import Engineer, PlanCentre, PlanJob, ServiceCentre, Visit
from api.schemas import PlanOptionsIn
from scheduler.formats import problem_from_json


class PlanningInputError(ValueError):
    """The stored data cannot make a problem; ``loc`` names the request field at fault."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def centre_location(centre_id: str) -> str:
    return f"centre:{centre_id}"


def visit_location(visit_id: str) -> str:
    return f"visit:{visit_id}"


def _engineer_json(e: Engineer) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "start_location": centre_location(e.service_centre_id),
        "end_location": centre_location(e.service_centre_id),
        "shift_start": e.shift_start,
        "shift_end": e.shift_end,
        "breaks": list(e.breaks),
        "skills": list(e.skills),
        "overtime_max_min": e.overtime_max_min,
        "service_center": e.service_centre_id,
    }


def _visit_json(v: Visit) -> dict[str, Any]:
    return {
        "id": v.id,
        "kind": v.kind,
        "location": visit_location(v.id),
        "duration_min": v.duration_min,
        "time_windows": list(v.time_windows),
        "soft_windows": v.soft_windows,
        "required_skills": list(v.required_skills),
        "priority": v.priority,
        "allowed_engineers": list(v.allowed_engineers),
        "preferred_engineers": list(v.preferred_engineers),
        "engineers_required": v.engineers_required,
        "details": {
            "address": v.address,
            "lat": v.lat,
            "lon": v.lon,
            "job_type": v.job_type,
            "customer": v.customer_name,
            "phone": v.customer_phone,
            "notes": v.notes,
        },
    }


def _options_json(options: PlanOptionsIn) -> dict[str, Any]:
    out: dict[str, Any] = {
        "time_limit_s": options.time_limit_s,
        "event_subsets_max": options.event_subsets_max,
    }
    if options.solution_limit is not None:
        out["solution_limit"] = options.solution_limit
    if options.weights is not None:
        out["weights"] = options.weights.model_dump()
    return out


def problem_document(
    session: Session, date: dt.date, centre_ids: Sequence[str], options: PlanOptionsIn
) -> dict[str, Any]:
    """The problem file for ``date`` at the given centres: active engineers, the day's visits.

    Raises ``PlanningInputError`` for unknown centres, centres in different time zones, or a
    problem the core rejects (its message names the visit or engineer and the field).
    """
    ids = list(dict.fromkeys(centre_ids))
    centres = {
        c.id: c for c in session.scalars(select(ServiceCentre).where(ServiceCentre.id.in_(ids)))
    }
    for i, cid in enumerate(centre_ids):
        if cid not in centres:
            raise PlanningInputError(
                ("body", "service_centre_ids", str(i)), f"service centre {cid!r} does not exist"
            )
    zones = sorted({c.timezone for c in centres.values()})
    if len(zones) > 1:
        raise PlanningInputError(
            ("body", "service_centre_ids"),
            f"the centres are in different time zones ({', '.join(zones)}); plan them separately",
        )
    engineers = session.scalars(
        select(Engineer)
        .where(Engineer.service_centre_id.in_(ids), Engineer.active)
        .order_by(Engineer.id)
    ).all()
    visits = session.scalars(
        select(Visit).where(Visit.service_centre_id.in_(ids), Visit.date == date).order_by(Visit.id)
    ).all()
    document: dict[str, Any] = {
        "date": date.isoformat(),
        "timezone": zones[0],
        "locations": [
            {"id": centre_location(c.id), "lat": c.lat, "lon": c.lon} for c in centres.values()
        ]
        + [{"id": visit_location(v.id), "lat": v.lat, "lon": v.lon} for v in visits],
        "service_centers": [
            {"id": c.id, "name": c.name, "location": centre_location(c.id)}
            for c in centres.values()
        ],
        "engineers": [_engineer_json(e) for e in engineers],
        "visits": [_visit_json(v) for v in visits],
        "options": _options_json(options),
    }
    try:
        problem_from_json(json.dumps(document))
    except ValueError as e:
        raise PlanningInputError(
            ("body",), f"the stored data for this day is not plannable: {e}"
        ) from None
    return document


def published_plan_for(session: Session, centre_id: str, date: dt.date) -> PlanJob | None:
    """The plan published for a centre and day, if any.

    Loaded for reading its result: the problem document (as large as the result, and
    decoding it was most of a schedule request's time) and the centres load only if used.
    """
    return session.scalars(
        select(PlanJob)
        .join(PlanCentre)
        .where(
            PlanCentre.service_centre_id == centre_id,
            PlanCentre.date == date,
            PlanCentre.published,
        )
        .options(defer(PlanJob.problem), lazyload(PlanJob.centres))
    ).one_or_none()


def route_of(plan: PlanJob, engineer_id: str) -> dict[str, Any] | None:
    """The engineer's route in a finished plan's result (plan-file JSON), if any."""
    for route in (plan.result or {}).get("routes", []):
        if route.get("engineer_id") == engineer_id:
            r: dict[str, Any] = route
            return r
    return None


def engineers_assigned(plan: PlanJob, visit_id: str) -> set[str]:
    """Ids of the engineers whose route in ``plan`` serves ``visit_id``."""
    return {
        route["engineer_id"]
        for route in (plan.result or {}).get("routes", [])
        if any(stop.get("visit_id") == visit_id for stop in route.get("stops", []))
    }
