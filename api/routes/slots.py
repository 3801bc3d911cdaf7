"""``POST /slots``: the windows a new request could be booked in, cheapest first, over the
published plans of the candidate days, storing nothing (customers choose a slot before the
visit exists). ``scheduler.slots.offer_slots`` does the work; the road times to and from the
new place come from ``scheduler.travel.extended_matrix`` on each plan's matrix."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from sqlalchemy import select

from api.db.models import PlanCentre, ServiceCentre, utcnow
from api.deps import Dispatcher, SessionDep, SettingsDep, SolvedPlansDep
from api.routes.common import ERRORS, body_error, conflict
from api.routes.day_state import check_on_roads
from api.routes.moves import MatricesDep
from api.schemas_day import SlotOut, SlotsIn, SlotsOut
from api.store.matrices import road_provider_for
from api.store.plans import PlanDataError
from scheduler.domain import TimeWindow
from scheduler.errors import ProblemError
from scheduler.formats.clock import clock_for, minutes_to_seconds
from scheduler.slots import BookingDay, SlotRequest, offer_slots, with_request
from scheduler.travel import extended_matrix

router = APIRouter(prefix="/slots", tags=["booking slots"], responses=ERRORS)


@router.post("")
def find_slots(
    body: SlotsIn,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    matrices: MatricesDep,
    _: Dispatcher,
) -> SlotsOut:
    """Every candidate window (of each day asked for) the request fits in over the plans
    published that day, cheapest first: the engineer, their stop it goes before, the
    earliest start and the cost it adds. On today, no start before now. Stores nothing.

    422 naming the field for unknown centres or a place far off the server's road network.
    """
    check_on_roads(settings, body.lat, body.lon, "lat")
    centres = body.service_centre_ids
    if centres is not None:
        known = set(session.scalars(select(ServiceCentre.id).where(ServiceCentre.id.in_(centres))))
        for c in centres:
            if c not in known:
                raise body_error("service_centre_ids", f"service centre {c!r} does not exist", c)
    try:
        request = SlotRequest(
            lat=body.lat,
            lon=body.lon,
            duration=minutes_to_seconds(body.duration_min),
            skills=frozenset(body.skills),
        )
    except ProblemError as e:
        raise body_error(e.field, e.expected, e.value) from None
    days: list[BookingDay] = []
    dates: dict[str, dt.date] = {}
    without: list[dt.date] = []
    for wanted in body.days:
        query = select(PlanCentre.plan_id).where(
            PlanCentre.date == wanted.date, PlanCentre.published
        )
        if centres is not None:
            query = query.where(PlanCentre.service_centre_id.in_(centres))
        plan_ids = sorted(set(session.scalars(query)))
        if not plan_ids:
            without.append(wanted.date)
        for plan_id in plan_ids:
            try:
                solved = plans.get(session, plan_id)
            except PlanDataError as e:
                raise conflict(str(e)) from None
            if solved is None:
                continue
            matrix = matrices.get(solved, settings)[0]
            problem = with_request(solved.problem, request)
            whole = extended_matrix(
                road_provider_for(solved, settings),  # type: ignore[arg-type]
                solved.problem.locations,
                matrix,
                (problem.locations[-1],),
            )
            clock = clock_for(problem)
            now = clock.seconds(utcnow().replace(tzinfo=dt.UTC).isoformat())
            days.append(
                BookingDay(
                    key=str(plan_id),
                    problem=problem,
                    matrix=whole,
                    plan=solved.plan,
                    windows=tuple(
                        TimeWindow(clock.seconds(w.start), clock.seconds(w.end))
                        for w in wanted.windows
                    ),
                    not_before=now if 0 <= now <= 86_400 else None,
                )
            )
            dates[str(plan_id)] = wanted.date
    try:
        found = offer_slots(days, request)
    except ProblemError as e:
        raise body_error("days", str(e)) from None
    out = []
    for s in found[: body.limit]:
        clock = clock_for(next(d.problem for d in days if d.key == s.day))
        out.append(
            SlotOut(
                date=dates[s.day],
                plan_id=int(s.day),
                window_start=clock.iso(s.window.start),
                window_end=clock.iso(s.window.end),
                engineer_id=s.engineer_id,
                position=s.position,
                start=clock.iso(s.start),
                added_cost=s.added_cost,
            )
        )
    return SlotsOut(slots=out, days_without_plan=without)
