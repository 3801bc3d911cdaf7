"""Road travel-time matrices: equal to networkx's Dijkstra, directed, and loud about
locations the network cannot serve."""

from __future__ import annotations

import datetime as dt
import math

import networkx as nx
import numpy as np
import pytest

from scheduler.domain import Engineer, Location, Problem
from scheduler.errors import NetworkError
from scheduler.network import (
    Network,
    RoadNetwork,
    load_network,
    network_from_graph,
    snap_locations,
    travel_time_matrix,
)
from scheduler.travel import extended_matrix, travel_time_matrix_for
from tests.network_graphs import block_graph, corner


@pytest.fixture(scope="module")
def helsinki() -> Network:
    return load_network("bundled")


def random_locations(network: Network, n: int, seed: int) -> list[Location]:
    """Points scattered within ~100 m of random nodes of the network."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, network.node_count, size=n)
    lat = network.lat[picks] + rng.uniform(-0.0008, 0.0008, size=n)
    lon = network.lon[picks] + rng.uniform(-0.0015, 0.0015, size=n)
    return [
        Location(f"p{i}", float(a), float(b)) for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    ]


def in_microseconds(u: int, v: int, edges: dict[int, dict[str, float]]) -> int:
    """networkx weight: the fastest parallel edge in whole microseconds (at least 1)."""
    return min(max(round(d["travel_time"] * 1e6), 1) for d in edges.values())


@pytest.mark.parametrize("simplify", [True, False], ids=["simplified", "every-node"])
def test_matrix_equals_networkx_dijkstra_on_random_pairs(simplify: bool) -> None:
    """Every entry is networkx's fastest node-to-node time in whole seconds (halves up), on
    the simplified graph and on the one with every OSM node (searched contracted)."""
    network = load_network("bundled", simplify=simplify)
    locations = random_locations(network, 40, seed=3)
    matrix = travel_time_matrix(network, locations)
    snaps = snap_locations(network, locations)
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, len(locations), size=(60, 2))
    for i, j in pairs:
        u, v = int(snaps.node_ids[i]), int(snaps.node_ids[j])
        if i == j:
            assert matrix[i, j] == 0
            continue
        # The same edge times as whole microseconds (as the matrix sums them), then as floats.
        micros = nx.dijkstra_path_length(network.graph, u, v, weight=in_microseconds)
        assert matrix[i, j] == math.floor(micros / 1e6 + 0.5), (i, j)
        seconds = nx.dijkstra_path_length(network.graph, u, v, weight="travel_time")
        assert abs(matrix[i, j] - seconds) <= 0.5 + 1e-3
    assert matrix.dtype == np.int64
    assert (np.diag(matrix) == 0).all()
    assert (matrix[~np.eye(len(locations), dtype=bool)] >= 0).all()


def test_one_way_street_makes_the_matrix_asymmetric() -> None:
    """1 -> 2 is a one-way street (10 s); back from 2 to 1 goes round the block (60 s)."""
    network = network_from_graph(block_graph(), source="hand-built block")
    matrix = travel_time_matrix(network, [corner(1), corner(2)])
    assert matrix.tolist() == [[0, 10], [60, 0]]


def test_fastest_parallel_edge_wins() -> None:
    """Two streets from 1 to 2: the faster one (7 s) counts, not their sum."""
    graph = block_graph()
    graph.add_edge(1, 2, travel_time=7.0, length=55.0, highway="residential")
    network = network_from_graph(graph, source="hand-built block")
    assert travel_time_matrix(network, [corner(1), corner(2)])[0, 1] == 7


def test_unreachable_pair_names_both_locations() -> None:
    """A node with no way out: the error names the pair and says what would work."""
    graph = block_graph()
    graph.add_node(5, x=24.9405, y=60.1705)
    graph.add_edge(1, 5, travel_time=5.0, length=30.0, highway="residential")
    network = network_from_graph(graph, source="hand-built block")
    stuck = Location("dead-end", 60.1705, 24.9405)
    with pytest.raises(NetworkError, match=r"'dead-end' to 'corner-1'.*strongly connected"):
        travel_time_matrix(network, [corner(1), stuck])


def test_location_far_from_any_road_is_rejected_with_id_and_distance(helsinki: Network) -> None:
    """A point ~11 km north of central Helsinki is refused, with its id and distance."""
    locations = [*random_locations(helsinki, 3, seed=1), Location("espoo-forest", 60.27, 24.94)]
    with pytest.raises(NetworkError) as info:
        travel_time_matrix(helsinki, locations)
    message = str(info.value)
    assert "'espoo-forest' is 10," in message or "'espoo-forest' is 11," in message
    assert "limit 500 m" in message
    assert "p0" not in message


def test_snap_limit_is_configurable() -> None:
    """The same point is accepted with a larger limit; distances are reported in metres."""
    network = network_from_graph(block_graph(), source="hand-built block")
    near = Location("near", 60.1720, 24.9400)  # ~111 m north of corner 4
    with pytest.raises(NetworkError, match="'near' is 111 m away"):
        snap_locations(network, [near], max_distance_m=100)
    snaps = snap_locations(network, [near], max_distance_m=200)
    assert snaps.node_ids.tolist() == [4]
    assert snaps.distance_m[0] == pytest.approx(111.2, abs=0.5)


def test_road_network_is_a_travel_time_provider() -> None:
    """``travel_time_matrix_for`` accepts it and reports an OSM-attributed source name."""
    network = network_from_graph(block_graph(), source="hand-built block")
    problem = Problem(
        date=dt.date(2026, 11, 27),
        locations=(corner(1), corner(2)),
        engineers=(Engineer("e", "corner-1", "corner-2", 8 * 3600, 16 * 3600),),
        visits=(),
    )
    matrix, source = travel_time_matrix_for(problem, RoadNetwork(network))
    assert matrix.tolist() == [[0, 10], [60, 0]]
    assert "hand-built block" in source and "© OpenStreetMap contributors" in source


def test_search_split_over_processes_gives_the_same_matrix(
    helsinki: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes (forced even for this small search) give the serial result."""
    import scheduler.network.matrix as matrix_module

    locations = random_locations(helsinki, 30, seed=9)
    serial = travel_time_matrix(helsinki, locations, workers=1)
    monkeypatch.setattr(matrix_module, "PARALLEL_MIN_WORK", 0)
    if not matrix_module.parallel_ok(2, 1):
        pytest.skip("no fork start method, or other threads are running in this process")
    assert (travel_time_matrix(helsinki, locations, workers=2) == serial).all()


def test_snapping_finds_the_nodes_osmnx_nearest_nodes_finds(helsinki: Network) -> None:
    """The kept ball tree answers as osmnx's own vectorised search does."""
    import osmnx as ox

    locations = random_locations(helsinki, 200, seed=12)
    snaps = snap_locations(helsinki, locations, max_distance_m=1000)
    lon = [loc.lon for loc in locations]
    lat = [loc.lat for loc in locations]
    nodes, dist = ox.distance.nearest_nodes(helsinki.graph, lon, lat, return_dist=True)
    assert snaps.node_ids.tolist() == [int(n) for n in nodes]
    assert np.allclose(snaps.distance_m, dist)
    assert (helsinki.node_ids[snaps.node_index] == snaps.node_ids).all()


def test_snap_summary_reports_mean_max_and_the_farthest_location() -> None:
    network = network_from_graph(block_graph(), source="hand-built block")
    near = Location("near", 60.1720, 24.9400)  # ~111 m north of corner 4
    snaps = snap_locations(network, [corner(1), near], max_distance_m=200)
    assert snaps.summary() == (
        "2 location(s) snapped to the road network: mean 56 m, max 111 m ('near')"
    )


def test_extending_a_matrix_by_a_few_places_equals_the_whole_matrix(helsinki: Network) -> None:
    """A booking request's place added to a day's matrix by one search from it and one to it
    gives the entries the whole matrix would (directed: both ways checked)."""
    places = random_locations(helsinki, 12, seed=11)
    known, extra = tuple(places[:10]), tuple(places[10:])
    provider = RoadNetwork(helsinki)
    whole = travel_time_matrix(helsinki, places)
    extended = extended_matrix(provider, known, whole[:10, :10].copy(), extra)
    assert extended.tolist() == whole.tolist()
    # Without a provider, the straight-line estimate fills only the new rows and columns.
    estimated = extended_matrix(None, known, whole[:10, :10].copy(), extra)
    assert estimated[:10, :10].tolist() == whole[:10, :10].tolist()
    assert (estimated[10:, :10] > 0).all()
