"""Calendar subscriptions: a read-only feed token per engineer in a URL a calendar app can
subscribe to (no header), covering today and the coming days; created, listed and revoked
like other tokens; failed authentication is rate limited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from api.auth import Role
from api.auth_limit import FailedAuthLimiter
from api.main import create_app
from tests.api.conftest import DAY, auth, make_token, published_plan, settings_for


@pytest.fixture
def on_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today is the tests' day."""
    monkeypatch.setattr("api.routes.feeds.today", lambda: dt.date.fromisoformat(DAY))


def test_a_feed_url_opens_in_a_calendar_app_without_a_header(
    client: TestClient, dispatcher: dict[str, str], on_the_day: None
) -> None:
    """Was: the .ics needed a Bearer header, so no calendar app could subscribe."""
    published_plan(client, dispatcher)
    own = auth(make_token(client, Role.ENGINEER, "e1"))
    r = client.post("/engineers/e1/calendar-feeds", json={"name": "phone"}, headers=own)
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["url"].startswith("http://testserver/calendar/frcal_")
    path = feed["url"].removeprefix("http://testserver")
    cal = client.get(path)  # no Authorization header
    assert cal.status_code == 200, cal.text
    assert cal.headers["content-type"].startswith("text/calendar")
    schedule = client.get("/engineers/e1/schedule", params={"date": DAY}, headers=own).json()
    events = Calendar.from_ical(cal.content).walk("VEVENT")
    assert len(events) == len(schedule["stops"]) + len(schedule["breaks"]) > 0
    assert client.get(path, headers={"If-None-Match": cal.headers["ETag"]}).status_code == 304
    # The feed token is no bearer token.
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert client.get("/engineers/e1", headers=auth(token)).status_code == 401
    listed = client.get("/engineers/e1/calendar-feeds", headers=dispatcher).json()
    assert [(f["id"], f["name"], f["revoked"]) for f in listed] == [(feed["id"], "phone", False)]
    assert "url" not in listed[0]
    r = client.delete(f"/engineers/e1/calendar-feeds/{feed['id']}", headers=own)
    assert r.status_code == 204
    assert client.get(path).status_code == 401


def test_the_feed_covers_today_and_the_coming_days_only(
    client: TestClient, dispatcher: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    published_plan(client, dispatcher)
    r = client.post("/engineers/e1/calendar-feeds", headers=dispatcher)
    path = r.json()["url"].removeprefix("http://testserver")
    day = dt.date.fromisoformat(DAY)
    for today, expect_events in ((day + dt.timedelta(days=1), False), (day, True)):
        monkeypatch.setattr("api.routes.feeds.today", lambda t=today: t)
        events = Calendar.from_ical(client.get(path).content).walk("VEVENT")
        assert bool(events) is expect_events


def test_feeds_are_per_engineer(client: TestClient, dispatcher: dict[str, str]) -> None:
    published_plan(client, dispatcher)
    other = auth(make_token(client, Role.ENGINEER, "e2"))
    assert client.post("/engineers/e1/calendar-feeds", headers=other).status_code == 403
    planner = auth(make_token(client, Role.PLANNER))
    assert client.post("/engineers/e1/calendar-feeds", headers=planner).status_code == 403
    assert client.post("/engineers/ghost/calendar-feeds", headers=dispatcher).status_code == 404


@pytest.fixture
def strict(database_url: str) -> Iterator[TestClient]:
    settings = settings_for(database_url, auth_failures_max=3, auth_failure_window_s=600)
    with TestClient(create_app(settings)) as c:
        yield c


def test_failed_authentication_is_rate_limited(strict: TestClient) -> None:
    good = auth(make_token(strict, Role.DISPATCHER))
    bad_feed = "/calendar/frcal_" + "x" * 43 + ".ics"
    assert strict.get("/plans", headers=auth("fr_guess")).status_code == 401
    assert strict.get(bad_feed).status_code == 401
    assert strict.get("/plans", headers=auth("fr_guess2")).status_code == 401
    # Three failures: this address now waits, whatever it presents.
    for r in (strict.get("/plans", headers=good), strict.get(bad_feed)):
        assert r.status_code == 429, r.text
        assert 0 < int(r.headers["Retry-After"]) <= 600


def test_the_limit_is_per_window() -> None:
    now = [0.0]
    limiter = FailedAuthLimiter(2, 60, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") == 60 and limiter.retry_after("b") is None
    now[0] = 30.0
    assert limiter.retry_after("a") == 30
    now[0] = 60.0
    assert limiter.retry_after("a") is None
