"""A plan as one self-contained interactive HTML map (plotly, no tiles, works offline).

The map draws the road network itself as a light-grey base layer, so it needs no tile server
and no internet: each engineer's route along the roads in its own colour, numbered stops with
popups (ETA, service times, window, job, customer), community events as stars, service
centres as squares, and unassigned visits as grey crosses with their reason. Pan with the
mouse, zoom with the wheel, click a legend entry to hide or show an engineer's route.
Dotted lines join each address to the road point its drives start and end at.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from scheduler.domain import Plan, Problem, Visit
from scheduler.network.geometry import road_polylines
from scheduler.report import clock

PALETTE: tuple[str, ...] = tuple(qualitative.Dark24) + tuple(qualitative.Alphabet)
ROAD_COLOUR = "#d4d4d4"
UNASSIGNED_COLOUR = "#7f7f7f"


def _escape(value: object) -> str:
    return html.escape(str(value), quote=False)


def _windows_text(visit: Visit) -> str:
    if not visit.time_windows:
        return "any time"
    text = ", ".join(f"{clock(w.start)}-{clock(w.end)}" for w in visit.time_windows)
    return text + (" (late allowed)" if visit.soft_windows else "")


def _visit_lines(visit: Visit) -> list[str]:
    details: Mapping[str, Any] = visit.details or {}
    lines = []
    for key in ("job_type", "title", "venue", "device", "customer", "address", "phone"):
        if details.get(key):
            lines.append(_escape(details[key]))
    lines.append(f"window {_windows_text(visit)} · priority {visit.priority}")
    if visit.required_skills:
        lines.append("needs " + ", ".join(sorted(visit.required_skills)))
    return lines


def _lines_trace(lines: Iterable[Sequence[tuple[float, float]]], **kwargs: Any) -> go.Scatter:
    """One trace for many polylines (lon, lat), separated by gaps."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for line in lines:
        for lon, lat in line:
            xs.append(lon)
            ys.append(lat)
        xs.append(None)
        ys.append(None)
    return go.Scatter(x=xs, y=ys, mode="lines", **kwargs)


def plan_map_html(
    problem: Problem,
    plan: Plan,
    geojson: Mapping[str, Any],
    *,
    road_graph: Any | None = None,
    title: str | None = None,
    attribution: str | None = None,
) -> str:
    """The plan as a complete HTML page (plotly.js inlined, about 5 MB).

    Parameters
    ----------
    problem, plan
        The day and its plan (times in seconds since local midnight).
    geojson
        :func:`scheduler.network.plan_to_geojson` of the same plan: its ``leg`` features give
        the routes' shapes (along the roads when it was made with a network).
    road_graph
        The osmnx graph to draw as the base layer; ``None`` draws no roads.
    attribution
        Notice shown on the map, e.g. "© OpenStreetMap contributors" for OSM roads.
    """
    where = {loc.id: (loc.lon, loc.lat) for loc in problem.locations}
    engineers = {e.id: e for e in problem.engineers}
    legs_by_engineer: dict[str, list[list[tuple[float, float]]]] = {}
    # From each location to the road node its drives start or end at (the snap).
    kerbs_by_engineer: dict[str, list[list[tuple[float, float]]]] = {}
    for feature in geojson.get("features", ()):
        props = feature.get("properties", {})
        if props.get("kind") == "leg":
            coords = [(float(x), float(y)) for x, y in feature["geometry"]["coordinates"]]
            legs_by_engineer.setdefault(props["engineer_id"], []).append(coords)
            if coords and props.get("from") in where and props.get("to") in where:
                kerbs_by_engineer.setdefault(props["engineer_id"], []).extend(
                    ([where[props["from"]], coords[0]], [coords[-1], where[props["to"]]])
                )

    fig = go.Figure()
    if road_graph is not None:
        fig.add_trace(
            _lines_trace(
                road_polylines(road_graph),
                line={"color": ROAD_COLOUR, "width": 1},
                hoverinfo="skip",
                name="roads",
                showlegend=False,
            )
        )

    staffing: dict[str, list[str]] = {}
    active = [r for r in plan.routes if r.stops]
    for route in active:
        for stop in route.stops:
            staffing.setdefault(stop.visit_id, []).append(route.engineer_id)

    for n, route in enumerate(active):
        colour = PALETTE[n % len(PALETTE)]
        engineer = engineers[route.engineer_id]
        label = f"{engineer.name or engineer.id} ({len(route.stops)} stops)"
        group = f"route-{engineer.id}"
        fig.add_trace(
            _lines_trace(
                legs_by_engineer.get(engineer.id, ()),
                line={"color": colour, "width": 3},
                name=label,
                legendgroup=group,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            _lines_trace(
                kerbs_by_engineer.get(engineer.id, ()),
                line={"color": colour, "width": 1, "dash": "dot"},
                name=label,
                legendgroup=group,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        xs, ys, texts, hovers, symbols, sizes = [], [], [], [], [], []
        for seq, stop in enumerate(route.stops, start=1):
            visit = problem.visit(stop.visit_id)
            lon, lat = where[visit.location]
            xs.append(lon)
            ys.append(lat)
            texts.append(str(seq))
            head = f"<b>{seq}. {_escape(visit.id)}</b> · {_escape(engineer.name or engineer.id)}"
            times = f"ETA {clock(stop.arrival)} · service {clock(stop.start)}-{clock(stop.end)}"
            lines = [head, times, *_visit_lines(visit)]
            if visit.is_event:
                team = ", ".join(engineers[e].name or e for e in staffing.get(visit.id, []))
                lines.insert(1, f"community event staffed by {_escape(team)}")
            hovers.append("<br>".join(lines))
            symbols.append("star" if visit.is_event else "circle")
            sizes.append(22 if visit.is_event else 15)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                text=texts,
                textfont={"color": "white", "size": 9},
                marker={
                    "color": colour,
                    "size": sizes,
                    "symbol": symbols,
                    "line": {"color": "white", "width": 1},
                },
                hovertext=hovers,
                hoverinfo="text",
                name=label,
                legendgroup=group,
                showlegend=False,
            )
        )

    centres = problem.service_centers
    if centres:
        fig.add_trace(
            go.Scatter(
                x=[where[c.location][0] for c in centres],
                y=[where[c.location][1] for c in centres],
                mode="markers",
                marker={"color": "black", "size": 14, "symbol": "square"},
                hovertext=[f"<b>{_escape(c.name or c.id)}</b><br>service centre" for c in centres],
                hoverinfo="text",
                name="service centres",
            )
        )

    if plan.unassigned:
        xs, ys, hovers = [], [], []
        for u in plan.unassigned:
            visit = problem.visit(u.visit_id)
            lon, lat = where[visit.location]
            xs.append(lon)
            ys.append(lat)
            kind = "event not held" if visit.is_event else "unassigned"
            lines = [f"<b>{_escape(visit.id)}</b> · {kind}", *_visit_lines(visit)]
            lines.append(f"{_escape(u.reason.value)}: {_escape(u.message)}")
            hovers.append("<br>".join(lines))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                marker={"color": UNASSIGNED_COLOUR, "size": 12, "symbol": "x"},
                hovertext=hovers,
                hoverinfo="text",
                name=f"unassigned ({len(plan.unassigned)})",
            )
        )

    lats = [loc.lat for loc in problem.locations]
    mean_lat = sum(lats) / len(lats) if lats else 0.0
    served = sum(len(r.stops) for r in plan.routes)
    heading = title or (
        f"fieldroute plan for {problem.date.isoformat()}: {len(active)} engineers, "
        f"{served} stops, {len(plan.unassigned)} unassigned"
    )
    annotations = []
    if attribution:
        annotations.append(
            {
                "text": _escape(attribution),
                "xref": "paper",
                "yref": "paper",
                "x": 1.0,
                "y": 0.0,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11, "color": "#555"},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
    fig.update_layout(
        title={"text": _escape(heading), "x": 0.01},
        plot_bgcolor="white",
        paper_bgcolor="white",
        hovermode="closest",
        dragmode="pan",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"title": {"text": "click to hide or show"}, "itemsizing": "constant"},
        annotations=annotations,
        # Degrees of longitude shrink with latitude: keep the map's proportions true.
        xaxis={"visible": False},
        yaxis={
            "visible": False,
            "scaleanchor": "x",
            "scaleratio": 1.0 / max(math.cos(math.radians(mean_lat)), 0.01),
        },
    )
    page: str = fig.to_html(
        include_plotlyjs=True,
        full_html=True,
        config={"scrollZoom": True, "displaylogo": False, "responsive": True},
        default_height="100vh",
        div_id="fieldroute-map",
    )
    return page
