"""What the browser pages read: who is signed in, a plan as the board draws it, its map and
live state, the road network as a base layer, an engineer's day, the KPIs of a day's plans
and the simulation plots. Same tokens and roles as the rest of the API."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select

from api.auth import Role
from api.db.models import Engineer, PlanCentre, PlanJob, SimulationJob, Visit
from api.deps import PrincipalDep, SessionDep, SettingsDep, SolvedPlansDep, Staff
from api.routes.common import ERRORS, PathId, conflict, get_or_404, not_found
from api.routes.plans import PlanId, plan_geojson, plan_summary, solved_or_409
from api.routes.schedule import DateQuery, build_schedule
from api.schemas import PlanStatus, PlanSummaryOut, VisitStatus
from api.store.plans import PlanDataError
from api.store.simulations import finished_result
from api.web.board import board_of, engineer_extras, road_lines, route_lines
from api.web.cache import json_response, page_cache

router = APIRouter(prefix="/board", tags=["pages"], responses=ERRORS)
me_router = APIRouter(tags=["pages"], responses=ERRORS)


class MapSettingsOut(BaseModel):
    """How the pages draw maps: the server's road network as an offline base layer, and a
    tile server when one is configured (``{z}/{x}/{y}`` URL template and its attribution)."""

    road_network: bool
    tile_url: str | None
    tile_attribution: str | None


class MeOut(BaseModel):
    """The signed-in token: its role, its engineer (engineer tokens), the days with a
    published plan it may see (newest first), and how maps are drawn."""

    role: Role
    engineer_id: str | None
    engineer_name: str | None
    published_days: list[dt.date]
    map: MapSettingsOut


@me_router.get("/me")
def get_me(session: SessionDep, settings: SettingsDep, principal: PrincipalDep) -> MeOut:
    """Who this token is; the sign-in page calls it to check a token and choose a page."""
    days = select(PlanCentre.date).where(PlanCentre.published).distinct()
    name = None
    if principal.engineer_id is not None:
        engineer = session.get(Engineer, principal.engineer_id)
        if engineer is not None:
            name = engineer.name
            days = days.where(PlanCentre.service_centre_id == engineer.service_centre_id)
    return MeOut(
        role=principal.role,
        engineer_id=principal.engineer_id,
        engineer_name=name,
        published_days=sorted(session.scalars(days), reverse=True)[:60],
        map=MapSettingsOut(
            road_network=settings.road_network is not None,
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
        ),
    )


def _statuses(session: SessionDep, visit_ids: list[str]) -> dict[str, Any]:
    """Each visit's reported status and note; a visit deleted since the plan is absent."""
    rows = session.execute(
        select(Visit.id, Visit.status, Visit.status_note, Visit.status_changed_at).where(
            Visit.id.in_(visit_ids)
        )
    )
    return {
        vid: {
            "status": state,
            "note": note,
            "changed_at": changed.isoformat() + "Z" if changed is not None else None,
        }
        for vid, state, note, changed in rows
    }


def _published_ids(session: SessionDep, row: PlanJob) -> list[int]:
    """Plans published for any centre of ``row`` on its day."""
    centres = [c.service_centre_id for c in row.centres]
    ids = session.scalars(
        select(PlanCentre.plan_id)
        .where(
            PlanCentre.service_centre_id.in_(centres),
            PlanCentre.date == row.date,
            PlanCentre.published,
        )
        .distinct()
    )
    return sorted(ids)


class BoardOut(BaseModel):
    """A plan as the board draws it (see :func:`api.web.board.board_of`)."""

    plan: PlanSummaryOut
    board: dict[str, Any]
    published_plan_ids: list[int]


@router.get("/plans/{plan_id}")
def get_board(plan_id: PlanId, session: SessionDep, plans: SolvedPlansDep, _: Staff) -> BoardOut:
    """Engineers with their day's blocks (seconds since local midnight), each visit with
    its windows and status, the visits left out with reasons, centres and KPIs."""
    solved = solved_or_409(session, plans, plan_id)
    row = get_or_404(session, PlanJob, plan_id, "plan")
    statuses = _statuses(session, [v.id for v in solved.problem.visits])
    board = board_of(solved, {vid: VisitStatus(s["status"]) for vid, s in statuses.items()})
    for vid, visit in board["visits"].items():
        if vid not in statuses:
            visit["status"] = "deleted"
    return BoardOut(
        plan=plan_summary(row), board=board, published_plan_ids=_published_ids(session, row)
    )


class LiveOut(BaseModel):
    """What changes while the board is open: visits' statuses, and which plans are now
    published for the plan's centres and day (another one: the board is stale)."""

    plan_id: int
    published: bool
    published_plan_ids: list[int]
    statuses: dict[str, Any]


@router.get("/plans/{plan_id}/live")
def get_live(plan_id: PlanId, session: SessionDep, plans: SolvedPlansDep, _: Staff) -> LiveOut:
    solved = solved_or_409(session, plans, plan_id)
    row = get_or_404(session, PlanJob, plan_id, "plan")
    return LiveOut(
        plan_id=plan_id,
        published=row.published_at is not None,
        published_plan_ids=_published_ids(session, row),
        statuses=_statuses(session, [v.id for v in solved.problem.visits]),
    )


@router.get("/plans/{plan_id}/map")
def get_map(
    plan_id: PlanId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    plans: SolvedPlansDep,
    _: Staff,
) -> Response:
    """Each engineer's drives as ``[[lon, lat], ...]`` lines, along the roads when the plan
    was made on this server's road network (``along_roads``), else straight."""
    solved = solved_or_409(session, plans, plan_id)

    def make() -> dict[str, Any]:
        return route_lines(plan_geojson(solved, settings))

    body = page_cache(request).get_or_make(("map", plan_id), make)
    return json_response(request, body)


@router.get("/roads")
def get_roads(request: Request, settings: SettingsDep, _: PrincipalDep) -> Response:
    """The server's road network as lines ``[[lon, lat], ...]``: the maps' offline base
    layer. 404 when the server plans on straight-line estimates (no road network)."""
    source = settings.road_network
    if source is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "this server has no road network (FIELDROUTE_ROAD_NETWORK is unset)",
        )

    def make() -> dict[str, Any]:
        from scheduler.network import shared_network

        network = shared_network(source)
        xs = [n["x"] for _, n in network.graph.nodes(data=True)]
        ys = [n["y"] for _, n in network.graph.nodes(data=True)]
        return {
            "lines": road_lines(network.graph),
            "bounds": [[min(ys), min(xs)], [max(ys), max(xs)]],
            "attribution": network.attribution,
        }

    return json_response(request, page_cache(request).get_or_make(("roads", source), make))


@router.get("/engineers/{engineer_id}/day")
def get_engineer_day(
    engineer_id: PathId,
    date: DateQuery,
    session: SessionDep,
    plans: SolvedPlansDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The engineer's published schedule (as ``GET /engineers/{id}/schedule``) with each
    stop's appointment windows (seconds since local midnight), priority, event title and
    crew mates, and each stop's note."""
    schedule = build_schedule(session, plans, principal, engineer_id, date)
    solved = plans.get(session, schedule.plan_id)
    if solved is None:  # unpublished and replaced between the two reads
        raise not_found("published plan for", date.isoformat())
    extras = engineer_extras(solved, engineer_id)
    notes = _statuses(session, [s.visit_id for s in schedule.stops])
    body = schedule.model_dump(mode="json", by_alias=True)
    for stop in body["stops"]:
        stop.update(extras.get(stop["visit_id"], {}))
        stop["status_note"] = notes.get(stop["visit_id"], {}).get("note", "")
    return body


class PlanKpisOut(BaseModel):
    """A succeeded plan of the day and its KPIs (the plan file's ``kpis``)."""

    plan: PlanSummaryOut
    created_by: str
    options: dict[str, Any]
    kpis: dict[str, Any]


@router.get("/kpis")
def get_day_kpis(
    session: SessionDep,
    plans: SolvedPlansDep,
    _: Staff,
    date: Annotated[dt.date, Query(description="The day, YYYY-MM-DD.")],
) -> list[PlanKpisOut]:
    """Every succeeded plan of the day, newest first, with its KPIs: what-if plans side by
    side."""
    rows = session.scalars(
        select(PlanJob)
        .where(PlanJob.date == date, PlanJob.status == PlanStatus.SUCCEEDED.value)
        .order_by(PlanJob.id.desc())
        .limit(20)
    )
    out = []
    for row in rows:
        try:
            solved = plans.get(session, row.id)
        except PlanDataError:
            continue
        if solved is None or solved.file.kpis is None:
            continue
        kpis = solved.file.kpis.model_dump(mode="json")
        kpis.pop("engineers", None)
        out.append(
            PlanKpisOut(
                plan=plan_summary(row), created_by=row.created_by, options=row.options, kpis=kpis
            )
        )
    return out


_plot_lock = threading.Lock()  # pyplot keeps global state


@router.get(
    "/simulations/plot.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "PNG image."}},
)
def get_simulation_plot(
    session: SessionDep,
    _: Staff,
    ids: Annotated[list[int], Query(min_length=1, max_length=10)],
    kind: Literal["served-vs-coverage", "distributions"] = "served-vs-coverage",
) -> Response:
    """The plots ``fieldroute simulate`` writes, of finished simulations side by side."""
    from scheduler.simulate.compare import plot_distributions, plot_served_vs_coverage

    results = []
    for sim_id in ids:
        row = get_or_404(session, SimulationJob, sim_id, "simulation")
        if row.status != PlanStatus.SUCCEEDED or row.result is None:
            raise conflict(f"simulation {sim_id} is {row.status}: only succeeded ones plot")
        results.append(finished_result(row, name=f"{row.id}:{row.name}"[:64]))
    plot = plot_served_vs_coverage if kind == "served-vs-coverage" else plot_distributions
    with _plot_lock, tempfile.TemporaryDirectory() as tmp:
        png = plot(results, Path(tmp) / "plot.png").read_bytes()
    return Response(png, media_type="image/png", headers={"Cache-Control": "private"})
