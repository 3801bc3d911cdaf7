"""No input of any kind produces a 500: schemathesis drives every operation of the app's own
OpenAPI schema with generated (valid and invalid) requests, a bounded number per operation,
and checks status codes, content types and response bodies against the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import Role, create_token
from api.config import Settings
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import migrate
from api.main import create_app
from tests.api.conftest import settings_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The schema only; create_app touches no database until it starts.
# Bounded: a few generated cases per operation plus the coverage phase's boundary and
# negative values, without probing every unexpected HTTP method on every path.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://", run_worker=False)).openapi(), config=CONFIG
)


@pytest.fixture
def fuzz_client(database_url: str) -> Iterator[ASGIClient]:
    """The app (no solver running: plans stay queued) and a dispatcher's header."""
    engine = make_engine(database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        token = create_token(session, Role.DISPATCHER)
        session.commit()
    engine.dispose()
    app: Any = create_app(settings_for(database_url, run_worker=False))
    client = ASGIClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    try:
        with client:
            yield client
    finally:
        # schemathesis keeps the app's lifespan and its portal thread for the whole process;
        # stop them so later tests in this worker see no stray threads (forking checks).
        schemathesis_asgi._shutdown()


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_request_gets_a_server_error(case: Any, fuzz_client: ASGIClient) -> None:
    case.call_and_validate(session=fuzz_client, base_url=fuzz_client.base_url, checks=CHECKS)


def _json_operations() -> list[tuple[str, str]]:
    spec = create_app(Settings(database_url="sqlite://", run_worker=False)).openapi()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-1e400"])
@pytest.mark.parametrize(("method", "path"), _json_operations())
def test_no_json_body_with_a_non_finite_number_gets_a_server_error(
    fuzz_client: ASGIClient, method: str, path: str, literal: str
) -> None:
    """The cases schemathesis does not generate (JSON has no NaN; Python's reader takes it):
    a non-finite number in any field of any JSON body is refused, never a 500."""
    x = literal
    body = (
        f'{{"id": "x1", "date": "2026-11-27", "lat": {x}, "time_limit_s": {x}, '
        f'"options": {{"time_limit_s": {x}}}, "duration_min": {x}}}'
    )
    url = path.replace("{", "").replace("}", "")  # path parameters as their own names
    r = fuzz_client.request(method, url, data=body, headers={"content-type": "application/json"})
    assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
