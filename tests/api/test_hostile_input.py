"""Hostile input is answered with a 4xx naming what is wrong, never a 500: non-finite
numbers, bodies and uploads over the server's caps, 422s that would echo megabytes,
weights that would overflow the solver, and CSV faults of every kind reported at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from api.schemas import MAX_WEIGHT
from tests.api.conftest import (
    CENTRE,
    DAY,
    PLAN_REQUEST,
    engineer_body,
    seed_day,
    settings_for,
    visit_body,
    wait_for_plan,
)
from tests.api.test_uploads import upload

JSON = {"content-type": "application/json"}


@pytest.fixture
def small_settings(database_url: str) -> Settings:
    """Caps small enough to pass in a test: 64 kB bodies, 256 kB uploads, 50 rows a file."""
    return settings_for(
        database_url, max_body_bytes=64 * 1024, max_upload_bytes=256 * 1024, max_upload_rows=50
    )


@pytest.fixture
def small(small_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(small_settings)) as c:
        yield c


def _raw(body: dict[str, Any], field: str, literal: str) -> str:
    """``body`` as JSON text with ``field``'s value replaced by the bare ``literal``."""
    marker = "__VALUE__"
    text = json.dumps({**body, field: marker})
    return text.replace(f'"{marker}"', literal)


BODIES = [
    # (path, body, the numeric field poisoned)
    ("/service-centres", CENTRE, "lat"),
    ("/engineers", engineer_body("e9"), "overtime_max_min"),
    ("/visits", visit_body("v9", 60.17, 24.94), "duration_min"),
]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize(("path", "body", "field"), BODIES)
def test_non_finite_numbers_are_a_422_naming_the_field(
    client: TestClient,
    dispatcher: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
    literal: str,
) -> None:
    """Python's JSON reader takes NaN, Infinity and 1e400 (as inf); the 422 names the field
    and shows the value as text, where it used to fail to serialise its echo (500)."""
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    body = {**body, "id": "x9"} if path != "/service-centres" else {**body, "id": "sc-x9"}
    r = client.post(path, content=_raw(body, field, literal), headers={**dispatcher, **JSON})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", field]
    assert "finite" in error["msg"]
    assert error["input"] in ("NaN", "Infinity", "-Infinity")


def test_a_non_finite_plan_option_is_a_422(client: TestClient, dispatcher: dict[str, str]) -> None:
    body = _raw({"date": DAY, "service_centre_ids": ["sc-kamppi"]}, "options", "{}")
    body = body.replace("{}", '{"time_limit_s": NaN}')
    r = client.post("/plans", content=body, headers={**dispatcher, **JSON})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "options", "time_limit_s"]


def test_a_body_over_the_cap_is_a_413_with_the_limit(
    small: TestClient, small_settings: Settings
) -> None:
    """Refused by its Content-Length, before it is read (no token needed to be refused)."""
    big = json.dumps({**CENTRE, "name": "x" * 10_000_000})
    r = small.post("/service-centres", content=big, headers=JSON)
    assert r.status_code == 413, r.text
    assert r.json()["limit_bytes"] == small_settings.max_body_bytes
    assert str(small_settings.max_body_bytes) in r.json()["detail"]


def test_a_streamed_body_over_the_cap_is_a_413(
    small: TestClient, dispatcher_small: dict[str, str]
) -> None:
    """Without a Content-Length (chunked), the body is cut off once it passes the cap."""

    def chunks() -> Iterator[bytes]:
        yield b'{"id": "sc-big", "lat": 60, "lon": 24, "name": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}'

    r = small.post("/service-centres", content=chunks(), headers={**dispatcher_small, **JSON})
    assert r.status_code == 413, r.text


@pytest.fixture
def dispatcher_small(small: TestClient) -> dict[str, str]:
    from api.auth import Role
    from tests.api.conftest import auth, make_token

    return auth(make_token(small, Role.DISPATCHER))


def test_a_422_never_echoes_a_large_input(
    small: TestClient, dispatcher_small: dict[str, str]
) -> None:
    """A 60 kB bad id (under the body cap) comes back cut to a couple of hundred characters."""
    body = {**CENTRE, "id": "x" * 60_000}
    r = small.post("/service-centres", json=body, headers=dispatcher_small)
    assert r.status_code == 422, r.text
    assert len(r.content) < 1000
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "id"]
    assert error["input"].endswith("(60000 characters)")


def test_an_upload_over_the_row_cap_is_a_413_naming_the_file(
    small: TestClient, dispatcher_small: dict[str, str], small_settings: Settings
) -> None:
    rows = [f"v{i},home_service,60.17,24.94,30,08:00-16:00" for i in range(51)]
    visits = "id,kind,lat,lon,duration_min,time_windows\n" + "\n".join(rows) + "\n"
    r = upload(small, dispatcher_small, {"date": DAY, "service_centre_id": "sc-x"}, visits=visits)
    assert r.status_code == 413, r.text
    assert "visits: 51 rows" in r.json()["detail"]
    assert str(small_settings.max_upload_rows) in r.json()["detail"]


def test_a_330000_row_upload_is_refused_before_it_is_read(
    client: TestClient, dispatcher: dict[str, str], settings: Settings
) -> None:
    """The issue's probe (a 330,000-row visits.csv, once a 201 and 1.1 GB of memory) at the
    default caps: 413 from its size alone."""
    row = "v{},home_service,60.17,24.94,30,08:00-16:00\n"
    visits = "id,kind,lat,lon,duration_min,time_windows\n" + "".join(
        row.format(i) for i in range(330_000)
    )
    assert len(visits) > settings.max_upload_bytes
    r = upload(client, dispatcher, {"date": DAY, "service_centre_id": "sc-kamppi"}, visits=visits)
    assert r.status_code == 413, r.text
    assert r.json()["limit_bytes"] == settings.max_upload_bytes


def test_bad_csv_rows_of_every_kind_come_in_one_answer(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """A malformed cell on one row and an id already stored on another: both in one 422
    (they used to come in two rounds, the cells first, then the ids)."""
    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    visit = visit_body("v-taken", 60.17, 24.94)
    assert client.post("/visits", json=visit, headers=dispatcher).status_code == 201
    visits = (
        "id,kind,lat,lon,duration_min,time_windows\n"
        "v-taken,home_service,60.17,24.94,30,08:00-16:00\n"
        "v-bad,home_service,60.17,24.94,thirty,08:00-16:00\n"
        "v-ok,home_service,60.17,24.94,30,08:00-16:00\n"
    )
    r = upload(client, dispatcher, {"date": DAY, "service_centre_id": "sc-kamppi"}, visits=visits)
    assert r.status_code == 422, r.text
    found = {(e["row"], e["column"]) for e in r.json()["detail"]}
    assert found == {(2, "id"), (3, "duration_min")}


def test_an_overflowing_weight_is_a_422_naming_it(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    """An overtime weight of 1e21 was accepted (202) and then failed inside the solver."""
    seed_day(client, dispatcher)
    for value in ("1000000000000000000000", str(MAX_WEIGHT + 1)):
        body = json.dumps(PLAN_REQUEST).replace(
            '"solution_limit": 20}',
            f'"solution_limit": 20, "weights": {{"overtime_per_second": {value}}}}}',
        )
        r = client.post("/plans", content=body, headers={**dispatcher, **JSON})
        assert r.status_code == 422, r.text
        (error,) = r.json()["detail"]
        assert error["loc"] == ["body", "options", "weights", "overtime_per_second"]


@pytest.mark.parametrize("engine", ["compiled", "ortools"])
def test_every_weight_at_its_bound_still_solves(
    client: TestClient, dispatcher: dict[str, str], engine: str
) -> None:
    """The bound is low enough: a plan with every weight at MAX_WEIGHT succeeds."""
    from scheduler.formats import WeightsFile

    seed_day(client, dispatcher)
    weights = dict.fromkeys(WeightsFile.model_fields, MAX_WEIGHT)
    if engine == "ortools":  # the worst lateness is priced by the compiled engine only
        weights["max_lateness_per_second"] = 0
    options = {"time_limit_s": 5, "solution_limit": 5, "engine": engine, "weights": weights}
    r = client.post("/plans", json={**PLAN_REQUEST, "options": options}, headers=dispatcher)
    assert r.status_code == 202, r.text
    plan = wait_for_plan(client, r.json()["id"], dispatcher)
    assert plan["status"] == "succeeded", plan["error"]


def test_a_weight_the_engine_cannot_price_is_refused_before_any_job(
    client: TestClient, dispatcher: dict[str, str]
) -> None:
    seed_day(client, dispatcher)
    options = {"engine": "ortools", "weights": {"max_lateness_per_second": 1}}
    r = client.post("/plans", json={**PLAN_REQUEST, "options": options}, headers=dispatcher)
    assert r.status_code == 422, r.text
    assert "max_lateness_per_second" in r.text and "compiled" in r.text
    assert client.get("/plans", headers=dispatcher).json() == []


@pytest.mark.parametrize("bad", ["smart home", "-lead", "x" * 65, "åäö"])
def test_one_id_and_skill_rule_in_the_api_the_csv_upload_and_the_library(
    client: TestClient, dispatcher: dict[str, str], bad: str
) -> None:
    """A skill (or id) the API refuses is refused by the CSV upload and the library's
    problem file too, so a day accepted by one is accepted by all."""
    from scheduler.errors import InputFormatError
    from scheduler.formats import problem_from_json

    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    r = client.post("/engineers", json=engineer_body("e9", skills=[bad]), headers=dispatcher)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "skills"]
    engineers = f"id,service_center,shift_start,shift_end,skills\ne9,sc-kamppi,08:00,16:00,{bad}\n"
    r = upload(client, dispatcher, engineers=engineers)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["column"]) for e in r.json()["detail"]] == [(2, "skills")]
    problem = {
        "date": DAY,
        "locations": [{"id": "depot", "lat": 60.17, "lon": 24.94}],
        "engineers": [
            {
                "id": "e9",
                "start_location": "depot",
                "shift_start": "08:00",
                "shift_end": "16:00",
                "skills": [bad],
            }
        ],
        "visits": [],
    }
    with pytest.raises(InputFormatError, match="skills"):
        problem_from_json(json.dumps(problem))
