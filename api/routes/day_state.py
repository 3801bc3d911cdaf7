"""The day as it runs: a dispatcher cancels a visit or sends an engineer home (off from a
time on); an engineer (or a dispatcher) reports where the engineer is. Re-plans read it
(``POST /plans`` with ``replan``)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, status

from api.auth import Role
from api.config import Settings
from api.db.models import Engineer, EngineerDay, Visit, utcnow
from api.deps import Dispatcher, PrincipalDep, SessionDep, SettingsDep, SolvedPlansDep
from api.routes.common import ERRORS, PathId, actor, body_error, conflict, get_or_404
from api.routes.engineers import check_self_or_staff
from api.routes.schedule import DateQuery
from api.routes.visits import visit_out
from api.schedules import rerender_showing
from api.schemas import VisitOut, VisitStatus
from api.schemas_day import CancelIn, EngineerDayOut, OffIn, PositionIn
from api.store import audit
from api.store.day_state import (
    cancel_visit,
    day_clock,
    instant,
    local_date,
    off_roads,
    set_off,
    set_position,
)

router = APIRouter(tags=["day state"], responses=ERRORS)


def check_on_roads(settings: Settings, lat: float, lon: float, field: str) -> None:
    """422 on ``field`` when the server plans on a road network and the point is farther
    from its roads than ``max_snap_m``."""
    why = off_roads(settings, lat, lon)
    if why is not None:
        raise body_error(field, why, [lat, lon])


def day_out(row: EngineerDay) -> EngineerDayOut:
    return EngineerDayOut(
        engineer_id=row.engineer_id,
        date=row.date,
        lat=row.lat,
        lon=row.lon,
        seen_at=row.seen_at,
        off_from=row.off_from,
    )


@router.post("/visits/{visit_id}/cancel")
def cancel(
    visit_id: PathId,
    body: CancelIn,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: Dispatcher,
) -> VisitOut:
    """The customer cancelled: no plan serves the visit again, it leaves the engineers'
    schedules (re-rendered now), and a re-plan hands its time to others. 409 when it is
    under way or over."""
    row = get_or_404(session, Visit, visit_id, "visit")
    current = VisitStatus(row.status)
    if current is VisitStatus.CANCELLED:
        return visit_out(row)
    if current not in (VisitStatus.PENDING, VisitStatus.EN_ROUTE):
        raise conflict(f"visit {visit_id!r} is {current.value}; it cannot be cancelled")
    cancel_visit(row, body.note)
    session.flush()
    rerender_showing(session, plans, [(row.service_centre_id, row.date, row.id)])
    audit.record(session, actor(principal), "cancel", "visit", visit_id, note=body.note)
    session.commit()
    return visit_out(row)


@router.patch("/engineers/{engineer_id}/position")
def update_position(
    engineer_id: PathId,
    body: PositionIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> EngineerDayOut:
    """Where the engineer is (the engineer themself, or a dispatcher); a re-plan starts
    them there. ``at`` defaults to now. 422 for a point far off the server's road network."""
    check_self_or_staff(principal, engineer_id)
    if principal.role is Role.PLANNER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a planner does not move engineers")
    engineer = get_or_404(session, Engineer, engineer_id, "engineer")
    check_on_roads(settings, body.lat, body.lon, "lat")
    centre = engineer.service_centre_id
    try:
        if body.at is None:
            seen_at = utcnow()
            date = body.date or local_date(session, centre, seen_at)
        else:
            date = body.date or _date_of(session, centre, body.at)
            seen_at = instant(day_clock(session, centre, date), body.at)
    except ValueError as e:
        raise body_error("at", str(e), body.at) from None
    row = set_position(session, engineer_id, date, body.lat, body.lon, seen_at)
    audit.record(
        session, actor(principal), "position", "engineer", engineer_id, date=date.isoformat()
    )
    session.commit()
    return day_out(row)


def _date_of(session: SessionDep, centre_id: str, text: str) -> dt.date:
    """The centre's local date of ``text``: an ISO 8601 instant's, else today's."""
    if "T" not in text:
        return local_date(session, centre_id, utcnow())
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.date()
    return local_date(session, centre_id, moment.astimezone(dt.UTC).replace(tzinfo=None))


@router.patch("/engineers/{engineer_id}/off")
def update_off(
    engineer_id: PathId, body: OffIn, session: SessionDep, principal: Dispatcher
) -> EngineerDayOut:
    """The engineer is off from ``off_from`` on ``date`` (sick, leave): a re-plan from then
    on hands their remaining visits to others. ``off_from`` null clears it."""
    engineer = get_or_404(session, Engineer, engineer_id, "engineer")
    off = None
    if body.off_from is not None:
        try:
            off = instant(day_clock(session, engineer.service_centre_id, body.date), body.off_from)
        except ValueError as e:
            raise body_error("off_from", str(e), body.off_from) from None
    row = set_off(session, engineer_id, body.date, off)
    audit.record(
        session, actor(principal), "off", "engineer", engineer_id,
        date=body.date.isoformat(), off_from=body.off_from,
    )  # fmt: skip
    session.commit()
    return day_out(row)


@router.get("/engineers/{engineer_id}/day")
def get_engineer_day(
    engineer_id: PathId, date: DateQuery, session: SessionDep, principal: PrincipalDep
) -> EngineerDayOut:
    """The engineer's state on ``date``: last known position and when, off from when."""
    check_self_or_staff(principal, engineer_id)
    get_or_404(session, Engineer, engineer_id, "engineer")
    row = session.get(EngineerDay, (engineer_id, date))
    if row is None:
        return EngineerDayOut(
            engineer_id=engineer_id, date=date, lat=None, lon=None, seen_at=None, off_from=None
        )
    return day_out(row)
