"""``fieldroute demo`` end to end at the ``small`` size on the bundled Helsinki network."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from fieldroute.browser import drawn_lines, find_browser, rendered_dom, rgb
from fieldroute.cli import main
from fieldroute.demo import DemoResult, run_demo
from fieldroute.mapview import PALETTE, ROAD_COLOUR
from scheduler.formats import plan_from_json, problem_from_json
from scheduler.network import OSM_ATTRIBUTION, RoadNetwork, load_network
from scheduler.report import format_kpis
from scheduler.validate import validate


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    out = tmp_path_factory.mktemp("demo")
    return run_demo(
        out=out, network_source="bundled", size="small", seed=3, time_limit=10, solution_limit=150
    )


def test_demo_writes_every_file(demo: DemoResult) -> None:
    names = {"problem.json", "plan.json", "stops.csv", "plan.geojson", "map.html"}
    assert set(demo.files) == names
    for path in demo.files.values():
        assert path.is_file() and path.stat().st_size > 0, path


def test_written_plan_passes_the_validator_on_recomputed_road_times(demo: DemoResult) -> None:
    problem = problem_from_json(demo.files["problem.json"].read_text())
    plan = plan_from_json(problem, demo.files["plan.json"].read_text())
    assert problem == demo.problem
    matrix = RoadNetwork(load_network("bundled")).matrix(problem.locations)
    assert validate(problem, plan, matrix) == []
    served = sum(len(r.stops) for r in plan.routes)
    assert served > 0
    assert {u.visit_id for u in plan.unassigned} | {
        s.visit_id for r in plan.routes for s in r.stops
    } == {v.id for v in problem.visits}


def test_the_generated_day_has_a_staffed_event_and_most_visits_served(demo: DemoResult) -> None:
    assert demo.kpis.events_total >= 1
    assert demo.kpis.visits_served >= 0.8 * demo.kpis.visits_total


def test_stops_csv_lists_every_stop_in_route_order(demo: DemoResult) -> None:
    with demo.files["stops.csv"].open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = [
        (r.engineer_id, str(n), s.visit_id)
        for r in demo.plan.routes
        for n, s in enumerate(r.stops, start=1)
    ]
    assert [(row["engineer_id"], row["sequence"], row["visit_id"]) for row in rows] == expected
    assert all(row["arrival"] <= row["start"] < row["end"] for row in rows)


def test_geojson_and_map_carry_the_osm_attribution(demo: DemoResult) -> None:
    collection = json.loads(demo.files["plan.geojson"].read_text())
    assert collection["properties"]["attribution"] == OSM_ATTRIBUTION
    page = demo.files["map.html"].read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in page
    for route in demo.plan.routes:
        if route.stops:
            assert demo.problem.engineer(route.engineer_id).name in page


def test_kpi_table_explains_the_day(demo: DemoResult) -> None:
    table = format_kpis(demo.problem, demo.plan, demo.kpis)
    assert f"({demo.kpis.visits_served}/{demo.kpis.visits_total} served)" in table
    assert f"{demo.kpis.events_held} of {demo.kpis.events_total} held" in table
    for u in demo.plan.unassigned:
        assert f"{u.visit_id}: {u.reason.value}" in table
    for e in demo.problem.engineers:
        assert e.name[:24] in table


def _browser_or_skip() -> None:
    if find_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the map in a browser: apt-get install chromium")
        pytest.skip("no headless chromium here (apt-get install chromium)")


def test_map_draws_every_route_along_the_roads_in_a_real_browser(demo: DemoResult) -> None:
    _browser_or_skip()
    lines = drawn_lines(rendered_dom(demo.files["map.html"]))
    by_colour: dict[str, int] = {}
    for line in lines:
        by_colour[line.colour] = max(by_colour.get(line.colour, 0), line.points)
    assert by_colour.get(rgb(ROAD_COLOUR), 0) >= 2, "the road base layer was not drawn"
    active = [r for r in demo.plan.routes if r.stops]
    assert active
    for n, route in enumerate(active):
        colour = rgb(PALETTE[n % len(PALETTE)])
        # A route along the roads bends: many more points than its stops.
        assert by_colour.get(colour, 0) > len(route.stops) + 1, route.engineer_id


def test_cli_demo_plans_liechtenstein_by_default_and_says_how_to_open_the_board(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out).mkdir()
    (out / "board.db").write_text("an earlier day's board")
    argv = ["demo", "--size", "small", "--iterations", "300", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    problem = problem_from_json((out / "problem.json").read_text())
    assert problem.timezone == "Europe/Vaduz"  # the packaged Liechtenstein extract
    assert "liechtenstein.osm.pbf" in json.loads((out / "plan.json").read_text())["travel_times"]
    printed = capsys.readouterr().out
    assert f"serve --day {out}" in printed.splitlines()[-2]
    assert not (out / "board.db").exists()  # an earlier day's board is not served with it


def test_cli_demo_rejects_a_missing_network_file_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    code = main(["demo", "--network", str(missing), "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "nowhere.osm.pbf" in err
    assert "Traceback" not in err
