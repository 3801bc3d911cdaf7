"""``fieldroute token create`` and the start-up migration rules shared with ``serve``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.auth import principal_for
from api.config import Settings
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import DatabaseRevisionError, current_revision, migrate
from api.main import create_app
from fieldroute.cli import main
from tests.api.conftest import settings_for


def test_token_create_migrates_an_empty_database_and_prints_the_token_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["token", "create", "--role", "dispatcher", "--name", "ops"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("fr_") and len(out.splitlines()) == 1
    engine = make_engine(database_url)
    assert f"at revision {current_revision(engine)}" in err and "shown only now" in err
    with make_sessionmaker(engine)() as session:
        who = principal_for(session, token)
    engine.dispose()
    assert who is not None and who.role == "dispatcher"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "engineer"], "needs --engineer"),  # an engineer token names its engineer
        (["--role", "engineer", "--engineer", "ghost"], "'ghost' is not known"),
        (["--role", "planner", "--engineer", "e1"], "only for engineer tokens"),
    ],
)
def test_token_create_refuses_bad_combinations(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["token", "create", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err


def test_a_database_at_an_unknown_revision_is_refused_clearly(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    with pytest.raises(DatabaseRevisionError, match="'f00dcafe', which this fieldroute does not"):
        migrate(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["serve", "--port", "1"]) == 2  # refused before any server starts
    assert "newer fieldroute" in capsys.readouterr().err
    with pytest.raises(DatabaseRevisionError):  # the app refuses it at start-up too
        from fastapi.testclient import TestClient

        with TestClient(create_app(settings_for(database_url))):
            pass


def test_a_database_of_someone_else_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseRevisionError, match="not a fieldroute database"):
        migrate(engine)
    engine.dispose()


def test_token_list_shows_no_secret_and_revoke_makes_it_401(
    client: TestClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["token", "create", "--role", "planner", "--name", "what-ifs"]) == 0
    token = capsys.readouterr().out.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/plans", headers=headers).status_code == 200
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert token not in listed
    token_id, role, engineer, state = listed.splitlines()[0].split("\t")[:4]
    assert (role, engineer, state) == ("planner", "-", "active")
    assert main(["token", "revoke", token_id]) == 0
    assert client.get("/plans", headers=headers).status_code == 401
    assert main(["token", "list"]) == 0
    assert "\trevoked\t" in capsys.readouterr().out
    assert main(["token", "revoke", "999"]) == 2
