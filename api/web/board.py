"""What the pages draw, shaped once on the server from a solved plan.

The dispatcher's board needs, for one plan, a row per engineer with the blocks of their day
(drives, waits, services, breaks, events, each visit's windows), the visits left out with
their reasons, the centres and the KPIs; the map needs each route's drives (along the roads
when the plan was made on the server's road network) and the road network itself as an
offline base layer. Times are seconds since local midnight of the plan's day, the plan's
``timezone`` says whose midnight; coordinates are WGS84 degrees rounded to 5 decimals
(about a metre).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.schemas import VisitStatus
from api.store.day import VisitDetails
from api.store.plans import SolvedPlan
from scheduler.domain import Route, Visit
from scheduler.network.geometry import road_polylines

__all__ = [
    "AT_RISK_SLACK_S",
    "board_of",
    "engineer_extras",
    "road_lines",
    "route_lines",
]

AT_RISK_SLACK_S = 15 * 60
"""A home visit whose service starts less than this before its window closes is at risk: a
short delay makes it late. (An event starts when its team meets: never at risk alone.)"""


def _round(x: float) -> float:
    return round(float(x), 5)


def _windows(visit: Visit) -> list[list[int]]:
    return [[w.start, w.end] for w in visit.time_windows]


def lateness_s(visit: Visit, start: int) -> int:
    """Seconds the service starts after the end of the visit's last window (0 if in one)."""
    if not visit.time_windows or any(w.start <= start <= w.end for w in visit.time_windows):
        return 0
    return max(0, start - visit.time_windows[-1].end)


def slack_s(visit: Visit, start: int) -> int | None:
    """Seconds between the start and the end of the window it lies in (None: no window)."""
    for w in visit.time_windows:
        if w.start <= start <= w.end:
            return w.end - start
    return None


def _visit_json(visit: Visit, lat: float, lon: float) -> dict[str, Any]:
    details = VisitDetails.of(visit)
    d = visit.details
    title = str(d.get("title") or d.get("venue") or "")
    return {
        "id": visit.id,
        "kind": visit.kind.value,
        "priority": visit.priority,
        "windows": _windows(visit),
        "soft": visit.soft_windows,
        "duration": visit.duration,
        "skills": sorted(visit.required_skills),
        "job": details.job_type or title,
        "title": title,
        "customer": details.customer_name,
        "phone": details.customer_phone,
        "address": details.address,
        "notes": details.notes or str(d.get("note", "")),
        "lat": _round(lat),
        "lon": _round(lon),
    }


def _drives(route: Route, travel: Sequence[int], return_travel: int) -> list[list[int]]:
    """[start, end] of each drive: the ``travel`` seconds before each arrival, and the last
    ``return_travel`` seconds before the engineer is back."""
    out = [[stop.arrival - t, stop.arrival] for stop, t in zip(route.stops, travel, strict=True)]
    if route.stops and return_travel > 0:
        out.append([route.return_ - return_travel, route.return_])
    return [d for d in out if d[1] > d[0]]


def board_of(solved: SolvedPlan, statuses: Mapping[str, VisitStatus]) -> dict[str, Any]:
    """The board's view of a solved plan: engineers with their day's blocks, the visits left
    out with reasons, centres, KPIs, and each visit's status as its engineer reported."""
    problem, plan, file = solved.problem, solved.plan, solved.file
    where = {loc.id: loc for loc in problem.locations}
    visits = {v.id: v for v in problem.visits}
    crews: dict[str, list[str]] = {}
    for route in plan.routes:
        for stop in route.stops:
            crews.setdefault(stop.visit_id, []).append(route.engineer_id)
    routes = {r.engineer_id: r for r in plan.routes}
    written = {r.engineer_id: r for r in file.routes}
    travel_kpis = {k.engineer_id: k.travel_s for k in file.kpis.engineers} if file.kpis else {}
    centre_of = {c.location: c.id for c in problem.service_centers}

    engineers = []
    for e in problem.engineers:
        row: dict[str, Any] = {
            "id": e.id,
            "name": e.name or e.id,
            "centre": e.service_center or centre_of.get(e.start_location),
            "shift": [e.shift_start, e.shift_end],
            "overtime_max": e.overtime_max,
            "skills": sorted(e.skills),
            "route": None,
        }
        taken = routes.get(e.id)
        if taken is not None and taken.stops:
            route = taken
            travel = [s.travel_from_previous_s for s in written[e.id].stops]
            back = max(0, travel_kpis.get(e.id, sum(travel)) - sum(travel))
            stops = []
            for n, stop in enumerate(route.stops, start=1):
                visit = visits[stop.visit_id]
                loc = where[visit.location]
                late = lateness_s(visit, stop.start)
                slack = slack_s(visit, stop.start)
                stops.append(
                    {
                        "visit": visit.id,
                        "seq": n,
                        "arrival": stop.arrival,
                        "start": stop.start,
                        "end": stop.end,
                        "late_s": late,
                        "at_risk": not visit.is_event
                        and late == 0
                        and slack is not None
                        and slack < AT_RISK_SLACK_S,
                        "crew": [x for x in crews[visit.id] if x != e.id],
                        "lat": _round(loc.lat),
                        "lon": _round(loc.lon),
                    }
                )
            row["route"] = {
                "departure": route.departure,
                "return": route.return_,
                "stops": stops,
                "breaks": [[b.start, b.end] for b in route.breaks],
                "drives": _drives(route, travel, back),
            }
        engineers.append(row)

    served = set(crews)
    unassigned = []
    for u in plan.unassigned:
        visit = visits[u.visit_id]
        loc = where[visit.location]
        unassigned.append(
            {
                "visit": u.visit_id,
                "reason": u.reason.value,
                "message": u.message,
                "closest_engineer": u.closest_engineer,
                "lat": _round(loc.lat),
                "lon": _round(loc.lon),
            }
        )
    kpis = file.kpis.model_dump(mode="json") if file.kpis else {}
    return {
        "plan_id": solved.plan_id,
        "date": problem.date.isoformat(),
        "timezone": problem.timezone,
        "travel_times": solved.travel_times,
        "centres": [
            {
                "id": c.id,
                "name": c.name or c.id,
                "lat": _round(where[c.location].lat),
                "lon": _round(where[c.location].lon),
            }
            for c in problem.service_centers
        ],
        "engineers": engineers,
        "visits": {
            v.id: {
                **_visit_json(v, where[v.location].lat, where[v.location].lon),
                "status": statuses.get(v.id, VisitStatus.PENDING).value,
                "served": v.id in served,
            }
            for v in problem.visits
        },
        "unassigned": unassigned,
        "kpis": kpis,
    }


def engineer_extras(solved: SolvedPlan, engineer_id: str) -> dict[str, Any]:
    """What the engineer's phone shows beside the schedule: each stop's windows, its crew
    mates (the others staffing the same event) with their phones, and the priority."""
    names = {e.id: e.name or e.id for e in solved.problem.engineers}
    crews: dict[str, list[str]] = {}
    for route in solved.plan.routes:
        for stop in route.stops:
            crews.setdefault(stop.visit_id, []).append(route.engineer_id)
    visits = {v.id: v for v in solved.problem.visits}
    mine = solved.plan.route_of(engineer_id)
    out: dict[str, Any] = {}
    for stop in mine.stops if mine is not None else ():
        visit = visits[stop.visit_id]
        out[visit.id] = {
            "windows": _windows(visit),
            "priority": visit.priority,
            "title": str(visit.details.get("title") or visit.details.get("venue") or ""),
            "crew": [
                {"id": x, "name": names.get(x, x)} for x in crews[visit.id] if x != engineer_id
            ],
        }
    return out


def route_lines(collection: Mapping[str, Any]) -> dict[str, Any]:
    """From :func:`scheduler.network.plan_to_geojson`: per engineer the drives' coordinates
    ``[[lon, lat], ...]`` (rounded), in route order, and the collection's attribution."""
    legs: dict[str, list[list[list[float]]]] = {}
    for feature in collection.get("features", ()):
        props = feature.get("properties", {})
        if props.get("kind") != "leg":
            continue
        coords = [[_round(x), _round(y)] for x, y in feature["geometry"]["coordinates"]]
        legs.setdefault(props["engineer_id"], []).append(_dedupe(coords))
    properties = collection.get("properties", {})
    return {
        "routes": [{"engineer": e, "legs": lines} for e, lines in legs.items()],
        "attribution": properties.get("attribution"),
        "along_roads": "road_network" in properties,
    }


def _dedupe(coords: list[list[float]]) -> list[list[float]]:
    """Consecutive equal points (after rounding) dropped."""
    out: list[list[float]] = []
    for point in coords:
        if not out or out[-1] != point:
            out.append(point)
    return out


def road_lines(graph: Any) -> list[list[list[float]]]:
    """Every drivable road of an osmnx graph once, ``[[lon, lat], ...]`` rounded."""
    return [_dedupe([[_round(x), _round(y)] for x, y in line]) for line in road_polylines(graph)]
