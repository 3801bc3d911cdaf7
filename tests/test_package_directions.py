"""The packages point one way. ``scheduler`` is the library and imports none of the others;
``datasets`` and ``api`` build on ``scheduler`` alone; ``benchmarks`` may use the library,
the generator and the service; only ``fieldroute``, the composition root that builds the
command, imports them all, and nothing imports it.

Every module is read with ``ast`` (nothing is imported or run), so the check also covers
imports inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import ROOT

OURS = frozenset({"scheduler", "datasets", "api", "benchmarks", "fieldroute"})
MAY_IMPORT: dict[str, frozenset[str]] = {
    "scheduler": frozenset({"scheduler"}),
    "datasets": frozenset({"scheduler", "datasets"}),
    "api": frozenset({"scheduler", "api"}),
    "benchmarks": frozenset({"scheduler", "datasets", "api", "benchmarks"}),
    "fieldroute": OURS,
}
"""Package -> the packages of ours its modules may import."""
WEB_AND_DATABASE = frozenset(
    {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "icalendar"}
)
"""The service's libraries: the library never needs them."""


def imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the module at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]


def wrong_imports(root: Path, package: str, forbidden: frozenset[str]) -> list[str]:
    """``file:line imports X`` for every import of a ``forbidden`` package in ``package``."""
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for path in sorted((root / package).rglob("*.py"))
        for line, name in imported_packages(path)
        if name in forbidden
    ]


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_the_packages_below_it(package: str) -> None:
    assert (ROOT / package / "__init__.py").is_file()
    assert wrong_imports(ROOT, package, OURS - MAY_IMPORT[package]) == []


def test_the_library_needs_no_web_framework_or_database() -> None:
    assert wrong_imports(ROOT, "scheduler", WEB_AND_DATABASE) == []


def test_the_check_finds_a_wrong_import_wherever_it_is(tmp_path: Path) -> None:
    """A check that cannot fail checks nothing: plant wrong imports and see each reported."""
    package = tmp_path / "scheduler"
    (package / "deep").mkdir(parents=True)
    (package / "__init__.py").write_text("from scheduler.domain import Problem\n")
    (package / "deep" / "module.py").write_text(
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    import api.main\n"
        "\n"
        "\n"
        "def late() -> None:\n"
        "    from datasets.generator import generate_day\n"
        "    from . import sibling\n"
    )
    found = wrong_imports(tmp_path, "scheduler", OURS - MAY_IMPORT["scheduler"])
    assert found == [
        "scheduler/deep/module.py:5 imports api",
        "scheduler/deep/module.py:9 imports datasets",
    ]
