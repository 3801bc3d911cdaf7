"""Plans as GeoJSON: legs along the roads from snapped node to snapped node, stops with
ETAs, and the OpenStreetMap attribution."""

from __future__ import annotations

import json
import math

import pytest
from shapely.geometry import shape

from scheduler.domain import Plan, Route, Stop
from scheduler.formats import load_problem
from scheduler.network import (
    Network,
    leg_geometry,
    load_network,
    network_from_graph,
    plan_to_geojson,
    snap_locations,
)
from tests.network_graphs import CORNERS, block_graph
from tests.paths import SMALL_DAY

EXAMPLE = SMALL_DAY
SNAP_M = 1100.0  # the example day reaches up to ~1 km beyond the bundled extract


@pytest.fixture(scope="module")
def helsinki() -> Network:
    return load_network("bundled")


def two_stop_plan() -> Plan:
    """e1 leaves hq-kamppi at 08:00, serves v01 then v04, back at 12:00 (times made up)."""
    h = 3600
    stops = (
        Stop("v01", arrival=8 * h + 600, start=9 * h, end=10 * h),
        Stop("v04", arrival=10 * h + 900, start=11 * h, end=11 * h + 1800),
    )
    return Plan(routes=(Route("e1", 8 * h, 12 * h, stops),), unassigned=())


def test_legs_start_and_end_at_the_snapped_nodes(helsinki: Network) -> None:
    problem = load_problem(EXAMPLE)
    collection = plan_to_geojson(problem, two_stop_plan(), network=helsinki, max_snap_m=SNAP_M)
    snaps = snap_locations(helsinki, problem.locations, max_distance_m=SNAP_M)
    index = problem.location_index()
    legs = [f for f in collection["features"] if f["properties"]["kind"] == "leg"]
    assert [(f["properties"]["from"], f["properties"]["to"]) for f in legs] == [
        ("hq-kamppi", "fredrikinkatu-20"),
        ("fredrikinkatu-20", "hakaniemenranta-6"),
        ("hakaniemenranta-6", "hq-kamppi"),
    ]
    for leg in legs:
        coords = leg["geometry"]["coordinates"]
        for end, loc in (
            (coords[0], leg["properties"]["from"]),
            (coords[-1], leg["properties"]["to"]),
        ):
            node = snaps.node_index[index[loc]]
            assert end == pytest.approx((helsinki.lon[node], helsinki.lat[node]))
        assert leg["properties"]["attribution"] == "© OpenStreetMap contributors"
    # Along the roads: a leg is at least as long as the straight line and bends somewhere.
    line = shape(legs[1]["geometry"])
    coords = legs[1]["geometry"]["coordinates"]
    straight = math.dist(coords[0], coords[-1])
    assert len(coords) > 2 and line.length >= straight


def test_stops_carry_etas_and_the_collection_its_attribution(helsinki: Network) -> None:
    problem = load_problem(EXAMPLE)
    collection = plan_to_geojson(
        problem, two_stop_plan(), network=helsinki, max_snap_m=SNAP_M, travel_times="road"
    )
    assert collection["type"] == "FeatureCollection"
    assert collection["properties"]["attribution"] == "© OpenStreetMap contributors"
    assert collection["properties"]["travel_times"] == "road"
    stops = [f["properties"] for f in collection["features"] if f["properties"]["kind"] == "stop"]
    assert [(s["visit_id"], s["sequence"], s["eta"]) for s in stops] == [
        ("v01", 1, "2026-11-27T08:10:00+02:00"),
        ("v04", 2, "2026-11-27T10:15:00+02:00"),
    ]
    snaps = snap_locations(helsinki, problem.locations, max_distance_m=SNAP_M)
    at = problem.location_index()["fredrikinkatu-20"]
    assert stops[0]["snap_distance_m"] == round(float(snaps.distance_m[at]), 1) > 0
    json.dumps(collection)  # JSON-ready as it is


def test_leg_follows_the_one_way_street_or_goes_round() -> None:
    """1 -> 2 is the one-way street itself; 2 -> 1 goes round by 3 and 4."""
    network = network_from_graph(block_graph(), source="block")
    i = {int(n): k for k, n in enumerate(network.node_ids)}
    there = list(leg_geometry(network, i[1], i[2]).coords)
    back = list(leg_geometry(network, i[2], i[1]).coords)
    assert there == [CORNERS[1], CORNERS[2]]
    assert back == [CORNERS[2], CORNERS[3], CORNERS[4], CORNERS[1]]


def test_without_a_network_legs_are_straight_lines() -> None:
    problem = load_problem(EXAMPLE)
    collection = plan_to_geojson(problem, two_stop_plan())
    legs = [f for f in collection["features"] if f["properties"]["kind"] == "leg"]
    assert all(len(f["geometry"]["coordinates"]) == 2 for f in legs)
    assert {f["properties"]["geometry_source"] for f in legs} == {"straight line"}
    assert "attribution" not in collection["properties"]


def test_road_polylines_draw_each_street_once_along_its_shape() -> None:
    """A map's base layer: the block's four streets once each (a two-way street is one
    line), with a curved street's points along its geometry."""
    from shapely.geometry import LineString

    from scheduler.network.geometry import road_polylines

    graph = block_graph()
    bend = LineString([CORNERS[2], (24.9415, 60.1705), CORNERS[3]])
    for data in graph.get_edge_data(2, 3).values():
        data["geometry"] = bend
    lines = road_polylines(graph)
    assert len(lines) == 4
    assert [CORNERS[2], (24.9415, 60.1705), CORNERS[3]] in lines
    assert [CORNERS[1], CORNERS[2]] in lines
