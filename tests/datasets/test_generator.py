"""Generated service days: sizes, determinism, real places, and that they plan."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from datasets.generator import REPAIR, SIGN, SIZES, SMART_HOME, DaySize, generate_day
from scheduler import solve, travel_time_matrix_for, validate
from scheduler.domain import Problem, SolveOptions, VisitKind
from scheduler.errors import NetworkError, ProblemError
from scheduler.explain import static_reasons
from scheduler.formats import problem_from_json, problem_to_json
from scheduler.network import DEFAULT_MAX_SNAP_M, Network, RoadNetwork, load_network, snap_locations
from scheduler.network.places import OsmPlaces, community_places, residential_buildings
from tests.paths import SHARED, shared_or_skip

LIECHTENSTEIN = SHARED / "networks" / "liechtenstein.osm.pbf"


@pytest.fixture(scope="module")
def helsinki() -> Network:
    return load_network("bundled")


@pytest.fixture(scope="module")
def small(helsinki: Network) -> Problem:
    return generate_day(helsinki, size="small", seed=7)


def _counts(p: Problem) -> tuple[int, int, int]:
    homes = sum(1 for v in p.visits if v.kind is VisitKind.HOME_SERVICE)
    return len(p.engineers), homes, sum(1 for v in p.visits if v.is_event)


def test_same_seed_same_day_other_seed_other_day(helsinki: Network) -> None:
    a = generate_day(helsinki, seed=3)
    b = generate_day(helsinki, seed=3)
    assert a == b
    assert json.dumps(problem_to_json(a)) == json.dumps(problem_to_json(b)), "details too"
    c = generate_day(helsinki, seed=4)
    assert a != c
    assert [(x.lat, x.lon) for x in a.locations] != [(x.lat, x.lon) for x in c.locations]


@pytest.mark.parametrize("size", ["small", "default"])
def test_sizes_on_the_bundled_network(helsinki: Network, size: str) -> None:
    p = generate_day(helsinki, size=size, seed=1)
    want = SIZES[size]
    assert _counts(p) == (want.engineers, want.visits, want.events)
    assert len(p.service_centers) == want.service_centers
    assert p.date == dt.date(2026, 12, 4) and p.timezone == "Europe/Helsinki"


def test_every_point_snaps_within_the_default_limit(helsinki: Network) -> None:
    p = generate_day(helsinki, size="default", seed=11)
    snaps = snap_locations(helsinki, p.locations)  # raises beyond DEFAULT_MAX_SNAP_M
    assert snaps.distance_m.max() <= DEFAULT_MAX_SNAP_M


def test_homes_events_and_centres_are_real_places(helsinki: Network, small: Problem) -> None:
    homes = {p.id for p in residential_buildings("bundled")}
    venues = {p.id: p for p in community_places("bundled")}
    for v in small.visits:
        if v.is_event:
            assert v.details["osm"] in venues, "an event is held at a community place"
            assert v.details["venue"] == venues[v.details["osm"]].name
            assert 2 <= v.engineers_required <= 3 and 150 * 60 <= v.duration <= 210 * 60
        else:
            assert v.details["osm"] in homes, "a home visit is at a residential building"
            assert v.details["customer"] and v.details["address"] and v.details["job_type"]
    assert all(c.name for c in small.service_centers)


def test_jobs_windows_and_skills_are_those_of_a_service_day(helsinki: Network) -> None:
    p = generate_day(helsinki, size="default", seed=5)
    engineers = p.engineers
    assert sum(REPAIR in e.skills for e in engineers) >= 0.75 * len(engineers)
    assert 1 <= sum(SIGN in e.skills for e in engineers) <= 0.2 * len(engineers)
    assert any(SMART_HOME in e.skills for e in engineers)
    for e in engineers:
        assert len(e.breaks) == 1 and e.breaks[0].duration == 30 * 60
        assert e.service_center in {c.id for c in p.service_centers}
    minutes = {
        "screen repair": {40},
        "laptop repair": {40},
        "router / mesh set-up": {60},
        "smart-home inspection": {90, 105, 120},
        "smart-screen install": {60},
        "phone set-up for elderly customer": {30},
    }
    homes = [v for v in p.visits if not v.is_event]
    for v in homes:
        assert v.duration // 60 in minutes[v.details["job_type"]]
        (w,) = v.time_windows
        assert w.length in (2 * 3600, 4 * 3600)
        assert p.qualified_engineers(v), f"{v.id} has someone who may serve it"
    assert {v.priority for v in homes} >= {1, 2, 3, 4, 5}
    assert len({v.details["job_type"] for v in homes}) == len(minutes)


def test_without_places_everything_is_at_road_nodes(helsinki: Network) -> None:
    none = OsmPlaces(source="none", residential=(), community=(), business=())
    p = generate_day(helsinki, places=none, seed=2)
    assert _counts(p) == (5, 30, 1)
    assert snap_locations(helsinki, p.locations).distance_m.max() < 1.0


def test_sizes_the_network_cannot_hold_are_refused(helsinki: Network) -> None:
    with pytest.raises(
        NetworkError,
        match=r"needs a road network of at least 1,000 nodes.*"
        r"166.*liechtenstein.*small, default",
    ):
        generate_day(helsinki, size="city")
    with pytest.raises(ProblemError, match="small, default, city"):
        generate_day(helsinki, size="huge")


def test_a_custom_size(helsinki: Network) -> None:
    size = DaySize(
        engineers=3, visits=12, events=0, service_centers=1, min_nodes=10, time_limit_s=2
    )
    assert _counts(generate_day(helsinki, size=size)) == (3, 12, 0)


def test_city_size_on_liechtenstein() -> None:
    network = load_network(shared_or_skip(LIECHTENSTEIN))
    p = generate_day(network, size="city", seed=0)
    assert _counts(p) == (200, 2000, 10)
    assert p.timezone == "Europe/Vaduz" and len(p.service_centers) == 8
    assert snap_locations(network, p.locations).distance_m.max() <= DEFAULT_MAX_SNAP_M
    per_centre = [sum(e.service_center == c.id for e in p.engineers) for c in p.service_centers]
    assert min(per_centre) >= 1 and sum(per_centre) == 200


def test_the_small_day_plans_on_its_roads_and_validates(helsinki: Network, small: Problem) -> None:
    matrix, _ = travel_time_matrix_for(small, RoadNetwork(helsinki))
    plan = solve(small, matrix, SolveOptions(time_limit=5, solution_limit=10))
    assert validate(small, plan, matrix) == []
    assert len(plan.unassigned) <= 0.2 * len(small.visits), "most of the day fits"
    assert all(u.reason for u in plan.unassigned)


def test_the_day_round_trips_through_the_problem_file(small: Problem) -> None:
    again = problem_from_json(json.dumps(problem_to_json(small)))
    assert again == small
    assert [v.details for v in again.visits] == [v.details for v in small.visits]


def test_a_size_without_an_engineer_per_centre_is_refused() -> None:
    with pytest.raises(ProblemError, match="at least one per service centre"):
        DaySize(engineers=1, visits=5, events=0, service_centers=2, min_nodes=1, time_limit_s=1)


@pytest.mark.parametrize("seed", range(6))
def test_every_generated_event_can_be_staffed(helsinki: Network, seed: int) -> None:
    """Events sit in slots that leave the engineers room for lunch: none is unstaffable
    before planning even starts (a 10:00-13:30 event once was, for every shift)."""
    p = generate_day(helsinki, size="default", seed=seed)
    matrix, _ = travel_time_matrix_for(p, RoadNetwork(helsinki))
    reasons = static_reasons(p, matrix)
    assert [v.id for v in p.visits if v.is_event and v.id in reasons] == []


def test_a_day_with_crews_plans_validates_and_round_trips(helsinki: Network) -> None:
    from scheduler.kpis import compute_kpis

    plain = generate_day(helsinki, size="default", seed=1)
    p = generate_day(helsinki, size="default", seed=1, crews=0.3)
    crews = [v for v in p.visits if v.crew]
    assert crews and any(v.crew_timing is not None for v in crews)
    # the same day otherwise: the crews replace visits, nothing else changes
    assert [v.id for v in p.visits] == [v.id for v in plain.visits]
    assert p.engineers == plain.engineers
    for v in crews:
        assert all(any(m.skills <= e.skills for e in p.engineers) for m in v.crew)
    assert problem_from_json(json.dumps(problem_to_json(p))) == p
    matrix, _ = travel_time_matrix_for(p, RoadNetwork(helsinki))
    plan = solve(p, matrix, SolveOptions(time_limit=5, solution_limit=300, workers=1))
    assert validate(p, plan, matrix) == []
    k = compute_kpis(p, plan, matrix)
    assert k.crews_total == len(crews)
    assert 0 < k.crews_served <= k.crews_total


def test_crews_share_out_of_range_is_refused(helsinki: Network) -> None:
    with pytest.raises(ProblemError, match="crews"):
        generate_day(helsinki, crews=1.5)
