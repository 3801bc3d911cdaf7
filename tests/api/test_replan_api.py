"""Re-planning through the API: the scripted morning (one engineer sick from 11:00, five
urgent visits, two cancellations, one job 40 minutes over) on a hand-built day, the freeze
rules it must keep, the churn it reports, publishing the re-plan over the plan it replaces,
the diff between them, and each bad request refused with nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import func, select

from api.auth import Role
from api.db.models import PlanJob
from scheduler.travel import travel_time_matrix_for
from scheduler.validate import validate
from tests.api.conftest import (
    CENTRE,
    DAY,
    auth,
    engineer_body,
    make_token,
    visit_body,
    wait_for_plan,
)

OPTIONS = {"time_limit_s": 30, "iterations": 3000, "seed": 1}
"""Every solve here is bounded by iterations (the time limit is only a safety net)."""

# A hand-built Helsinki morning: three engineers, ten visits over the day (four in the
# morning), each preferring one engineer so that all three work, and j1, an hour long job
# e1 starts at 10:30 sharp.
PLACES = [
    (60.1636, 24.9392), (60.1780, 24.9230), (60.1720, 24.9560), (60.1650, 24.9470),
    (60.1600, 24.9300), (60.1700, 24.9400), (60.1750, 24.9500), (60.1680, 24.9250),
    (60.1620, 24.9520), (60.1740, 24.9330),
]  # fmt: skip
PREFERS = ["e1", "e2", "e3"]
URGENT = [(60.1660, 24.9420), (60.1710, 24.9280), (60.1690, 24.9510), (60.1610, 24.9360),
          (60.1760, 24.9450)]  # fmt: skip


def seed_morning(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/service-centres", json=CENTRE, headers=headers).status_code == 201
    for eid in ("e1", "e2", "e3"):
        r = client.post("/engineers", json=engineer_body(eid), headers=headers)
        assert r.status_code == 201, r.text
    for i, (lat, lon) in enumerate(PLACES, 1):
        window = (
            {"start": "08:00", "end": "10:00"} if i <= 4 else {"start": "11:30", "end": "16:00"}
        )
        body = visit_body(f"v{i:02d}", lat, lon, duration_min=30, time_windows=[window],
                          preferred_engineers=[PREFERS[i % 3]])  # fmt: skip
        assert client.post("/visits", json=body, headers=headers).status_code == 201
    job = visit_body(
        "j1", 60.1670, 24.9350, duration_min=60, allowed_engineers=["e1"],
        time_windows=[{"start": "10:30", "end": "10:30"}],
    )  # fmt: skip
    assert client.post("/visits", json=job, headers=headers).status_code == 201


def plan_and_publish(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    request = {"date": DAY, "service_centre_ids": ["sc-kamppi"], "options": OPTIONS}
    r = client.post("/plans", json=request, headers=headers)
    assert r.status_code == 202, r.text
    plan = wait_for_plan(client, r.json()["id"], headers)
    assert plan["status"] == "succeeded", plan["error"]
    assert client.post(f"/plans/{plan['id']}/publish", headers=headers).status_code == 200
    return plan


def stops_of(plan: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """visit id -> (engineer id, start, end) of a plan response."""
    return {
        s["visit_id"]: (r["engineer_id"], s["start"], s["end"])
        for r in plan["result"]["routes"]
        for s in r["stops"]
    }


def clock(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).strftime("%H:%M")


def report(client: TestClient, engineer: str, visit: str, status: str, at: str) -> Any:
    token = auth(make_token(client, Role.ENGINEER, engineer))
    return client.patch(f"/visits/{visit}/status", json={"status": status, "at": at}, headers=token)


def plan_count(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(PlanJob)) or 0)


def run_the_morning(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """The scripted morning up to the re-plan's request; what the test checks against."""
    seed_morning(client, headers)
    published = plan_and_publish(client, headers)
    placed = stops_of(published)
    assert placed["j1"][0] == "e1" and clock(placed["j1"][1]) == "10:30"
    # Everything that ended by 11:00 was done, by the engineer who had it.
    done = sorted(v for v, (_, _, end) in placed.items() if clock(end) <= "11:00" and v != "j1")
    assert done, "the morning windows put visits before 11:00"
    for v in done:
        e, start, end = placed[v]
        assert report(client, e, v, "en_route", clock(start)).status_code == 200
        assert report(client, e, v, "started", clock(start)).status_code == 200
        r = report(client, e, v, "done", clock(end))
        assert r.status_code == 200, r.text
    # j1 started on time and will run 40 minutes over (the engineer called it in).
    assert report(client, "e1", "j1", "started", "10:30").status_code == 200
    assert (
        client.patch("/visits/j1", json={"duration_min": 100}, headers=headers).status_code == 200
    )
    # e2 is sick from 11:00 (if e1's and e2's afternoons differ, any engineer but e1 will do).
    afternoon = [v for v, (e, start, _) in placed.items() if clock(start) >= "11:00"]
    sick = max(("e2", "e3"), key=lambda e: sum(placed[v][0] == e for v in afternoon))
    r = client.patch("/engineers/" + sick + "/off", json={"date": DAY, "off_from": "11:00"},
                     headers=headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["off_from"].startswith(f"{DAY}T09:00")  # UTC
    # The other one sends their position.
    other = "e3" if sick == "e2" else "e2"
    r = client.patch(
        f"/engineers/{other}/position",
        json={"lat": 60.1700, "lon": 24.9400, "at": "10:55", "date": DAY},
        headers=auth(make_token(client, Role.ENGINEER, other)),
    )
    assert r.status_code == 200, r.text
    # Two customers cancel (not the sick engineer's: those are handed over).
    # ... and is driving to their first afternoon stop: they keep it.
    en_route = min((v for v in afternoon if placed[v][0] == other), key=lambda v: placed[v][1])
    assert report(client, other, en_route, "en_route", "10:58").status_code == 200
    cancelled = sorted(v for v in afternoon if placed[v][0] != sick and v != en_route)[:2]
    for v in cancelled:
        r = client.post(f"/visits/{v}/cancel", json={"note": "customer called"}, headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
    # Five urgent repairs come in.
    for i, (lat, lon) in enumerate(URGENT, 1):
        body = visit_body(f"u{i}", lat, lon, duration_min=30, priority=1,
                          time_windows=[{"start": "11:00", "end": "16:00"}])  # fmt: skip
        assert client.post("/visits", json=body, headers=headers).status_code == 201
    return {
        "published": published,
        "placed": placed,
        "done": done,
        "sick": sick,
        "other": other,
        "cancelled": cancelled,
        "handed_over": sorted(v for v in afternoon if placed[v][0] == sick),
        "en_route": en_route,
    }


def test_the_scripted_morning_re_planned_through_the_api(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    m = run_the_morning(client, dispatcher)
    old_id = m["published"]["id"]
    r = client.post(
        "/plans", json={"replan": {"of": old_id, "at": "11:00"}, "options": OPTIONS},
        headers=dispatcher,
    )  # fmt: skip
    assert r.status_code == 202, r.text
    assert r.json()["replaces"] == old_id and r.headers["Location"] == f"/plans/{r.json()['id']}"
    new = wait_for_plan(client, r.json()["id"], dispatcher)
    assert new["status"] == "succeeded", new["error"]
    after = stops_of(new)

    # Frozen work untouched: done, cancelled and the started job are not planned again.
    assert not set(after) & {*m["done"], *m["cancelled"], "j1"}
    # The sick engineer has nothing left; what was theirs is handed over.
    assert all(e != m["sick"] for e, _, _ in after.values())
    assert set(m["handed_over"]) <= set(after)
    # An engineer driving to a stop keeps it as their first.
    first = min((s, v) for v, (e, s, _) in after.items() if e == m["other"])
    assert first[1] == m["en_route"]
    # Every urgent visit is served; nobody starts before 11:00.
    assert {f"u{i}" for i in range(1, 6)} <= set(after)
    assert all(clock(start) >= "11:00" for _, start, _ in after.values())
    # e1 is at j1 until 10:30 + 100 min = 12:10.
    e1_starts = sorted(clock(s) for e, s, _ in after.values() if e == "e1")
    assert not e1_starts or e1_starts[0] >= "12:10"
    # The rest of the day is a valid plan of the rest of the day.
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        solved = client.app.state.solved_plans.get(session, new["id"])  # type: ignore[attr-defined]
    assert solved is not None
    matrix, _ = travel_time_matrix_for(solved.problem)
    assert validate(solved.problem, solved.plan, matrix) == []

    # The board and the map draw it like any plan.
    assert client.get(f"/board/plans/{new['id']}", headers=dispatcher).status_code == 200
    assert client.get(f"/plans/{new['id']}/geojson", headers=dispatcher).status_code == 200

    # The churn block, against the plan it replaces.
    churn = new["churn"]
    assert churn == new["result"]["churn"]
    kept = set(m["placed"]) & set(after)
    assert churn["compared"] == len(kept)
    assert churn["reassigned"] >= len(m["handed_over"])
    assert churn["dropped"] == 0
    assert set(churn) >= {"moved", "minutes_moved", "promises_broken", "sequence_change"}
    assert 0 <= churn["sequence_change"] <= 1

    # The diff says the same, per visit and per engineer.
    diff = client.get(f"/plans/{new['id']}/diff", headers=dispatcher).json()
    assert diff["against"] == old_id and diff["churn"] == churn
    change = {v["visit_id"]: v for v in diff["visits"]}
    assert all(change[f"u{i}"]["change"] == "added" for i in range(1, 6))
    assert all(change[v]["change"] == "left" for v in [*m["done"], *m["cancelled"], "j1"])
    assert change[m["cancelled"][0]]["status"] == "cancelled"
    assert all(change[v]["change"] == "reassigned" for v in m["handed_over"])
    assert sum(v["change"] == "reassigned" for v in diff["visits"]) == churn["reassigned"]
    sick = next(e for e in diff["engineers"] if e["engineer_id"] == m["sick"])
    assert sick["stops_after"] == 0 and set(sick["removed"]) >= set(m["handed_over"])

    # Publishing the re-plan replaces the published plan; both versions are kept.
    ics_before = client.get(
        f"/engineers/{m['other']}/schedule.ics", params={"date": DAY}, headers=dispatcher
    )
    r = client.post(f"/plans/{new['id']}/publish", headers=dispatcher)
    assert r.status_code == 200, r.text
    assert client.get(f"/plans/{old_id}", headers=dispatcher).json()["published"] is False
    versions = client.get(f"/plans/{new['id']}/versions", headers=dispatcher).json()
    assert [(v["id"], v["replaces"], v["published"]) for v in versions] == [
        (old_id, None, False),
        (new["id"], old_id, True),
    ]
    # The engineer's schedule: what changed since the version they last fetched.
    day = client.get(
        f"/engineers/{m['other']}/schedule",
        params={"date": DAY, "changed_since": old_id},
        headers=dispatcher,
    ).json()
    assert day["plan_id"] == new["id"]
    kinds = {c["visit_id"]: c["change"] for c in day["changes"]}
    assert {v for v, k in kinds.items() if k != "removed"} == {s["visit_id"] for s in day["stops"]}
    assert all(kinds[v] == "removed" for v in m["cancelled"] if m["placed"][v][0] == m["other"])
    # Its calendar updates the same entries (one UID per visit, a higher SEQUENCE).
    ics_after = client.get(
        f"/engineers/{m['other']}/schedule.ics", params={"date": DAY}, headers=dispatcher
    )
    before = {
        str(e["UID"]): int(e.decoded("SEQUENCE"))
        for e in Calendar.from_ical(ics_before.content).walk("VEVENT")
    }
    after_uids = {
        str(e["UID"]): int(e.decoded("SEQUENCE"))
        for e in Calendar.from_ical(ics_after.content).walk("VEVENT")
    }
    for v in kept:
        if m["placed"][v][0] == m["other"] == after[v][0]:
            uid = f"visit-{v}-{DAY}@fieldroute"
            assert before[uid] == old_id and after_uids[uid] == new["id"]
    # The job under way is left out of the re-plan, and still e1's to report done.
    r = report(client, "e1", "j1", "done", "12:10")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done"


def test_a_re_plan_of_an_unknown_or_unpublished_plan_or_outside_the_day_stores_nothing(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_morning(client, dispatcher)
    request = {"date": DAY, "service_centre_ids": ["sc-kamppi"], "options": OPTIONS}
    plan_id = client.post("/plans", json=request, headers=dispatcher).json()["id"]
    assert wait_for_plan(client, plan_id, dispatcher)["status"] == "succeeded"
    stored = plan_count(client)

    def replan(of: int, at: str) -> Any:
        body = {"replan": {"of": of, "at": at}, "options": OPTIONS}
        return client.post("/plans", json=body, headers=dispatcher)

    r = replan(9999, "11:00")
    assert r.status_code == 404 and "9999" in r.json()["detail"]
    r = replan(plan_id, "11:00")
    assert r.status_code == 409 and "not published" in r.json()["detail"]
    assert client.post(f"/plans/{plan_id}/publish", headers=dispatcher).status_code == 200
    r = replan(plan_id, "23:30")  # the day ends at 16:00
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "replan", "at"]
    r = replan(plan_id, "25:00")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "replan", "at"]
    r = client.post(
        "/plans",
        json={"replan": {"of": plan_id, "at": "11:00"}, "date": DAY, "service_centre_ids": ["x"]},
        headers=dispatcher,
    )
    assert r.status_code == 422
    assert plan_count(client) == stored
    # Churn prices of the request's own are those the job solves with.
    churn = {"reassign": 600, "move_per_second": 2, "tolerance_min": 5, "broken_promise": 0,
             "drop_planned": 1000}  # fmt: skip
    body = {"replan": {"of": plan_id, "at": "11:00", "churn": churn}, "options": OPTIONS}
    r = client.post("/plans", json=body, headers=dispatcher)
    assert r.status_code == 202, r.text
    assert wait_for_plan(client, r.json()["id"], dispatcher)["status"] == "succeeded"
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        solved = client.app.state.solved_plans.get(session, r.json()["id"])  # type: ignore[attr-defined]
    weights = solved.problem.options.weights
    assert (weights.reassign, weights.move_per_second, weights.move_tolerance) == (600, 2, 300)
    assert (weights.broken_promise, weights.drop_planned) == (0, 1000)
