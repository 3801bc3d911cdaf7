"""``fieldroute serve --day DIR``: open the board on a day planned by ``fieldroute demo``.

Reads ``problem.json`` and ``plan.json`` from ``DIR``, stores the day and its plan
(published) in the database (``DIR/board.db`` unless ``DATABASE_URL`` says otherwise) the
first time, serves on the road network the plan was made on (unless
``FIELDROUTE_ROAD_NETWORK`` says otherwise), and prints a sign-in link for a dispatcher, a
planner and an engineer of the day (new tokens, shown only now).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.errors import InputFormatError

__all__ = ["DayServeError", "SignIn", "prepare_day", "road_network_of"]


class DayServeError(Exception):
    """The day cannot be served (missing files, a plan of another day); says what to do."""


@dataclass(frozen=True, slots=True)
class SignIn:
    """A sign-in link for one role (and engineer)."""

    role: str
    who: str
    url: str


def road_network_of(travel_times: str | None) -> str | None:
    """The network file a plan's travel times came from (``road-network PATH (...)``), if it
    is still there."""
    prefix = "road-network "
    if not travel_times or not travel_times.startswith(prefix):
        return None
    source = travel_times[len(prefix) :].rsplit(" (", 1)[0]
    return source if Path(source).is_file() else None


def _read(day_dir: Path) -> tuple[Any, dict[str, Any]]:
    from scheduler.formats import problem_from_json

    files = {name: day_dir / name for name in ("problem.json", "plan.json")}
    for name, path in files.items():
        if not path.is_file():
            raise DayServeError(
                f"{path} is missing: --day takes the folder 'fieldroute demo --out DIR' wrote "
                f"({name} and plan.json in it)"
            )
    try:
        problem = problem_from_json(files["problem.json"].read_text(encoding="utf-8"))
        document = json.loads(files["plan.json"].read_text(encoding="utf-8"))
    except (InputFormatError, ValueError) as e:
        raise DayServeError(f"{day_dir}: {e}") from None
    return problem, document


def prepare_day(day_dir: Path, base_url: str) -> list[SignIn]:
    """Point this process's settings at the day (environment variables, so that every
    server process sees them), store the day once, and make one token per role."""
    problem, document = _read(day_dir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{day_dir.resolve() / 'board.db'}")
    network = road_network_of(document.get("travel_times"))
    if network is not None:
        os.environ.setdefault("FIELDROUTE_ROAD_NETWORK", network)

    from api.auth import Role, create_token
    from api.config import Settings
    from api.db.engine import make_engine, make_sessionmaker
    from api.db.migrate import migrate
    from api.store.solved_day import DayStoredError, store_solved_day

    engine = make_engine(Settings().database_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            try:
                plan_id: int | None = store_solved_day(session, problem, document)
                session.commit()
            except DayStoredError as e:
                session.rollback()
                if e.plan_id is None:
                    raise DayServeError(
                        f"{e}, with no plan published for {problem.date}: serve another "
                        "database (DATABASE_URL) or delete it"
                    ) from None
                plan_id = e.plan_id
            except InputFormatError as e:
                raise DayServeError(f"{day_dir}/plan.json: {e}") from None
            engineer = next((r["engineer_id"] for r in document["routes"] if r["stops"]), None)
            names = {e.id: e.name for e in problem.engineers}
            links = []
            for role, who in (
                (Role.DISPATCHER, "dispatcher"),
                (Role.PLANNER, "planner"),
                *(
                    [(Role.ENGINEER, f"engineer {engineer} ({names[engineer]})")]
                    if engineer
                    else []
                ),
            ):
                token = create_token(
                    session,
                    role,
                    engineer_id=engineer if role is Role.ENGINEER else None,
                    name=f"serve --day {day_dir}",
                )
                links.append(SignIn(role.value, who, f"{base_url}/#token={token}"))
            session.commit()
    finally:
        engine.dispose()
    print(
        f"The board on {problem.date.isoformat()} (plan {plan_id}, published): open a link "
        "below in a browser (each is a new token, shown only now)",
        file=sys.stderr,
    )
    return links
