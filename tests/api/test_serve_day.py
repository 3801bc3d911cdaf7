"""``fieldroute serve --day DIR``: a day planned by the command line becomes the service's
own (rows and a published plan), once, with a sign-in link per role."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.auth import principal_for
from api.db.engine import make_engine, make_sessionmaker
from api.db.models import Engineer, PlanJob, ServiceCentre, Visit
from api.serve_day import DayServeError, prepare_day, road_network_of
from fieldroute.cli import main
from scheduler.formats import load_problem
from tests.paths import SMALL_DAY


@pytest.fixture(scope="module")
def day_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example day planned on straight-line estimates: problem.json and plan.json."""
    out = tmp_path_factory.mktemp("day")
    shutil.copy(SMALL_DAY, out / "problem.json")
    argv = ["solve", str(out / "problem.json"), "--out", str(out / "plan.json")]
    assert main([*argv, "--haversine", "--iterations", "2000", "--quiet"]) == 0
    return out


def test_serve_day_stores_the_day_published_once_and_makes_a_link_per_role(
    day_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'board.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("FIELDROUTE_ROAD_NETWORK", raising=False)
    links = prepare_day(day_dir, "http://127.0.0.1:8000")
    again = prepare_day(day_dir, "http://127.0.0.1:8000")  # the day is stored once
    problem = load_problem(day_dir / "problem.json")
    plan = json.loads((day_dir / "plan.json").read_text())
    assert [link.role for link in links] == ["dispatcher", "planner", "engineer"]
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(PlanJob)) == 1
        row = session.scalars(select(PlanJob)).one()
        assert row.published_at is not None and row.result == plan
        assert session.scalar(select(func.count()).select_from(Visit)) == len(problem.visits)
        assert session.scalar(select(func.count()).select_from(Engineer)) == len(problem.engineers)
        centre = session.get(ServiceCentre, "sc-kamppi")
        assert centre is not None and centre.timezone == "Europe/Helsinki"
        for link in [*links, *again]:
            token = link.url.split("#token=")[1]
            principal = principal_for(session, token)
            assert principal is not None and principal.role.value == link.role
        served = {s["visit_id"]: r["engineer_id"] for r in plan["routes"] for s in r["stops"]}
        visit = session.get(Visit, next(iter(served)))
        assert visit is not None
        assert visit.service_centre_id == "sc-kamppi" and visit.time_windows[0]["start"]
    engine.dispose()


def test_serve_day_refuses_a_folder_without_a_plan(tmp_path: Path) -> None:
    with pytest.raises(DayServeError, match=r"plan.json is missing"):
        (tmp_path / "problem.json").write_text(SMALL_DAY.read_text())
        prepare_day(tmp_path, "http://127.0.0.1:8000")


def test_the_road_network_is_read_from_the_plans_travel_times(tmp_path: Path) -> None:
    pbf = tmp_path / "area.osm.pbf"
    pbf.write_bytes(b"")
    assert road_network_of(f"road-network {pbf} (© OpenStreetMap contributors)") == str(pbf)
    assert road_network_of("road-network /nowhere.osm.pbf (x)") is None
    assert road_network_of("haversine-estimate") is None
    assert road_network_of(None) is None
