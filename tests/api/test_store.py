"""The typed storage layer (``api.store``): stored rows become the library's domain objects
and back, so that what a plan solved and what it planned read back exactly as they were."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Role
from api.config import Settings
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import migrate
from api.db.models import Engineer, PlanJob, PublishedSchedule, ServiceCentre, Visit
from api.main import create_app
from api.schemas import PlanOptionsIn
from api.store.day import PlanningInputError, problem_for_day, solve_options
from api.store.plans import SolvedPlans, add_plan, load_problem
from scheduler.domain import Break, Location, SolveOptions, TimeWindow
from tests.api.conftest import (
    DAY,
    PLAN_REQUEST,
    auth,
    make_token,
    published_plan,
    record_solves,
    seed_day,
    wait_for_plan,
)

HOUR = 3600


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _store_day(session: Session, day: dt.date, *, shift_start: str = "08:00") -> None:
    """One Helsinki centre, an engineer with a lunch break, a visit with two windows."""
    session.add(
        ServiceCentre(id="c1", name="Kamppi", lat=60.1688, lon=24.9316, timezone="Europe/Helsinki")
    )
    session.flush()  # the centre first: the others refer to it
    session.add(
        Engineer(
            id="e1",
            name="Aino",
            service_centre_id="c1",
            skills=["repair"],
            shift_start=shift_start,
            shift_end="16:00",
            breaks=[{"duration_min": 30, "earliest_start": "11:00", "latest_end": "13:30"}],
            overtime_max_min=15,
        )
    )
    session.add(
        Visit(
            id="v1",
            service_centre_id="c1",
            date=day,
            lat=60.1636,
            lon=24.9392,
            address="Fredrikinkatu 20",
            duration_min=40,
            time_windows=[{"start": "08:00", "end": "10:00"}, {"start": "14:00", "end": "24:00"}],
            required_skills=["repair"],
            priority=2,
            job_type="laptop repair",
            customer_name="Eeva",
            customer_phone="+358 50 555 0101",
        )
    )
    session.flush()


def test_a_days_rows_become_its_problem_in_seconds_since_local_midnight(
    sessions: sessionmaker[Session],
) -> None:
    """Clock times become seconds since local midnight, minutes become seconds, centres and
    visits become locations at their coordinates, and the visit keeps its texts."""
    with sessions() as session:
        _store_day(session, dt.date(2026, 11, 27))
        problem = problem_for_day(
            session, dt.date(2026, 11, 27), ["c1"], SolveOptions(time_limit=7)
        )
    assert problem.timezone == "Europe/Helsinki" and problem.options.time_limit == 7
    assert problem.locations == (
        Location("centre:c1", 60.1688, 24.9316),
        Location("visit:v1", 60.1636, 24.9392),
    )
    (engineer,) = problem.engineers
    assert (engineer.start_location, engineer.end_location) == ("centre:c1", "centre:c1")
    assert (engineer.shift_start, engineer.shift_end) == (8 * HOUR, 16 * HOUR)
    assert engineer.breaks == (Break(30 * 60, 11 * HOUR, 13 * HOUR + 30 * 60),)
    assert engineer.overtime_max == 15 * 60 and engineer.skills == {"repair"}
    (visit,) = problem.visits
    assert visit.duration == 40 * 60 and visit.location == "visit:v1"
    assert visit.time_windows == (TimeWindow(8 * HOUR, 10 * HOUR), TimeWindow(14 * HOUR, 24 * HOUR))
    assert visit.details == {
        "address": "Fredrikinkatu 20",
        "lat": 60.1636,
        "lon": 24.9392,
        "job_type": "laptop repair",
        "customer": "Eeva",
        "phone": "+358 50 555 0101",
        "notes": "",
    }


def test_clock_times_follow_the_centres_time_zone_across_a_clock_change(
    sessions: sessionmaker[Session],
) -> None:
    """On 29 March 2026 Helsinki's clocks skip from 03:00 to 04:00: 08:00 is 7 hours after
    midnight, and a shift starting at 03:30 cannot be planned (the message says why)."""
    spring = dt.date(2026, 3, 29)
    with sessions() as session:
        _store_day(session, spring)
        problem = problem_for_day(session, spring, ["c1"], SolveOptions())
        assert problem.engineers[0].shift_start == 7 * HOUR
        session.execute(update(Engineer).values(shift_start="03:30"))
        with pytest.raises(PlanningInputError) as e:
            problem_for_day(session, spring, ["c1"], SolveOptions())
    assert "engineer 'e1': shift_start = '03:30'" in e.value.message
    assert "the clocks skip it" in e.value.message


def test_a_plan_request_asks_the_library_for_its_options() -> None:
    asked = PlanOptionsIn.model_validate(
        {"time_limit_s": 12, "solution_limit": 40, "weights": {"overtime_per_second": 5}}
    )
    options = solve_options(asked)
    assert (options.time_limit, options.solution_limit) == (12, 40)
    assert options.weights.overtime_per_second == 5 and options.weights.travel_per_second == 1


def test_a_plan_rows_problem_round_trips_orm_domain_orm(sessions: sessionmaker[Session]) -> None:
    """The day's problem stored with a plan reads back equal, and stored again it is the same
    document: nothing is lost or changed on the way through the domain."""
    with sessions() as session:
        _store_day(session, dt.date(2026, 11, 27))
        options = SolveOptions(time_limit=5, solution_limit=20)
        problem = problem_for_day(session, dt.date(2026, 11, 27), ["c1"], options)
        first = add_plan(
            session, problem, centre_ids=["c1"], options=PlanOptionsIn(), created_by="planner"
        )
        session.commit()
        read = load_problem(session, first.id)
        assert read == problem
        assert [v.details for v in read.visits] == [v.details for v in problem.visits]
        again = add_plan(
            session, read, centre_ids=["c1"], options=PlanOptionsIn(), created_by="planner"
        )
        session.commit()
        assert again.problem == first.problem
        assert [c.service_centre_id for c in again.centres] == ["c1"]


def test_a_stored_plan_reads_back_as_the_plan_solved(
    client: TestClient, dispatcher: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    solves = record_solves(monkeypatch)
    seed_day(client, dispatcher)
    plan_id = client.post("/plans", json=PLAN_REQUEST, headers=dispatcher).json()["id"]
    assert wait_for_plan(client, plan_id, dispatcher)["status"] == "succeeded"
    ((problem, plan),) = solves
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = SolvedPlans().get(session, plan_id)
    assert stored is not None
    assert stored.plan == plan
    # The options of a solve are not the day's: the server chose how many processes.
    assert stored.problem == dataclasses.replace(
        problem, options=dataclasses.replace(problem.options, workers=SolveOptions().workers)
    )
    assert stored.travel_times == "haversine-estimate"


def test_schedule_stops_are_at_their_visits_coordinates(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """Each stop carries its visit's own latitude and longitude, and navigates there."""
    plan_id = published_plan(client, dispatcher)
    posted = {v["id"]: v for v in client.get("/visits", headers=dispatcher).json()}
    routes = client.get(f"/plans/{plan_id}", headers=dispatcher).json()["result"]["routes"]
    seen = 0
    for route in routes:
        r = client.get(
            f"/engineers/{route['engineer_id']}/schedule", params={"date": DAY}, headers=dispatcher
        )
        assert r.status_code == 200, r.text
        for stop in r.json()["stops"]:
            visit = posted[stop["visit_id"]]
            assert (stop["lat"], stop["lon"]) == (visit["lat"], visit["lon"])
            assert stop["navigation_url"].endswith(f"{visit['lat']}%2C{visit['lon']}")
            seen += 1
    assert seen == 3  # v1, v2 and v3 (no one may serve v4)


def test_a_published_plan_whose_visit_was_deleted_leaves_it_out_of_the_day(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """The plan still names the visit, the visits no longer have it: the engineer's day
    (JSON and calendar) leaves it out (issue 19: a deleted visit leaves the schedule), not a
    server error; the map (made from the plan's own copy of the day) still draws."""
    plan_id = published_plan(client, dispatcher)
    route = next(
        r
        for r in client.get(f"/plans/{plan_id}", headers=dispatcher).json()["result"]["routes"]
        if r["stops"]
    )
    gone = route["stops"][0]["visit_id"]
    assert client.delete(f"/visits/{gone}", headers=dispatcher).status_code == 204
    own = auth(make_token(client, Role.ENGINEER, route["engineer_id"]))
    base = f"/engineers/{route['engineer_id']}"
    r = client.get(f"{base}/schedule", params={"date": DAY}, headers=own)
    assert r.status_code == 200, r.text
    assert [s["visit_id"] for s in r.json()["stops"]] == [
        s["visit_id"] for s in route["stops"] if s["visit_id"] != gone
    ]
    r = client.get(f"{base}/schedule.ics", params={"date": DAY}, headers=own)
    assert r.status_code == 200 and gone.encode() not in r.content
    assert client.get(f"/plans/{plan_id}/geojson", headers=dispatcher).status_code == 200


def test_a_plan_file_naming_a_visit_its_problem_lacks_is_a_409_naming_it(
    settings: Settings, dispatcher: dict[str, str], client: TestClient
) -> None:
    """Stored documents that disagree (here: edited by hand) are refused with the field and
    value at fault, on the map and on the engineer's day alike."""
    plan_id = published_plan(client, dispatcher)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        row = session.get(PlanJob, plan_id)
        assert row is not None and row.result is not None
        result = dict(row.result)
        route = next(r for r in result["routes"] if r["stops"])
        route["stops"][0] = {**route["stops"][0], "visit_id": "ghost"}
        session.execute(update(PlanJob).where(PlanJob.id == plan_id).values(result=result))
        # As for a plan published before schedules were kept at publish: read afresh.
        session.execute(delete(PublishedSchedule).where(PublishedSchedule.plan_id == plan_id))
        session.commit()
    app = create_app(settings.model_copy(update={"run_worker": False}))
    with TestClient(app) as fresh:  # another server: nothing of the plan kept in memory
        r = fresh.get(f"/plans/{plan_id}/geojson", headers=dispatcher)
        assert r.status_code == 409
        assert "stops[0].visit_id = 'ghost': is not a known visit id" in r.json()["detail"]
        r = fresh.get(
            f"/engineers/{route['engineer_id']}/schedule", params={"date": DAY}, headers=dispatcher
        )
        assert r.status_code == 409 and "'ghost'" in r.json()["detail"]
