"""``pip install fieldroute`` is the library and the command's core; the service, the
simulation and the benchmark reader are extras, and benchmarks run from a source checkout.
A command whose part is not installed exits 2 with one line that says what to do, never a
traceback; the core commands import none of the optional parts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fieldroute.cli import EXIT_BAD_INPUT, main
from tests.paths import SMALL_DAY

SIMULATE = ["simulate", "examples/outreach_one_event.yaml", "--out", "sim"]


@pytest.mark.parametrize(
    ("hidden", "argv", "extra"),
    [
        ("fastapi", ["serve", "--port", "8123"], "service"),  # the web framework
        ("sqlalchemy", ["token", "create", "--role", "planner"], "service"),  # the database
        ("yaml", SIMULATE, "simulate"),  # scenario files
        ("distributed", SIMULATE, "simulate"),  # Dask
        ("vrplib", ["bench", "x.vrp", "--time-limit", "1"], "bench"),  # a checkout without it
        ("benchmarks", ["bench", "--help"], None),  # an installed package: no benchmarks/
    ],
)
def test_a_command_whose_part_is_missing_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    hidden: str,
    argv: list[str],
    extra: str | None,
) -> None:
    monkeypatch.setitem(sys.modules, hidden, None)  # import and find_spec now fail
    monkeypatch.chdir(tmp_path)
    assert main(argv) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    command = f"'fieldroute {argv[0]}'"
    if extra is None:
        message = f"{command} runs from a source checkout"
    else:
        message = f"{command} needs the {extra} extra: pip install 'fieldroute[{extra}]'\n"
    assert out == ""
    assert err.startswith(f"fieldroute: error: {message}")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing started: no database, no output


def test_unknown_arguments_are_still_refused_by_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["solve", str(SMALL_DAY), "--out", "plan.json", "--no-such-option"])
    assert exit_.value.code == EXIT_BAD_INPUT
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_the_core_commands_import_no_optional_part(tmp_path: Path) -> None:
    """``fieldroute solve`` runs without touching the service, simulation or peers."""
    optional = ["fastapi", "uvicorn", "sqlalchemy", "alembic", "icalendar", "matplotlib"]
    optional += ["distributed", "pyvrp", "vroom"]
    script = (
        "import sys\n"
        "from fieldroute.cli import main\n"
        f"code = main(['solve', {str(SMALL_DAY)!r}, '--out', 'plan.json', '--quiet',\n"
        "             '--solution-limit', '5'])\n"
        f"print(code, sorted(m for m in {optional!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.stdout.strip() == "0 []", result.stderr
    assert (tmp_path / "plan.json").is_file()


def test_without_the_service_extra_serve_prints_no_traceback(tmp_path: Path) -> None:
    """The same as a user sees it: a fresh interpreter in which FastAPI cannot be imported."""
    script = (
        "import sys\n"
        "sys.modules['fastapi'] = None\n"
        "from fieldroute.cli import main\n"
        "raise SystemExit(main(['serve']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == (
        "fieldroute: error: 'fieldroute serve' needs the service extra: "
        "pip install 'fieldroute[service]'\n"
    )
