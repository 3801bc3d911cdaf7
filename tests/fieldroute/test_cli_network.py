"""``fieldroute solve --network``: plans on road times offline, writes GeoJSON, and turns
network problems into exit status 2 with one clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldroute.cli import EXIT_BAD_INPUT, EXIT_OK, main
from scheduler.formats import load_problem, plan_from_json
from scheduler.network import MatrixCache, RoadNetwork, bundled_pbf, load_network
from scheduler.travel import travel_time_matrix_for
from scheduler.validate import validate
from tests.paths import SMALL_DAY

EXAMPLE = SMALL_DAY


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the CLI's matrix cache out of the user's home directory."""
    path = tmp_path / "cache"
    monkeypatch.setenv("FIELDROUTE_CACHE_DIR", str(path))
    return path


def test_solve_on_bundled_helsinki_roads_end_to_end(tmp_path: Path, cache_dir: Path) -> None:
    out, geo = tmp_path / "plan.json", tmp_path / "plan.geojson"
    argv = ["solve", str(EXAMPLE), "--network", str(bundled_pbf()), "--max-snap", "1100"]
    argv += ["--out", str(out), "--geojson", str(geo), "--solution-limit", "100", "--quiet"]
    assert main(argv) == EXIT_OK
    problem = load_problem(EXAMPLE)
    network = load_network(bundled_pbf())
    road = RoadNetwork(network, max_snap_m=1100)
    matrix, source = travel_time_matrix_for(problem, road)
    assert (matrix != travel_time_matrix_for(problem)[0]).any()  # not the haversine estimate
    document = json.loads(out.read_text())
    assert document["travel_times"] == source
    assert "© OpenStreetMap contributors" in source
    assert validate(problem, plan_from_json(problem, out.read_text()), matrix) == []
    assert list(cache_dir.glob("matrices/matrix-*.npz"))
    collection = json.loads(geo.read_text())
    assert collection["properties"]["attribution"] == "© OpenStreetMap contributors"
    served = {s["visit_id"] for r in document["routes"] for s in r["stops"]}
    stops = {
        f["properties"]["visit_id"] for f in collection["features"] if "visit_id" in f["properties"]
    }
    assert stops == served


def test_location_off_the_network_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default 500 m limit the example's northern addresses are off the extract."""
    out = tmp_path / "plan.json"
    code = main(["solve", str(EXAMPLE), "--network", "bundled", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "'topeliuksenkatu-5' is 1,028 m away" in err and "--max-snap" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_offline_place_exits_2_with_the_offline_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    out = tmp_path / "plan.json"
    code = main(["solve", str(EXAMPLE), "--network", "place:Helsinki", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.startswith("fieldroute: error: ") and "bundled" in err and ".osm.pbf" in err


def test_explicit_matrix_wins_over_the_network(tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE.read_text())
    n = len(doc["locations"])
    doc["travel_time_matrix"] = [[0 if i == j else 600 for j in range(n)] for i in range(n)]
    problem_path = tmp_path / "problem.json"
    problem_path.write_text(json.dumps(doc))
    out = tmp_path / "plan.json"
    argv = ["solve", str(problem_path), "--network", "bundled", "--out", str(out)]
    assert main([*argv, "--solution-limit", "20", "--quiet"]) == EXIT_OK
    assert json.loads(out.read_text())["travel_times"] == "explicit"


def test_network_and_haversine_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["solve", str(EXAMPLE), "--out", "x.json", "--network", "bundled", "--haversine"])
    assert info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_cache_is_a_matrix_cache_under_the_env_dir(cache_dir: Path) -> None:
    from scheduler.network import default_cache_dir

    assert default_cache_dir() == cache_dir
    assert MatrixCache(default_cache_dir()).directory == cache_dir


def test_speed_overrides_reach_the_road_times_and_their_own_cache_file(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--speed unclassified=5 (the only untagged roads of central Helsinki) slows those
    roads, so the graph has a new fingerprint and its matrices a new cache file; the snap
    summary names the location farthest from a road."""
    argv = ["solve", str(EXAMPLE), "--network", "bundled", "--max-snap", "1100"]
    argv += ["--solution-limit", "20", "--out", str(tmp_path / "plan.json")]
    assert main([*argv, "--quiet"]) == EXIT_OK
    default_files = set(cache_dir.glob("matrices/matrix-*.npz"))
    assert main([*argv, "--speed", "unclassified=5"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "14 location(s) snapped to the road network: mean" in err
    assert "max 1,028 m ('topeliuksenkatu-5')" in err
    slow = load_network("bundled", speeds_kph={"unclassified": 5})
    assert slow.fingerprint != load_network("bundled").fingerprint
    assert {p.name for p in set(cache_dir.glob("matrices/*.npz")) - default_files} == {
        f"matrix-v2-{slow.fingerprint}.npz"
    }
    untagged = [d for *_, d in slow.graph.edges(data=True) if d.get("maxspeed") is None]
    assert untagged and {d["speed_kph"] for d in untagged} == {5}


@pytest.mark.parametrize(
    ("speed", "says"),
    [
        ("residential", "expected HIGHWAY=KPH"),
        ("residential=-3", "expected HIGHWAY=KPH"),
        ("residental=25", "'residental': no road of that type"),
    ],
)
def test_bad_speed_exits_2_saying_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], speed: str, says: str
) -> None:
    argv = ["solve", str(EXAMPLE), "--network", "bundled", "--max-snap", "1100"]
    code = main([*argv, "--speed", speed, "--out", str(tmp_path / "p.json"), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.startswith("fieldroute: error: ") and says in err and "Traceback" not in err


def test_speed_without_a_network_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["solve", str(EXAMPLE), "--speed", "residential=25", "--out", str(tmp_path / "p")])
    assert code == EXIT_BAD_INPUT
    assert "--speed changes road speeds: it needs --network" in capsys.readouterr().err
