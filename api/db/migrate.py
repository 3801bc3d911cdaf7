"""Bring a database to the current schema with Alembic, or refuse it with a clear reason."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from scheduler.errors import FieldrouteError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseRevisionError(FieldrouteError):
    """The database is not one this version of fieldroute can use."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> str:
    """Upgrade ``engine``'s database to the newest revision; returns that revision.

    An empty database is created from scratch; a database at an older known revision is
    upgraded. Raises ``DatabaseRevisionError`` for a revision this code does not know (a
    newer fieldroute wrote it) or for tables that are not fieldroute's.
    """
    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if current is None:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        if tables:
            raise DatabaseRevisionError(
                f"database {url} has tables ({', '.join(sorted(tables)[:5])}) but no fieldroute "
                "revision: it is not a fieldroute database; point DATABASE_URL at an empty "
                "database or a fieldroute one"
            )
    elif current not in {r.revision for r in script.walk_revisions()}:
        raise DatabaseRevisionError(
            f"database {url} is at revision {current!r}, which this fieldroute does not know "
            f"(its newest is {head!r}); it was probably written by a newer fieldroute: "
            "upgrade fieldroute, or point DATABASE_URL at another database"
        )
    if current != head:
        command.upgrade(config, "head")
    assert head is not None
    return head
