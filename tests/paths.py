"""Where the tests find the repository's files, wherever in ``tests/`` a test module sits."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository's top folder."""
DATA = ROOT / "tests" / "data"
"""Small input files made for the tests."""
SMALL_DAY = ROOT / "examples" / "small_day.json"
"""The example problem file the README shows."""
SHARED = ROOT.parent / "shared"
"""The machine's shared road networks and benchmark instances (CI has them)."""


def shared_or_skip(path: Path) -> Path:
    """``path`` under ``SHARED``; a test needing it is skipped where the shared folder is
    absent, but fails under CI, which has it (a silent skip there would hide a failure)."""
    import os

    import pytest

    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {path}: the shared folder is beside the checkout there")
        pytest.skip(f"{path} is not beside this checkout")
    return path
