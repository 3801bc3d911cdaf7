"""Outreach-day simulation: scenarios, demand, replications, summaries, executors, CLI."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from fieldroute.cli import main
from scheduler.domain import SolveOptions
from scheduler.errors import InputFormatError
from scheduler.simulate import (
    InlineExecutor,
    ProcessExecutor,
    run,
    run_many,
    scenario_from_dict,
    summarise,
)
from scheduler.simulate.day import build_day, event_coverage
from scheduler.simulate.demand import Area, fit_rates
from scheduler.simulate.regional import split_by_centre
from scheduler.simulate.run import replicate
from tests.paths import ROOT

# A small day in central Helsinki on straight-line travel times: 3 engineers, one event
# needing 2 of them, about 8 home visits; few solutions per solve keep it fast.
SMALL: dict[str, Any] = {
    "name": "small",
    "date": "2026-12-04",
    "seed": 7,
    "service_centres": [{"id": "hq", "lat": 60.1699, "lon": 24.9440}],
    "engineers": [
        {
            "id": "tech",
            "service_centre": "hq",
            "count": 3,
            "shift_start": "08:00",
            "shift_end": "16:00",
            "skills": ["repair"],
            "overtime_max_min": 30,
        }
    ],
    "events": [
        {
            "id": "square",
            "lat": 60.1725,
            "lon": 24.9520,
            "start_window": {"earliest": "10:00", "latest": "11:00"},
            "duration_min": 120,
            "engineers_required": 2,
        }
    ],
    "demand": {
        "areas": [
            {"id": "north", "lat": 60.1760, "lon": 24.9400, "radius_m": 600},
            {"id": "south", "lat": 60.1640, "lon": 24.9450, "radius_m": 600},
        ],
        "job_types": [
            {"id": "setup", "duration_min": 45, "priority": 3},
            {"id": "repair", "duration_min": 40, "skills": ["repair"], "priority": 2},
        ],
        "rates": [
            {"area": "north", "job_type": "setup", "visits_per_day": 2.5},
            {"area": "south", "job_type": "setup", "visits_per_day": 2.5},
            {"area": "south", "job_type": "repair", "visits_per_day": 3},
        ],
    },
    "solver": {"solution_limit": 8, "time_limit_s": 30},
}


def small(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SMALL)
    doc.update(changes)
    return doc


# ------------------------------------------------------------------ scenarios


def test_scenario_maps_file_fields_to_seconds_and_engineer_ids() -> None:
    s = scenario_from_dict(small())
    assert [g.engineer_ids() for g in s.engineers] == [("tech-1", "tech-2", "tech-3")]
    assert s.engineers[0].shift_start == 8 * 3600
    ev = s.events[0]
    assert (ev.start.start, ev.start.end, ev.duration) == (10 * 3600, 11 * 3600, 7200)
    assert ev.engineer_hours == 4.0
    assert s.demand.mean_visits_per_day == 8.0


def test_the_processes_a_solve_may_run_reach_every_replication_and_centre() -> None:
    """``solver.workers`` is the machine's setting (the service sets it): it is not in the
    scenario file, defaults to the solve options' default and reaches each day's options."""
    s = scenario_from_dict(small(plan_per_centre=True))
    assert s.solver.workers == SolveOptions().workers
    one = dataclasses.replace(s, solver=dataclasses.replace(s.solver, workers=1))
    day = build_day(one, 0)
    assert day.problem.options.workers == 1
    assert {p.options.workers for p, _ in split_by_centre(day.problem, day.matrix).values()} == {1}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"colour": "red"}, "colour"),
        ({"engineers": []}, "engineers"),
        ({"policy": {"events": "sometimes"}}, "policy.events"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputFormatError) as e:
        scenario_from_dict(small(**change))
    assert expected in str(e.value)


def test_event_needs_exactly_one_of_start_and_window() -> None:
    doc = small()
    doc["events"][0]["start"] = "10:00"
    with pytest.raises(InputFormatError, match=r"event 'square'.*exactly one of start"):
        scenario_from_dict(doc)


def test_bad_clock_time_and_unknown_centre_are_explained() -> None:
    doc = small()
    doc["engineers"][0]["shift_end"] = "25:00"
    with pytest.raises(InputFormatError, match=r"engineers\.0\.shift_end.*HH:MM"):
        scenario_from_dict(doc)
    doc = small()
    doc["engineers"][0]["service_centre"] = "nowhere"
    with pytest.raises(InputFormatError, match=r"'nowhere'.*not one of the service centres"):
        scenario_from_dict(doc)


def test_event_needing_more_engineers_than_exist_is_refused() -> None:
    doc = small()
    doc["events"][0]["engineers_required"] = 4
    with pytest.raises(InputFormatError, match="more than the 3 engineers"):
        scenario_from_dict(doc)


def test_rate_for_unknown_area_is_refused() -> None:
    doc = small()
    doc["demand"]["rates"][0]["area"] = "east"
    with pytest.raises(InputFormatError, match=r"'east'.*not one of the areas"):
        scenario_from_dict(doc)


def test_scenario_files_json_and_yaml_load_the_same(tmp_path: Path) -> None:
    from scheduler.simulate import load_scenario

    (tmp_path / "a.json").write_text(json.dumps(SMALL))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(SMALL))
    assert load_scenario(tmp_path / "a.json") == load_scenario(tmp_path / "a.yaml")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("s.yaml", "name: [unclosed", "not valid YAML"),
        ("s.json", "{", "not valid JSON"),
        ("s.yaml", "- just\n- a list\n", "mapping of fields"),
        ("s.txt", "{}", "must end in .json, .yaml or .yml"),
    ],
)
def test_unreadable_scenario_files_are_explained(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    from scheduler.simulate import load_scenario

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputFormatError, match=expected):
        load_scenario(path)


def test_the_example_pair_loads_and_shares_its_days() -> None:
    from scheduler.simulate import load_scenario

    root = ROOT / "examples"
    one = load_scenario(root / "outreach_one_event.yaml")
    two = load_scenario(root / "outreach_two_events.yaml")
    assert (len(one.events), len(two.events)) == (1, 2)
    assert one.network == two.network == "bundled"
    # Same seed and demand: replication i of both plans the same day (paired comparison).
    assert one.seed == two.seed and one.demand == two.demand


# ------------------------------------------------------------------ demand


def test_poisson_counts_average_the_rate_and_visits_stay_in_their_area() -> None:
    s = scenario_from_dict(small())
    rng = np.random.default_rng(1)
    days = [s.demand.sample(rng) for _ in range(400)]
    counts = [sum(1 for v in d if v.area == "south" and v.job_type == "repair") for d in days]
    # Poisson(3) over 400 days: the mean's standard error is sqrt(3/400) ~ 0.087.
    assert abs(np.mean(counts) - 3.0) < 0.3
    assert abs(np.var(counts) - 3.0) < 0.6
    south = s.demand.areas[1]
    for v in days[0]:
        if v.area == "south":
            dlat = (v.lat - south.lat) * 111_195
            dlon = (v.lon - south.lon) * 111_195 * math.cos(math.radians(south.lat))
            assert math.hypot(dlat, dlon) <= south.radius_m + 1
        assert s.demand.day.start <= v.window.start < v.window.end <= s.demand.day.end


def test_fit_rates_divides_counts_by_days_seen(tmp_path: Path) -> None:
    areas = [Area("north", 60.1760, 24.9400, 600), Area("south", 60.1640, 24.9450, 600)]
    visits = pd.DataFrame(
        {
            "date": ["2026-11-02"] * 3 + ["2026-11-03"] * 2,
            "lat": [60.1761, 60.1759, 60.1641, 60.1762, 60.1642],
            "lon": [24.9401, 24.9399, 24.9451, 24.9402, 24.9449],
            "job_type": ["setup", "setup", "repair", "setup", "repair"],
        }
    )
    rates = {(r.area, r.job_type): r.visits_per_day for r in fit_rates(visits, areas)}
    assert rates == {("north", "setup"): 1.5, ("south", "repair"): 1.0}
    far = visits.assign(lat=[60.1761, 60.1759, 60.1641, 60.1762, 60.30])
    with pytest.raises(InputFormatError, match=r"row 5 .* is in no area"):
        fit_rates(far, areas)


def test_scenario_fits_demand_from_past_days_visits_csv_files(tmp_path: Path) -> None:
    from scheduler.simulate import load_scenario

    header = "id,lat,lon,duration_min,job_type,priority,required_skills\n"
    past = tmp_path / "past"
    for day, rows in {
        "2026-11-02": ["a,60.1761,24.9401,45,setup,3,", "b,60.1641,24.9451,40,repair,2,repair"],
        "2026-11-03": ["c,60.1642,24.9449,50,repair,2,repair"],
        "2026-11-04": ["d,60.1643,24.9450,30,repair,1,repair"],
    }.items():
        (past / day).mkdir(parents=True)
        (past / day / "visits.csv").write_text(header + "\n".join(rows) + "\n")
    doc = small()
    doc["demand"] = {**doc["demand"], "rates": [], "job_types": []}
    doc["demand"]["fit"] = {"days": ["past/*/visits.csv"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    s = load_scenario(tmp_path / "s.yaml")
    rates = {(r.area, r.job_type): r.visits_per_day for r in s.demand.rates}
    assert rates == {("north", "setup"): 1 / 3, ("south", "repair"): 1.0}
    repair = {j.id: j for j in s.demand.job_types}["repair"]
    assert (repair.duration, repair.priority, repair.skills) == (40 * 60, 2, frozenset({"repair"}))
    doc["demand"]["fit"] = {"days": ["past/*/nothing.csv"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputFormatError, match="matches no file"):
        load_scenario(tmp_path / "s.yaml")


# ------------------------------------------------------------------ replications


def test_same_seed_same_numbers_other_seed_other_demand() -> None:
    s = scenario_from_dict(small())
    a = run(s, replications=3)
    b = run(s, replications=3)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    other = run(scenario_from_dict(small(seed=8)), replications=3)
    assert list(a.replications["home_demand"]) != list(other.replications["home_demand"])
    # Each replication has its own demand (not one day repeated).
    assert len({tuple(v.id for v in build_day(s, i).demand) for i in range(3)}) == 3


def test_a_replication_does_not_depend_on_the_others_or_their_order() -> None:
    s = scenario_from_dict(small())
    whole = run(s, replications=3).replications
    alone = replicate((s, 2, None))
    for metric, value in alone.figures.items():
        assert whole.loc[2, metric] == value, metric


def test_kpis_add_up_and_the_mandatory_event_is_held() -> None:
    r = run(scenario_from_dict(small()), replications=3)
    reps = r.replications
    assert (reps["home_served"] + reps["home_deferred"] == reps["home_demand"]).all()
    served = reps[[f"served_p{p}" for p in range(1, 6)]].sum(axis=1)
    assert (served == reps["home_served"]).all()
    assert (reps["events_held"] == 1).all()
    assert (reps["event_engineers"] == 2).all()
    assert (reps["event_engineer_hours"] == 4.0).all()
    # No road network: coverage cannot be measured, and says so with NaN, not 0.
    assert reps["residents_covered"].isna().all()
    assert r.summary.loc["events_held", "mean"] == 1.0


def test_optional_low_priority_event_gives_way_to_a_full_day_of_home_visits() -> None:
    doc = small()
    for rate in doc["demand"]["rates"]:
        rate["visits_per_day"] *= 6  # about 50 visits for 3 engineers: more than fits
    doc["events"][0]["priority"] = 5
    held = run(scenario_from_dict({**doc, "policy": {"events": "mandatory"}}), 1).replications
    given_way = run(scenario_from_dict({**doc, "policy": {"events": "optional"}}), 1).replications
    assert held.loc[0, "events_held"] == 1 and given_way.loc[0, "events_held"] == 0
    assert int(given_way["home_deferred"].iloc[0]) < int(held["home_deferred"].iloc[0])


def test_plan_per_centre_splits_engineers_and_visits_between_centres() -> None:
    doc = small(plan_per_centre=True)
    doc["service_centres"].append({"id": "west", "lat": 60.1680, "lon": 24.9300})
    doc["engineers"].append(
        {"id": "west-tech", "service_centre": "west", "count": 2, "skills": ["repair"]}
    )
    s = scenario_from_dict(doc)
    split = run(s, replications=2)
    together = run(scenario_from_dict({**doc, "plan_per_centre": False}), replications=2)
    # Same demand either way; every visit is either served or deferred in some centre.
    assert list(split.replications["home_demand"]) == list(together.replications["home_demand"])
    reps = split.replications
    assert (reps["home_served"] + reps["home_deferred"] == reps["home_demand"]).all()


def test_regional_plans_one_solve_per_centre_through_an_executor() -> None:
    from scheduler.simulate.regional import solve_by_centre
    from scheduler.validate import validate

    doc = small()
    doc["service_centres"].append({"id": "west", "lat": 60.1680, "lon": 24.9300})
    doc["engineers"].append({"id": "w", "service_centre": "west", "count": 2})
    day = build_day(scenario_from_dict(doc), 0)
    with ProcessExecutor(2) as pool:
        parts = solve_by_centre(day.problem, day.matrix, pool)
    assert list(parts) == ["hq", "west"]
    assert {e.id for e in parts["west"][0].engineers} == {"w-1", "w-2"}
    # Every visit is planned in exactly one centre; the repair jobs only where repairers are.
    ids = [v.id for part, _ in parts.values() for v in part.visits]
    assert sorted(ids) == sorted(v.id for v in day.problem.visits)
    assert all(not v.required_skills for v in parts["west"][0].visits)
    inline = solve_by_centre(day.problem, day.matrix)
    for cid, (part, plan) in parts.items():
        assert plan.routes == inline[cid][1].routes
        index = day.problem.location_index()
        rows = [index[loc.id] for loc in part.locations]
        assert validate(part, plan, day.matrix[np.ix_(rows, rows)]) == []


def test_summary_mean_and_t_interval_on_a_known_sample() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [2.0, 2.0, 2.0, 2.0, 2.0]})
    out = summarise(frame, ["x", "y"])
    # mean 3, sample sd sqrt(2.5), t(0.975, 4) = 2.7764451: half width 1.9632...
    assert out.loc["x", "mean"] == 3.0
    assert out.loc["x", "std"] == pytest.approx(math.sqrt(2.5))
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert out.loc["x", "ci_low"] == pytest.approx(3.0 - half)
    assert out.loc["x", "ci_high"] == pytest.approx(3.0 + half)
    assert (out.loc["y", "ci_low"], out.loc["y", "ci_high"]) == (2.0, 2.0)
    one = summarise(pd.DataFrame({"x": [4.0]}), ["x"])
    assert one.loc["x", "mean"] == 4.0 and math.isnan(float(one["ci_low"].iloc[0]))


def test_differences_are_paired_on_common_random_numbers_else_welch() -> None:
    from scheduler.simulate.compare import differences

    scenarios = [
        scenario_from_dict(small()),
        scenario_from_dict(small(name="no-event", events=[])),
        scenario_from_dict(small(name="other-days", seed=99)),
    ]
    results = run_many(scenarios, 3)
    d = differences(results).set_index(["scenario", "metric"])
    assert d.loc[("no-event", "events_held"), "method"] == "paired"
    assert d.loc[("no-event", "events_held"), "difference"] == -1.0
    # The same event hours left out on every day: no spread, so a zero-width interval.
    hours = ("no-event", "event_engineer_hours")
    assert [d.loc[hours, c] for c in ("difference", "ci_low", "ci_high")] == [-4.0] * 3
    served = results[1].replications["home_served"] - results[0].replications["home_served"]
    assert d.loc[("no-event", "home_served"), "difference"] == pytest.approx(served.mean())
    assert d.loc[("other-days", "home_served"), "method"] == "welch"


# ------------------------------------------------------------------ executors


def test_process_pool_and_dask_give_the_same_numbers_as_inline() -> None:
    from distributed import Client, LocalCluster

    from scheduler.simulate import DaskExecutor

    scenarios = [scenario_from_dict(small()), scenario_from_dict(small(name="other", seed=3))]
    inline = run_many(scenarios, 2, InlineExecutor())
    heard: list[tuple[int, int]] = []
    with ProcessExecutor(2) as pool:
        pooled = run_many(scenarios, 2, pool, lambda done, total: heard.append((done, total)))
    assert heard == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        dasked = run_many(scenarios, 2, DaskExecutor(client))
    for a, b, c in zip(inline, pooled, dasked, strict=True):
        pd.testing.assert_frame_equal(a.replications, b.replications)
        pd.testing.assert_frame_equal(a.replications, c.replications)
        pd.testing.assert_frame_equal(a.summary, c.summary)


def test_unreachable_dask_scheduler_is_a_clear_error() -> None:
    from scheduler.errors import ProblemError
    from scheduler.simulate import DaskExecutor

    with pytest.raises(ProblemError, match=r"--dask.*cannot reach a Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=1)


# ------------------------------------------------------------------ coverage on roads


def test_on_the_road_network_residents_covered_are_those_of_the_events_held() -> None:
    doc = small(network="bundled", coverage={"minutes": 2, "mode": "drive"})
    s = scenario_from_dict(doc)
    r = run(s, replications=1)
    reach = event_coverage(s)
    assert r.replications.loc[0, "events_held_ids"] == "square"
    assert r.replications.loc[0, "residents_covered"] == reach.unique_residents(["square"]) > 0
    assert r.events.loc[0, "residents_reached"] == reach.event("square").residents


def test_selected_policy_holds_the_events_reaching_most_residents_within_budget() -> None:
    doc = small(network="bundled", coverage={"minutes": 2, "mode": "drive"})
    doc["engineers"][0]["count"] = 4
    doc["events"] = [
        {"id": "kruununhaka", "lat": 60.1725, "lon": 24.9520, "start": "10:00"},
        {"id": "kaartinkaupunki", "lat": 60.1660, "lon": 24.9465, "start": "10:00"},
    ]
    for e in doc["events"]:
        e.update(duration_min=120, engineers_required=2)
    doc["policy"] = {"events": "selected", "budget_hours": 4}
    s = scenario_from_dict(doc)
    reach = {e.event_id: e.residents for e in event_coverage(s).events}
    best = max(reach, key=lambda e: reach[e])
    one = run(s, replications=2).replications
    assert list(one["events_held_ids"]) == [best, best]
    assert (one["residents_covered"] == reach[best]).all()
    doc["policy"] = {"events": "selected", "budget_hours": 8}
    both = run(scenario_from_dict(doc), replications=2).replications
    assert (both["events_held"] == 2).all()
    assert (both["residents_covered"] >= one["residents_covered"]).all()


def test_selected_policy_without_candidates_plans_the_home_visits() -> None:
    doc = small(network="bundled", events=[], policy={"events": "selected", "budget_hours": 4})
    reps = run(scenario_from_dict(doc), 1).replications
    row = reps.iloc[0].to_dict()
    assert row["events_held"] == 0 and row["residents_covered"] == 0.0
    assert row["home_served"] == row["home_demand"]


def test_selected_policy_needs_a_road_network() -> None:
    with pytest.raises(InputFormatError, match=r"selected.*name a road network"):
        scenario_from_dict(small(policy={"events": "selected"}))


# ------------------------------------------------------------------ command line


def test_cli_simulates_two_scenarios_and_writes_tables_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(SMALL))
    (tmp_path / "b.json").write_text(json.dumps(small(name="no-event", events=[])))
    out = tmp_path / "out"
    argv = ["simulate", str(tmp_path / "a.yaml"), str(tmp_path / "b.json")]
    code = main([*argv, "--out", str(out), "--replications", "2", "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {"small", "no-event"}
    held = summary.set_index(["scenario", "metric"])["mean"]
    assert held["small", "events_held"] == 1 and held["no-event", "events_held"] == 0
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == 4
    files = ("comparison.csv", "differences.csv", "events.csv", "served_vs_coverage.png")
    for name in (*files, "distributions.png"):
        assert (out / name).stat().st_size > 0
    assert "events_held" in capsys.readouterr().out


def test_cli_on_a_dask_scheduler_writes_the_same_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from distributed import LocalCluster

    (tmp_path / "a.yaml").write_text(yaml.safe_dump(SMALL))
    base = ["simulate", str(tmp_path / "a.yaml"), "--replications", "2", "--quiet"]
    assert main([*base, "--out", str(tmp_path / "local"), "--workers", "1"]) == 0
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert main([*base, "--out", str(tmp_path / "dask"), "--dask", address]) == 0
    local = pd.read_csv(tmp_path / "local" / "replications.csv")
    pd.testing.assert_frame_equal(local, pd.read_csv(tmp_path / "dask" / "replications.csv"))


def test_cli_refuses_two_scenarios_of_one_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(SMALL))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(SMALL))
    argv = ["simulate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--out", "o"]
    assert main(argv) == 2
    assert "both named 'small'" in capsys.readouterr().err


def test_cli_bad_scenario_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = small()
    doc["events"][0]["duration_min"] = -5
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    code = main(["simulate", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "events.0.duration_min = -5" in err and "Traceback" not in err
    assert main(["simulate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(SMALL))
    code = main(
        ["simulate", str(tmp_path / "good.yaml"), "--out", str(tmp_path), "--replications", "0"]
    )
    assert code == 2 and "--replications" in capsys.readouterr().err
