"""Coverage of residents on a hand-built road graph whose answers can be checked by hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from scheduler.domain import Location
from scheduler.errors import NetworkError, ProblemError
from scheduler.network import Network, network_from_graph
from scheduler.simulate.coverage import Coverage, Residents, coverage, walking_graph
from tests.network_graphs import CORNERS, block_graph, corner

# block_graph: one-way 1 -> 2 (10 s, 55 m); 2-3, 3-4, 4-1 two-way (20 s, 110 m each).
# Drive times *to* corner 1: from 4 = 20 s, from 3 = 40 s, from 2 = 60 s (2 -> 3 -> 4 -> 1).
# Drive times *to* corner 2: from 1 = 10 s, from 3 = 20 s, from 4 = 30 s.


@dataclass(frozen=True)
class _Place:
    id: str
    lat: float
    lon: float
    weight: float


def residents_at_corners(weights: dict[int, float] | None = None) -> Residents:
    weights = weights or {}
    nodes = sorted(CORNERS)
    return Residents(
        ids=tuple(f"home-{n}" for n in nodes),
        lon=np.array([CORNERS[n][0] for n in nodes]),
        lat=np.array([CORNERS[n][1] for n in nodes]),
        weight=np.array([weights.get(n, 1.0) for n in nodes]),
    )


def covered_ids(cov: Coverage, event_id: str) -> set[str]:
    return {cov.residents.ids[i] for i in cov.event(event_id).covered}


@pytest.fixture(scope="module")
def block() -> Network:
    return network_from_graph(block_graph(), source="block")


def test_drive_reach_follows_one_way_streets_towards_the_event(block: Network) -> None:
    events = [corner(1, "ev-1"), corner(2, "ev-2")]
    cov = coverage(block, events, residents_at_corners(), minutes=30 / 60)
    # Within 30 s of corner 1: itself and 4 (20 s); 3 (40 s) and 2 (60 s) are too far.
    assert covered_ids(cov, "ev-1") == {"home-1", "home-4"}
    # Within 30 s of corner 2: itself, 1 (10 s), 3 (20 s), 4 (30 s, inclusive).
    assert covered_ids(cov, "ev-2") == {"home-1", "home-2", "home-3", "home-4"}
    assert cov.unique_buildings() == 4
    assert cov.unique_buildings(["ev-1"]) == 2


def test_threshold_is_inclusive_and_zero_minutes_reaches_only_the_event_node(
    block: Network,
) -> None:
    cov = coverage(block, [corner(2, "ev")], residents_at_corners(), minutes=10 / 60)
    assert covered_ids(cov, "ev") == {"home-1", "home-2"}
    cov0 = coverage(block, [corner(2, "ev")], residents_at_corners(), minutes=0)
    assert covered_ids(cov0, "ev") == {"home-2"}


def test_weights_sum_per_event_and_count_once_across_events(block: Network) -> None:
    residents = residents_at_corners({1: 10.0, 2: 1.0, 3: 100.0, 4: 1000.0})
    events = [corner(1, "ev-1"), corner(2, "ev-2")]
    cov = coverage(block, events, residents, minutes=30 / 60)
    assert cov.event("ev-1").residents == pytest.approx(1010.0)
    assert cov.event("ev-2").residents == pytest.approx(1111.0)
    # Unique: 1 and 4 are reached by both events but counted once.
    assert cov.unique_residents() == pytest.approx(1111.0)
    assert sum(e.residents for e in cov.events) == pytest.approx(2121.0)
    cells = dict((tuple(sorted(k)), w) for k, w in cov.cells())
    assert cells == {("ev-1", "ev-2"): pytest.approx(1010.0), ("ev-2",): pytest.approx(101.0)}
    places = [
        _Place(i, float(la), float(lo), float(w))
        for i, la, lo, w in zip(
            residents.ids, residents.lat, residents.lon, residents.weight, strict=True
        )
    ]
    assert Residents.from_places(places).weight.tolist() == [10.0, 1.0, 100.0, 1000.0]
    unweighted = Residents.from_places(places, weighted=False)
    assert coverage(block, events, unweighted, minutes=0.5).unique_residents() == 4.0


def test_walking_ignores_one_way_and_uses_lengths(block: Network) -> None:
    # At 3.6 km/h (1 m/s): 1 <-> 2 is 55 s on foot both ways; 2 -> 3 is 110 s.
    cov = coverage(
        block,
        [corner(1, "ev")],
        residents_at_corners(),
        minutes=60 / 60,
        mode="walk",
        walk_kph=3.6,
    )
    assert covered_ids(cov, "ev") == {"home-1", "home-2"}
    wider = coverage(
        block,
        [corner(1, "ev")],
        residents_at_corners(),
        minutes=170 / 60,
        mode="walk",
        walk_kph=3.6,
    )
    # 3 is 165 s away via 2 (55 + 110) and 110 s via 4... both within 170 s.
    assert covered_ids(wider, "ev") == {"home-1", "home-2", "home-3", "home-4"}
    graph = walking_graph(block, 3.6)
    assert graph[0, 1] == pytest.approx(55.0) and graph[1, 0] == pytest.approx(55.0)


def test_walk_adds_the_building_to_road_distance(block: Network) -> None:
    # A building ~28 m east of corner 1 (half-way to 2 is ~28 m, so it snaps to 1 or 2).
    lon1, lat1 = CORNERS[1]
    far = Residents(("h",), np.array([lon1 + 0.0002]), np.array([lat1]), np.array([1.0]))
    near = coverage(block, [corner(1, "ev")], far, minutes=5 / 60, mode="walk", walk_kph=3.6)
    assert near.unique_buildings() == 0  # ~11 m at 1 m/s plus nothing else is > 5 s
    ok = coverage(block, [corner(1, "ev")], far, minutes=15 / 60, mode="walk", walk_kph=3.6)
    assert ok.unique_buildings() == 1


def test_far_buildings_are_reported_not_dropped_silently(block: Network) -> None:
    lon1, lat1 = CORNERS[1]
    residents = Residents(
        ("near", "far"),
        np.array([lon1, lon1]),
        np.array([lat1, lat1 + 0.02]),
        np.array([1.0, 7.0]),
    )
    cov = coverage(block, [corner(1, "ev")], residents, minutes=10)
    assert cov.unsnapped == 1 and cov.unsnapped_residents == 7.0
    assert cov.unique_buildings() == 1


def test_bad_input_names_the_problem(block: Network) -> None:
    with pytest.raises(ProblemError, match="mode"):
        coverage(block, [corner(1, "ev")], residents_at_corners(), minutes=1, mode="fly")
    with pytest.raises(ProblemError, match="minutes"):
        coverage(block, [corner(1, "ev")], residents_at_corners(), minutes=-1)
    with pytest.raises(ProblemError, match="walk_kph"):
        coverage(block, [corner(1)], residents_at_corners(), minutes=1, mode="walk", walk_kph=0)

    with pytest.raises(NetworkError, match="too far"):
        coverage(block, [Location("ev", 60.3, 24.94)], residents_at_corners(), minutes=1)


def test_unique_residents_of_the_bundled_extract_grows_with_minutes() -> None:
    from scheduler.network import load_network
    from scheduler.simulate.coverage import residents_of, unique_residents

    network = load_network("bundled")
    residents = residents_of(network)
    assert len(residents) > 100 and residents.weight.sum() >= len(residents)
    i = int(np.argmax(residents.weight))
    home = Location("at-a-home", float(residents.lat[i]), float(residents.lon[i]))
    one = unique_residents(network, [home], 1.0)
    three = unique_residents(network, [home], 3.0)
    walk = unique_residents(network, [home], 3.0, mode="walk")
    assert 0 < one <= three <= residents.weight.sum()
    assert walk <= three  # 3 minutes on foot reach less than 3 minutes by car
    assert unique_residents(network, [], 3.0) == 0.0
