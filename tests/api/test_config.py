"""The service's settings come from the environment, and the README lists every one."""

from __future__ import annotations

import re

import pytest

from api.config import Settings
from tests.paths import ROOT


def test_settings_are_read_from_fieldroute_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDROUTE_SOLVER_WORKERS", "3")
    monkeypatch.setenv("FIELDROUTE_SOLVER_PROCESSES", "2")
    settings = Settings()
    assert (settings.solver_workers, settings.solver_processes) == (3, 2)
    assert Settings.model_fields["solver_processes"].default == 1  # one process per solve


def test_the_readme_lists_every_setting_with_its_default() -> None:
    """One row per variable in the README's table of the service's settings."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", (ROOT / "README.md").read_text(), re.M)
    listed = dict(rows)
    expected = {"DATABASE_URL"} | {
        f"FIELDROUTE_{name.upper()}" for name in Settings.model_fields if name != "database_url"
    }
    assert set(listed) == expected
    for name, field in Settings.model_fields.items():
        if name == "database_url" or field.default is None:  # described in words
            continue
        assert listed[f"FIELDROUTE_{name.upper()}"].strip("`") == _as_written(field.default), name


def _as_written(default: object) -> str:
    """A default as the README writes it: ``true``, ``process``, ``300``, ``0.5``."""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, int):
        return str(default)
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)
