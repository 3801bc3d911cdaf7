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
