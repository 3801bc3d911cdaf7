"""Nothing blocks the event loop: CSV parsing and checking, and planning input assembly,
run in the server's worker threads, so that /health answers while the biggest upload the
server accepts is being processed (it once took 24 s)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from tests.api.conftest import CENTRE, DAY
from tests.api.test_uploads import upload


def _biggest_visits_csv(settings: Settings) -> str:
    row = "v{},home_service,60.17,24.94,30,08:00-16:00,,3\n"
    text = "id,kind,lat,lon,duration_min,time_windows,required_skills,priority\n" + "".join(
        row.format(i) for i in range(settings.max_upload_rows)
    )
    assert len(text.encode()) <= settings.max_upload_bytes
    return text


def test_health_answers_while_the_biggest_upload_is_processed(
    client: TestClient,
    dispatcher: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The upload's handler is held, after checking every row, until /health has answered:
    were the handler on the event loop, /health could not answer and the upload would end
    first (its hold times out); the order of events says which happened."""
    import api.routes.uploads as uploads
    from api.csv_import import check_csv_upload

    assert client.post("/service-centres", json=CENTRE, headers=dispatcher).status_code == 201
    events: list[str] = []
    checked, health_done = threading.Event(), threading.Event()
    real = check_csv_upload

    def held(session: Any, data: Any) -> Any:
        result = real(session, data)
        events.append("checked")
        checked.set()
        events.append("released" if health_done.wait(60) else "hold timed out")
        return result

    monkeypatch.setattr(uploads, "check_csv_upload", held)
    answer: dict[str, Any] = {}

    def send() -> None:
        answer["r"] = upload(
            client,
            dispatcher,
            {"date": DAY, "service_centre_id": "sc-kamppi"},
            visits=_biggest_visits_csv(settings),
        )

    sender = threading.Thread(target=send)
    sender.start()
    assert checked.wait(120), "the upload was not checked"
    health = client.get("/health")
    events.append(f"health {health.status_code}")
    health_done.set()
    sender.join(120)
    assert events == ["checked", "health 200", "released"]
    r = answer["r"]
    assert r.status_code == 201, r.text[:500]
    assert len(r.json()["visit_ids"]) == settings.max_upload_rows
