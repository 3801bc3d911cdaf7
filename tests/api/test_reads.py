"""Fast reads: an engineer's schedule is rendered once, when its plan is published, and
read with an ETag (304 when unchanged) and gzip; lists paginate and say when they are cut."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth import Role
from api.db.models import PublishedSchedule
from tests.api.conftest import DAY, auth, engineer_body, make_token, published_plan


def _schedule(client: TestClient, headers: dict[str, str], **extra: str) -> Any:
    return client.get("/engineers/e1/schedule", params={"date": DAY}, headers={**headers, **extra})


def test_publishing_renders_each_engineers_day_once(
    client: TestClient, dispatcher: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After publish, reads never render: the renderer may be broken and reads still work."""
    plan_id = published_plan(client, dispatcher)
    plan = client.get(f"/plans/{plan_id}", headers=dispatcher).json()
    routed = sorted(r["engineer_id"] for r in plan["result"]["routes"])
    assert "e1" in routed
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        kept = session.scalars(select(PublishedSchedule).order_by(PublishedSchedule.engineer_id))
        assert [(r.plan_id, r.engineer_id) for r in kept] == [(plan_id, e) for e in routed]

    def broken(*_: object, **__: object) -> None:
        raise AssertionError("a read rendered the schedule again")

    monkeypatch.setattr("api.routes.schedule.render_schedule", broken)
    own = auth(make_token(client, Role.ENGINEER, "e1"))
    for _ in range(3):
        r = _schedule(client, own)
        assert r.status_code == 200, r.text
        assert r.json()["plan_id"] == plan_id and r.json()["stops"]


def test_an_unchanged_schedule_is_a_304_and_a_changed_one_a_new_etag(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    published_plan(client, dispatcher)
    own = auth(make_token(client, Role.ENGINEER, "e1"))
    first = _schedule(client, own)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "private, no-cache"
    again = _schedule(client, own, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    # The engineer reports progress: the kept day shows it, under a new ETag.
    visit = first.json()["stops"][0]["visit_id"]
    r = client.patch(f"/visits/{visit}/status", json={"status": "en_route"}, headers=own)
    assert r.status_code == 200, r.text
    changed = _schedule(client, own, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["stops"][0]["status"] == "en_route"
    ics = client.get("/engineers/e1/schedule.ics", params={"date": DAY}, headers=own)
    assert ics.status_code == 200 and ics.headers["ETag"] != changed.headers["ETag"]
    cached = client.get(
        "/engineers/e1/schedule.ics",
        params={"date": DAY},
        headers={**own, "If-None-Match": ics.headers["ETag"]},
    )
    assert cached.status_code == 304


def test_an_unpublished_plan_takes_its_schedules_with_it(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    plan_id = published_plan(client, dispatcher)
    assert _schedule(client, dispatcher).status_code == 200
    assert client.post(f"/plans/{plan_id}/unpublish", headers=dispatcher).status_code == 200
    r = _schedule(client, dispatcher)
    assert r.status_code == 404 and "no plan is published" in r.json()["detail"]


def test_large_answers_are_gzipped(client: TestClient, dispatcher: dict[str, str]) -> None:
    published_plan(client, dispatcher)
    r = client.get(
        "/plans", headers={**dispatcher, "Accept-Encoding": "gzip"}, params={"limit": 10}
    )
    raw = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["Content-Encoding"] == "gzip"
    assert r.status_code == 200
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert len(gzip.compress(plain.content)) < len(plain.content) // 2


@pytest.mark.parametrize("path", ["/engineers", "/visits", "/service-centres"])
def test_a_list_cut_at_its_limit_says_where_the_next_page_starts(
    client: TestClient, dispatcher: dict[str, str], path: str
) -> None:
    for i in range(3):
        centre = {"id": f"sc-{i}", "lat": 60.17, "lon": 24.93}
        assert client.post("/service-centres", json=centre, headers=dispatcher).status_code == 201
        body = engineer_body(f"e{i}", service_centre_id=f"sc-{i}")
        assert client.post("/engineers", json=body, headers=dispatcher).status_code == 201
        visit = {
            "id": f"v{i}",
            "service_centre_id": "sc-0",
            "date": DAY,
            "lat": 60.17,
            "lon": 24.93,
            "duration_min": 30,
        }
        assert client.post("/visits", json=visit, headers=dispatcher).status_code == 201
    first = client.get(path, params={"limit": 2}, headers=dispatcher)
    assert len(first.json()) == 2
    assert first.headers["X-Next-Offset"] == "2"
    assert first.headers["Link"] == f'<{path}?offset=2&limit=2>; rel="next"'
    last = client.get(path, params={"limit": 2, "offset": 2}, headers=dispatcher)
    assert len(last.json()) == 1
    assert "X-Next-Offset" not in last.headers and "Link" not in last.headers
    ids = [x["id"] for x in first.json() + last.json()]
    assert len(set(ids)) == 3
