"""A plan as a GeoJSON FeatureCollection: legs along the roads, stops with their ETAs.

Features, all in WGS84 (lon, lat):

* ``"kind": "leg"`` - LineString of one drive along the fastest road path between the
  snapped nodes of its two locations (a straight line when no network is given), with the
  engineer, the from/to location ids, departure and arrival (ISO 8601);
* ``"kind": "stop"`` - Point at a visit's location with the engineer, sequence number,
  ETA (arrival), service start and end;
* ``"kind": "start"`` / ``"end"`` - Points where each engineer's day starts and ends.

With a network, each Point also has ``snap_distance_m``: metres from the location to the
road node its legs start or end at.

The collection's ``properties`` (a foreign member GeoJSON readers keep) and every leg carry
the attribution "© OpenStreetMap contributors" when the roads come from OpenStreetMap.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, mapping

from scheduler.domain import Plan, Problem
from scheduler.formats.clock import clock_for
from scheduler.network.geometry import leg_geometries
from scheduler.network.graph import Network
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M, snap_locations


def plan_to_geojson(
    problem: Problem,
    plan: Plan,
    *,
    network: Network | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    travel_times: str | None = None,
) -> dict[str, Any]:
    """The plan's routes and stops as a GeoJSON ``FeatureCollection`` (a JSON-ready dict).

    Parameters
    ----------
    problem, plan
        The day and its plan (times in seconds since local midnight).
    network
        Road network for the legs' paths; without one, legs are straight lines.
    max_snap_m
        Largest accepted snap distance in metres (as for the travel-time matrix).
    travel_times
        Name of the travel-time source, recorded in the collection's properties.
    """
    iso = clock_for(problem).iso
    index = problem.location_index()
    where = {loc.id: [loc.lon, loc.lat] for loc in problem.locations}

    def _point(location_id: str) -> dict[str, Any]:
        return {"type": "Point", "coordinates": where[location_id]}

    visits = {v.id: v for v in problem.visits}
    engineers = {e.id: e for e in problem.engineers}
    legs: list[tuple[str, str, str, int, int]] = []  # engineer, from, to, depart, arrive
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        if not route.stops:
            continue
        engineer = engineers[route.engineer_id]
        here, leave = engineer.start_location, route.departure
        features.append(
            {
                "type": "Feature",
                "geometry": _point(here),
                "properties": {
                    "kind": "start",
                    "engineer_id": route.engineer_id,
                    "location": here,
                    "departure": iso(route.departure),
                },
            }
        )
        for n, stop in enumerate(route.stops, start=1):
            there = visits[stop.visit_id].location
            legs.append((route.engineer_id, here, there, leave, stop.arrival))
            features.append(
                {
                    "type": "Feature",
                    "geometry": _point(there),
                    "properties": {
                        "kind": "stop",
                        "engineer_id": route.engineer_id,
                        "sequence": n,
                        "visit_id": stop.visit_id,
                        "location": there,
                        "eta": iso(stop.arrival),
                        "start": iso(stop.start),
                        "end": iso(stop.end),
                    },
                }
            )
            here, leave = there, stop.end
        legs.append((route.engineer_id, here, engineer.end_location, leave, route.return_))
        features.append(
            {
                "type": "Feature",
                "geometry": _point(engineer.end_location),
                "properties": {
                    "kind": "end",
                    "engineer_id": route.engineer_id,
                    "location": engineer.end_location,
                    "return": iso(route.return_),
                },
            }
        )
    lines: list[LineString]
    if network is not None:
        snaps = snap_locations(network, problem.locations, max_distance_m=max_snap_m)
        node = snaps.node_index
        lines = leg_geometries(network, [(node[index[a]], node[index[b]]) for _, a, b, *_ in legs])
        for feature in features:  # how far each point is from where its drives start and end
            at = index[feature["properties"]["location"]]
            feature["properties"]["snap_distance_m"] = round(float(snaps.distance_m[at]), 1)
    else:
        lines = [LineString([where[a], where[b]]) for _, a, b, *_ in legs]
    properties: dict[str, Any] = {"date": problem.date.isoformat()}
    if travel_times is not None:
        properties["travel_times"] = travel_times
    if network is not None:
        properties["road_network"] = network.source
        properties["attribution"] = network.attribution
    for (engineer_id, a, b, leave, arrive), line in zip(legs, lines, strict=True):
        leg_properties: dict[str, Any] = {
            "kind": "leg",
            "engineer_id": engineer_id,
            "from": a,
            "to": b,
            "departure": iso(leave),
            "arrival": iso(arrive),
            "geometry_source": "road network" if network is not None else "straight line",
        }
        if network is not None:
            leg_properties["attribution"] = network.attribution
        features.append(
            {"type": "Feature", "geometry": mapping(line), "properties": leg_properties}
        )
    return {"type": "FeatureCollection", "properties": properties, "features": features}
