"""``load_network``: every source gives a strongly connected graph with speeds and travel
times on every edge, its source and fingerprint recorded; offline failures are quick and
name the offline options."""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import pytest

from scheduler.errors import NetworkError
from scheduler.network import (
    DEFAULT_SPEEDS_KPH,
    OSM_ATTRIBUTION,
    bundled_pbf,
    load_network,
    packaged_pbf,
    parse_source,
    save_network,
)
from scheduler.network.sources import BBox, GraphmlFile, PbfFile, Place, Point, XmlFile
from tests.paths import DATA, SHARED, shared_or_skip

TINY_OSM = DATA / "tiny.osm"


def test_bundled_helsinki_loads_offline_with_times_on_every_edge() -> None:
    network = load_network("bundled")
    graph = network.graph
    assert network.source == str(bundled_pbf())
    assert network.attribution == OSM_ATTRIBUTION == "© OpenStreetMap contributors"
    assert graph.number_of_nodes() > 100
    assert nx.is_strongly_connected(graph)
    for _, _, data in graph.edges(data=True):
        assert data["speed_kph"] > 0
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))
    assert len(network.fingerprint) == 64


def test_unsimplified_graph_keeps_more_nodes() -> None:
    assert (
        load_network("bundled", simplify=False).node_count > 5 * load_network("bundled").node_count
    )


def test_osm_xml_keeps_drivable_ways_and_one_way_tags() -> None:
    """The footway is dropped; the one-way primary (maxspeed 50) is one-directional."""
    network = load_network(TINY_OSM, simplify=False)
    graph = network.graph
    assert 5 not in graph.nodes  # reached only by the footway
    assert graph.has_edge(1, 2) and not graph.has_edge(2, 1)
    assert graph[1][2][0]["speed_kph"] == 50
    assert nx.is_strongly_connected(graph)
    simplified = load_network(TINY_OSM).graph  # the ring 2-3-4-1 becomes one edge each way
    assert set(simplified.nodes) == {1, 2}


def test_per_highway_speed_defaults_can_be_overridden() -> None:
    """The untagged residential street takes the override; the tagged primary keeps 50."""
    default = load_network(TINY_OSM, simplify=False)
    slow = load_network(TINY_OSM, simplify=False, speeds_kph={"residential": 10})
    speeds = {
        (u, v, d["highway"]): (d["speed_kph"], slow.graph[u][v][k]["speed_kph"])
        for u, v, k, d in default.graph.edges(keys=True, data=True)
    }
    assert speeds[(1, 2, "primary")] == (50, 50)
    residential = [pair for key, pair in speeds.items() if key[2] == "residential"]
    assert len(residential) == 6
    assert set(residential) == {(DEFAULT_SPEEDS_KPH["residential"], 10)}
    assert slow.fingerprint != default.fingerprint


def test_bad_speed_override_is_refused() -> None:
    with pytest.raises(NetworkError, match=r"speeds_kph\['residential'\] = -5"):
        load_network(TINY_OSM, speeds_kph={"residential": -5})


def test_graphml_round_trip_keeps_times_and_fingerprint(tmp_path: Path) -> None:
    network = load_network("bundled")
    path = save_network(network, tmp_path / "helsinki.graphml")
    again = load_network(path)
    assert again.fingerprint == network.fingerprint
    assert str(bundled_pbf()) in again.source and str(path) in again.source


def test_the_packaged_liechtenstein_extract_loads_offline_with_its_attribution() -> None:
    """The demo's default service area ships with fieldroute: the whole country, and the
    same file as the one beside the checkout (when there)."""
    network = load_network("liechtenstein")
    assert network.source == str(packaged_pbf())
    assert network.attribution == OSM_ATTRIBUTION
    assert nx.is_strongly_connected(network.graph)
    xs = [d["x"] for _, d in network.graph.nodes(data=True)]
    ys = [d["y"] for _, d in network.graph.nodes(data=True)]
    assert max(ys) - min(ys) > 0.15 and max(xs) - min(xs) > 0.08  # ~20 x 7 km of roads
    notice = (packaged_pbf().parent / "README.md").read_text()
    assert "© OpenStreetMap contributors" in notice and "ODbL" in notice
    shared = SHARED / "networks" / "liechtenstein.osm.pbf"
    if shared.exists():
        assert shared.read_bytes() == packaged_pbf().read_bytes()


def test_other_shared_extracts_load_when_present() -> None:
    shared = shared_or_skip(SHARED / "networks" / "baltimore.osm.pbf")
    network = load_network(shared)
    assert nx.is_strongly_connected(network.graph)
    assert network.node_count > 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("place:Kamppi, Helsinki", Place("Kamppi, Helsinki")),
        ("Kamppi, Helsinki, Finland", Place("Kamppi, Helsinki, Finland")),  # osmnx's default
        ("bbox:24.93,60.16,24.96,60.18", BBox(24.93, 60.16, 24.96, 60.18)),
        ("point:60.17,24.94,1500", Point(60.17, 24.94, 1500.0)),
        ("point:60.17,24.94", Point(60.17, 24.94)),  # 2 km radius by default
        ("bundled", PbfFile(bundled_pbf())),
        ("liechtenstein", PbfFile(packaged_pbf())),  # shipped inside the package
        (str(TINY_OSM), XmlFile(TINY_OSM)),
    ],
)
def test_sources_are_parsed_from_what_users_write(text: str, expected: object) -> None:
    assert parse_source(text) == expected


def test_graphml_suffix_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "x.graphml"
    path.write_text("")
    assert parse_source(str(path)) == GraphmlFile(path)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("missing.osm.pbf", ["missing.osm.pbf", "does not exist", ".osm.pbf"]),
        ("bbox:24.96,60.16,24.93,60.18", ["west < east"]),
        ("point:60.17", ["point:", "LAT,LON"]),
    ],
)
def test_bad_sources_say_what_would_work(text: str, names: list[str]) -> None:
    with pytest.raises(NetworkError) as info:
        load_network(text)
    for name in names:
        assert name in str(info.value)


def test_unreadable_pbf_is_a_network_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(b"\x00\x01 not protobuf")
    with pytest.raises(NetworkError, match=r"broken\.osm\.pbf"):
        load_network(path)


def test_offline_place_fails_fast_naming_the_offline_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Servers that refuse connections (as offline): one NetworkError well within 10 s."""
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        load_network("place:Helsinki, Finland")
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "offline" in message and ".osm.pbf" in message and "bundled" in message


def test_download_error_after_probe_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """What osmnx raises on a failed lookup (requests' ConnectionError) becomes one message."""
    import osmnx as ox
    import requests

    import scheduler.network.online as online

    def refuse(*args: object, **kwargs: object) -> None:
        raise requests.exceptions.ConnectionError("Failed to resolve 'nominatim'")

    monkeypatch.setattr(online, "probe", lambda urls, timeout_s: None)
    monkeypatch.setattr(ox, "graph_from_bbox", refuse)
    with pytest.raises(NetworkError, match=r"bbox:.*ConnectionError.*bundled"):
        load_network("bbox:24.93,60.16,24.96,60.18")


def test_only_the_largest_strongly_connected_component_is_kept() -> None:
    """Node 5 can be reached but not left: it is cut, the block itself stays whole."""
    from scheduler.network.loader import _largest_strong_component
    from tests.network_graphs import block_graph

    graph = block_graph()
    graph.add_node(5, x=24.9405, y=60.1705)
    graph.add_edge(1, 5, travel_time=5.0, length=30.0, highway="residential")
    kept = _largest_strong_component(graph)
    assert set(kept.nodes) == {1, 2, 3, 4}
    assert nx.is_strongly_connected(kept)


def test_graphml_cache_is_written_once_then_read_instead_of_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second load reads the GraphML (the source is not touched) with equal times; a
    request for the other topology loads the source again and replaces the file."""
    import scheduler.network.loader as loader

    cached = tmp_path / "tiny.graphml"
    first = load_network(TINY_OSM, graphml_cache=cached)
    assert cached.is_file()

    def unreachable(path: Path, *, simplify: bool) -> None:
        raise AssertionError("the source was read again")

    with monkeypatch.context() as m:
        m.setattr(loader, "_read_xml", unreachable)
        again = load_network(TINY_OSM, graphml_cache=cached)
    assert again.fingerprint == first.fingerprint
    assert again.source == first.source == str(TINY_OSM)
    full = load_network(TINY_OSM, graphml_cache=cached, simplify=False)
    assert full.node_count > first.node_count
    assert load_network(TINY_OSM, graphml_cache=cached, simplify=False).fingerprint == (
        full.fingerprint
    )


def test_public_api_exposes_the_network_entry_points() -> None:
    import scheduler
    import scheduler.network

    assert scheduler.load_network is scheduler.network.load_network
    assert scheduler.travel_time_matrix is scheduler.network.travel_time_matrix
    assert scheduler.RoadNetwork is scheduler.network.RoadNetwork
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = scheduler.no_such_name


def test_speed_for_a_type_no_road_has_is_refused_as_a_likely_typo() -> None:
    with pytest.raises(NetworkError, match=r"'residental': no road of that type.*residential"):
        load_network(TINY_OSM, speeds_kph={"residental": 25})
    # A default type absent from this small file is fine (the same table serves any city).
    assert load_network(TINY_OSM, speeds_kph={"motorway": 120}).node_count > 0


def test_graphml_cache_saved_with_other_speeds_gets_the_asked_speeds(tmp_path: Path) -> None:
    """A cache written with residential=10 is not reused as-is by a load with the defaults
    (nor the other way round): the times follow the speeds asked for."""
    cached = tmp_path / "tiny.graphml"
    slow = load_network(
        TINY_OSM, simplify=False, speeds_kph={"residential": 10}, graphml_cache=cached
    )
    default = load_network(TINY_OSM, simplify=False)
    assert slow.fingerprint != default.fingerprint
    again = load_network(TINY_OSM, simplify=False, graphml_cache=cached)
    assert again.fingerprint == default.fingerprint
    slow_again = load_network(
        TINY_OSM, simplify=False, speeds_kph={"residential": 10}, graphml_cache=cached
    )
    assert slow_again.fingerprint == slow.fingerprint
