"""What the pages read: ``/me``, ``/board/plans/{id}`` (a row per engineer, blocks that add
up, reasons), its map and live state, the road network, an engineer's day, a day's KPIs,
the simulation plots; and the pages themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.routes.pages
from api.auth import Role
from api.web.board import lateness_s, slack_s
from scheduler.domain import TimeWindow, Visit
from tests.api.conftest import DAY, auth, make_token, published_plan


def first_route(client: TestClient, plan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """The plan's first route with stops, as the plan file writes it."""
    routes = client.get(f"/plans/{plan_id}", headers=headers).json()["result"]["routes"]
    route: dict[str, Any] = next(r for r in routes if r["stops"])
    return route


def test_me_says_who_the_token_is_and_which_days_are_published(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    published_plan(client, dispatcher)
    me = client.get("/me", headers=dispatcher).json()
    assert me["role"] == "dispatcher" and me["engineer_id"] is None
    assert me["published_days"] == [DAY]
    assert me["map"] == {"road_network": False, "tile_url": None, "tile_attribution": None}
    engineer = auth(make_token(client, Role.ENGINEER, "e1"))
    me = client.get("/me", headers=engineer).json()
    assert (me["role"], me["engineer_id"], me["engineer_name"]) == ("engineer", "e1", "Engineer e1")
    assert me["published_days"] == [DAY]
    assert client.get("/me", headers=auth("fr_wrong")).status_code == 401


def test_the_board_has_a_row_per_engineer_and_blocks_that_fit_the_plan(
    client: TestClient, dispatcher: dict[str, str], planner: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    plan = client.get(f"/plans/{plan_id}", headers=dispatcher).json()["result"]
    body = client.get(f"/board/plans/{plan_id}", headers=planner).json()
    board = body["board"]
    assert body["plan"]["published"] and body["published_plan_ids"] == [plan_id]
    assert [e["id"] for e in board["engineers"]] == ["e1", "e2"]
    assert board["timezone"] == "Europe/Helsinki"
    for route in plan["routes"]:
        row = next(e for e in board["engineers"] if e["id"] == route["engineer_id"])
        if not route["stops"]:
            continue
        blocks = row["route"]
        assert [s["visit"] for s in blocks["stops"]] == [s["visit_id"] for s in route["stops"]]
        assert [s["seq"] for s in blocks["stops"]] == list(range(1, len(route["stops"]) + 1))
        # Each drive ends where a stop's arrival is, lasting the seconds driven to it.
        for stop, written in zip(blocks["stops"], route["stops"], strict=True):
            if written["travel_from_previous_s"]:
                assert [stop["arrival"] - written["travel_from_previous_s"], stop["arrival"]] in (
                    blocks["drives"]
                )
        total = sum(b - a for a, b in blocks["drives"])
        kpi = next(k for k in plan["kpis"]["engineers"] if k["engineer_id"] == row["id"])
        assert total == kpi["travel_s"]
    left = {u["visit"]: u for u in board["unassigned"]}
    assert left["v4"]["reason"] == "NO_QUALIFIED_ENGINEER" and left["v4"]["message"]
    assert board["visits"]["v1"]["status"] == "pending"
    assert board["visits"]["v1"]["windows"] == [[8 * 3600, 12 * 3600]]
    assert board["kpis"]["visits_total"] == 4


def test_board_pages_need_a_staff_token(client: TestClient, dispatcher: dict[str, str]) -> None:
    plan_id = published_plan(client, dispatcher)
    engineer = auth(make_token(client, Role.ENGINEER, "e1"))
    for path in (
        f"/board/plans/{plan_id}",
        f"/board/plans/{plan_id}/map",
        "/board/kpis?date=" + DAY,
    ):
        assert client.get(path, headers=engineer).status_code == 403, path
        assert client.get(path).status_code == 401, path
    assert client.get("/board/plans/999", headers=dispatcher).status_code == 404


def test_live_state_follows_statuses_and_the_plan_published_instead(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    served = first_route(client, plan_id, dispatcher)
    engineer = auth(make_token(client, Role.ENGINEER, served["engineer_id"]))
    visit = served["stops"][0]["visit_id"]
    r = client.patch(f"/visits/{visit}/status", json={"status": "done"}, headers=engineer)
    assert r.status_code == 200, r.text
    live = client.get(f"/board/plans/{plan_id}/live", headers=dispatcher).json()
    assert live["statuses"][visit]["status"] == "done" and live["published"]
    assert client.post(f"/plans/{plan_id}/unpublish", headers=dispatcher).status_code == 200
    live = client.get(f"/board/plans/{plan_id}/live", headers=dispatcher).json()
    assert not live["published"] and live["published_plan_ids"] == []


def test_map_lines_are_compressed_per_engineer_and_roads_need_a_network(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    r = client.get(f"/board/plans/{plan_id}/map", headers=dispatcher)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    lines = r.json()
    assert not lines["along_roads"]  # no road network: straight lines
    routes = client.get(f"/plans/{plan_id}", headers=dispatcher).json()["result"]["routes"]
    for route in (r for r in routes if r["stops"]):
        mine = next(x for x in lines["routes"] if x["engineer"] == route["engineer_id"])
        assert len(mine["legs"]) == len(route["stops"]) + 1
    plain = client.get(
        f"/board/plans/{plan_id}/map", headers={**dispatcher, "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.json() == lines
    assert client.get("/board/roads", headers=dispatcher).status_code == 404


def test_an_engineers_day_has_windows_and_the_kpis_of_a_days_plans(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    served = first_route(client, plan_id, dispatcher)
    me = served["engineer_id"]
    engineer = auth(make_token(client, Role.ENGINEER, me))
    day = client.get(f"/board/engineers/{me}/day", params={"date": DAY}, headers=engineer).json()
    assert [s["visit_id"] for s in day["stops"]] == [s["visit_id"] for s in served["stops"]]
    assert all(s["windows"] and s["priority"] for s in day["stops"])
    other = "e2" if me == "e1" else "e1"
    r = client.get(f"/board/engineers/{other}/day", params={"date": DAY}, headers=engineer)
    assert r.status_code == 403
    kpis = client.get("/board/kpis", params={"date": DAY}, headers=dispatcher).json()
    assert [k["plan"]["id"] for k in kpis] == [plan_id]
    assert kpis[0]["kpis"]["visits_total"] == 4 and "engineers" not in kpis[0]["kpis"]


@pytest.mark.parametrize(
    ("start", "late", "slack"),
    [
        (9 * 3600, 0, 3600),  # inside the first window, an hour before it closes
        (10 * 3600 + 30 * 60, 0, None),  # between the windows: not late, no slack
        (12 * 3600 + 300, 0, 3300),  # inside the second window
        (13 * 3600 + 120, 120, None),  # two minutes after the last window
    ],
)
def test_late_and_slack_are_measured_against_the_windows(
    start: int, late: int, slack: int | None
) -> None:
    visit = Visit(
        "v",
        "l",
        600,
        time_windows=(TimeWindow(8 * 3600, 10 * 3600), TimeWindow(11 * 3600, 13 * 3600)),
        soft_windows=True,
    )
    assert lateness_s(visit, start) == late
    assert slack_s(visit, start) == slack


def test_pages_are_served_and_say_when_they_are_not_built(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "board.html").write_text("<!doctype html><title>board</title>")
    (tmp_path / "assets" / "board-1234.js").write_text("console.log(1)")
    monkeypatch.setattr(api.routes.pages, "STATIC", tmp_path)
    r = client.get("/board")
    assert r.status_code == 200 and "<title>board</title>" in r.text
    r = client.get("/assets/board-1234.js")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert client.get("/assets/..%2Fboard.html").status_code == 404
    assert client.get("/assets/missing.js").status_code == 404
    r = client.get("/planner")  # not built
    assert r.status_code == 503 and "make web" in r.text
