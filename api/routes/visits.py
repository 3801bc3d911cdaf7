"""Visits: dispatchers write, staff read; the assigned engineer reports progress."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel
from sqlalchemy import delete, select

from api.auth import Role
from api.db.models import Visit, utcnow
from api.deps import Dispatcher, PrincipalDep, SessionDep, SettingsDep, SolvedPlansDep, Staff
from api.routes.common import (
    ERRORS,
    IdQuery,
    Page,
    PathId,
    actor,
    body_error,
    check_centre_exists,
    conflict,
    get_or_404,
    patched,
)
from api.schedules import publish_schedules, rerender_showing
from api.schemas import (
    VisitFields,
    VisitIn,
    VisitKind,
    VisitOut,
    VisitPatch,
    VisitStatus,
    VisitStatusIn,
)
from api.store import audit
from api.store.day_state import day_clock, instant, off_roads, record_report
from api.store.plans import PlanDataError
from api.store.versions import serves_on_published

router = APIRouter(prefix="/visits", tags=["visits"], responses=ERRORS)

# A visit moves forward only; done and cannot_complete are final.
_STEP = {
    VisitStatus.PENDING: 0,
    VisitStatus.EN_ROUTE: 1,
    VisitStatus.STARTED: 2,
    VisitStatus.DONE: 3,
    VisitStatus.CANNOT_COMPLETE: 3,
    VisitStatus.CANCELLED: 3,
}


def visit_out(row: Visit) -> VisitOut:
    return VisitOut.model_validate(row)


def visit_fields(row: Visit) -> dict[str, object]:
    """The stored fields as sent; a crew visit's derived duration, size and skills left out
    (crew takes their place)."""
    out = {name: getattr(row, name) for name in VisitFields.model_fields if hasattr(row, name)}
    if row.crew is not None:
        out.update(duration_min=None, engineers_required=1, required_skills=[])
    return out


def stored_values(body: VisitFields) -> dict[str, object]:
    """The row's values for ``body``: a crew's size, longest minutes and common skills."""
    values = body.model_dump(mode="json")
    values["date"] = body.date
    if body.crew is not None:
        values["engineers_required"] = len(body.crew)
        values["duration_min"] = max(m.duration_min for m in body.crew)
        values["required_skills"] = sorted(set.intersection(*(set(m.skills) for m in body.crew)))
    return values


@router.post("", status_code=status.HTTP_201_CREATED)
def create_visit(
    body: VisitIn, session: SessionDep, principal: Dispatcher, response: Response
) -> VisitOut:
    """Add a visit or community event for one day; 409 when the id is taken."""
    if session.get(Visit, body.id) is not None:
        raise conflict(f"visit {body.id!r} already exists")
    check_centre_exists(session, body.service_centre_id)
    row = Visit(**stored_values(body))
    session.add(row)
    audit.record(session, actor(principal), "create", "visit", row.id)
    session.commit()
    response.headers["Location"] = f"/visits/{row.id}"
    return visit_out(row)


@router.get("")
def list_visits(
    session: SessionDep,
    _: Staff,
    page: Page,
    date: dt.date | None = None,
    service_centre_id: IdQuery = None,
    status: VisitStatus | None = None,
    kind: VisitKind | None = None,
) -> list[VisitOut]:
    """Visits by date and id, filtered by day, centre, status and kind; a list cut at
    ``limit`` says where the next page starts (``X-Next-Offset``, ``Link``)."""
    query = select(Visit).order_by(Visit.date, Visit.id)
    if date is not None:
        query = query.where(Visit.date == date)
    if service_centre_id is not None:
        query = query.where(Visit.service_centre_id == service_centre_id)
    if status is not None:
        query = query.where(Visit.status == status.value)
    if kind is not None:
        query = query.where(Visit.kind == kind.value)
    return [visit_out(r) for r in page.cut(session.scalars(page.query(query)).all())]


class VisitsDeletedOut(BaseModel):
    deleted: int


@router.delete("")
def delete_day_visits(
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: Dispatcher,
    date: Annotated[dt.date, Query(description="The day whose visits go, YYYY-MM-DD.")],
    service_centre_id: IdQuery = None,
) -> VisitsDeletedOut:
    """Delete every visit of a day (of one centre, or of all), in one transaction. As with
    one visit, those on a published plan leave its engineers' schedules (re-rendered now).
    """
    query = select(Visit.service_centre_id, Visit.date, Visit.id).where(Visit.date == date)
    if service_centre_id is not None:
        query = query.where(Visit.service_centre_id == service_centre_id)
    shown = [(c, d, v) for c, d, v in session.execute(query)]
    ids = [v for _, _, v in shown]
    for i in range(0, len(ids), 500):
        session.execute(delete(Visit).where(Visit.id.in_(ids[i : i + 500])))
    session.flush()
    rerender_showing(session, plans, shown)
    audit.record(
        session,
        actor(principal),
        "delete",
        "visits",
        date.isoformat(),
        service_centre_id=service_centre_id,
        visits=len(ids),
    )
    session.commit()
    return VisitsDeletedOut(deleted=len(ids))


@router.get("/{visit_id}")
def get_visit(visit_id: PathId, session: SessionDep, _: Staff) -> VisitOut:
    row = get_or_404(session, Visit, visit_id, "visit")
    return visit_out(row)


@router.patch("/{visit_id}")
def update_visit(
    visit_id: PathId, body: VisitPatch, session: SessionDep, principal: Dispatcher
) -> VisitOut:
    """Change the fields sent; the others keep their values."""
    row = get_or_404(session, Visit, visit_id, "visit")
    merged = patched(VisitFields, visit_fields(row), body)
    if merged.service_centre_id != row.service_centre_id:
        check_centre_exists(session, merged.service_centre_id)
    values = stored_values(merged)
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    audit.record(session, actor(principal), "change", "visit", visit_id, fields=changed)
    session.commit()
    return visit_out(row)


@router.delete("/{visit_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_visit(
    visit_id: PathId, session: SessionDep, plans: SolvedPlansDep, principal: Dispatcher
) -> None:
    """Delete a visit. On a published plan it is treated like a cancellation: it leaves
    the engineer's schedule (re-rendered now); a re-plan hands its time to others."""
    row = get_or_404(session, Visit, visit_id, "visit")
    shown = [(row.service_centre_id, row.date, row.id)]
    session.delete(row)
    session.flush()
    rerender_showing(session, plans, shown)
    audit.record(session, actor(principal), "delete", "visit", visit_id)
    session.commit()


@router.patch("/{visit_id}/status")
def update_visit_status(
    visit_id: PathId,
    body: VisitStatusIn,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> VisitOut:
    """The engineer assigned the visit in the published plan reports progress.

    Status moves forward only (en_route, started, then done or cannot_complete); sending the
    current status again changes nothing; moving back or off a final status (cancelled too)
    is a 409. ``at`` (default now) is the visit's actual start (started) or end (done,
    cannot_complete); ``lat``/``lon`` are the engineer's position then. A visit a re-plan
    left out (under way) is still the engineer's to report.
    """
    if principal.role is not Role.ENGINEER or principal.engineer_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the engineer assigned the visit reports its status"
        )
    row = get_or_404(session, Visit, visit_id, "visit")
    try:
        plan = plans.published(session, row.service_centre_id, row.date)
    except PlanDataError as e:
        raise conflict(str(e)) from None
    engineer = principal.engineer_id
    if plan is None or not serves_on_published(session, plans, plan, engineer, visit_id):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"visit {visit_id!r} is not on your published schedule for {row.date.isoformat()}",
        )
    new, current = VisitStatus(body.status), VisitStatus(row.status)
    if new is current:
        return visit_out(row)
    if _STEP[current] == 3 or _STEP[new] < _STEP[current]:
        raise conflict(f"visit {visit_id!r} is {current.value}; it cannot become {new.value}")
    try:
        clock = day_clock(session, row.service_centre_id, row.date)
        at = utcnow() if body.at is None else instant(clock, body.at)
    except ValueError as e:
        raise body_error("at", str(e), body.at) from None
    row.status = new.value
    row.status_changed_at = utcnow()
    if body.note:
        row.status_note = body.note
    position = (body.lat, body.lon) if body.lat is not None and body.lon is not None else None
    if position is not None and (why := off_roads(settings, *position)) is not None:
        raise body_error("lat", why, list(position))
    record_report(session, row, new, at, principal.engineer_id, position)
    session.flush()
    try:  # the schedules showing the visit show its new status
        publish_schedules(session, plan, row.date, plan.engineers_serving(visit_id))
    except PlanDataError as e:
        raise conflict(str(e)) from None
    audit.record(
        session, actor(principal), "status", "visit", visit_id, status=new.value, note=body.note,
        at=at.isoformat(),
    )  # fmt: skip
    session.commit()
    return visit_out(row)
