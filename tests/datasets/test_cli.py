"""``fieldroute generate``: the day as problem JSON and CSVs that read back equal."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from datasets.cli import add_generate, run_generate
from scheduler.formats import load_problem
from scheduler.formats.csv_files import read_csv


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fieldroute")
    add_generate(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_generate_writes_the_json_and_the_csvs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "day"
    code = run_generate(
        _args(["generate", "--seed", "3", "--date", "2026-12-05", "--out", str(out)])
    )
    assert code == 0
    problem = load_problem(out / "problem.json")
    assert problem.date == dt.date(2026, 12, 5) and len(problem.engineers) == 5
    again = read_csv(out, date=problem.date, timezone=problem.timezone, options=problem.options)
    assert again == problem
    printed = capsys.readouterr().out
    assert "5 engineers, 30 home visits, 1 community event(s)" in printed
    assert "© OpenStreetMap contributors" in printed


def test_generate_refuses_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args(["generate", "--date", "4.12.2026", "--out", "x"])
    assert "not a date: use YYYY-MM-DD" in capsys.readouterr().err


def test_fieldroute_generate_runs_and_refuses_a_size_the_network_cannot_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldroute.cli import main

    assert main(["generate", "--size", "small", "--out", str(tmp_path / "ok")]) == 0
    assert (tmp_path / "ok" / "visits.csv").is_file()
    assert main(["generate", "--size", "city", "--out", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fieldroute: error: size 'city' needs a road network")
    assert not (tmp_path / "no").exists(), "nothing written"
