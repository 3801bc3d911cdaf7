"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright): a
served day (a small generated day on the bundled Helsinki roads, planned once per test
process, stored in a fresh database per test), tokens per role, and an axe-core check.

Without chromium, Playwright or the built pages these tests are skipped, except under CI
(``CI`` set), which has all three (``.ci/run`` installs chromium, ``make test`` builds the
pages), where they fail instead."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.auth import Role, create_token
from api.config import Settings
from api.web import STATIC
from benchmarks.board_open import CHROMIUM_FLAGS
from fieldroute.browser import find_browser
from scheduler.domain import Plan, Problem
from scheduler.formats import plan_from_json, problem_from_json
from tests.paths import ROOT

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WAIT_MS = 60_000
"""How long a test waits for something to be drawn: generous, since the machine is shared."""


def _needed_or_skip() -> str:
    """The browser's path; skips (fails under CI) when something the tests need is absent."""
    missing = []
    browser = find_browser()
    if browser is None:
        missing.append("chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if not (STATIC / "board.html").is_file() or not AXE.is_file():
        missing.append("the built pages and axe-core (make web)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests; missing: " + ", ".join(missing))
        pytest.skip("missing: " + ", ".join(missing))
    assert browser is not None
    return browser


@pytest.fixture(scope="session")
def day_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """problem.json and plan.json of a small planned day (5 engineers, ~30 visits, an
    event) on the bundled central-Helsinki roads."""
    _needed_or_skip()
    from fieldroute.demo import run_demo

    out = tmp_path_factory.mktemp("web-day")
    run_demo(
        out=out, network_source="bundled", size="small", seed=3, time_limit=10, solution_limit=150
    )
    return out


@dataclass
class Site:
    """A running server with the day stored and published (plan ``plan_id``)."""

    url: str
    app: Any
    problem: Problem
    plan: Plan
    plan_id: int
    tokens: dict[str, str]
    engineer_id: str

    def sessions(self) -> Any:
        return self.app.state.sessions()

    def sign_in_url(self, role: str) -> str:
        return f"{self.url}/#token={self.tokens[role]}"

    @property
    def active_routes(self) -> list[Any]:
        return [r for r in self.plan.routes if r.stops]


@pytest.fixture
def site(day_files: Path, tmp_path: Path) -> Iterator[Site]:
    import uvicorn

    from api.main import create_app
    from api.store.solved_day import store_solved_day

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        solver_mode="thread",
        road_network="bundled",
        poll_interval_s=0.05,
        heartbeat_interval_s=0.2,
        max_time_limit_s=30.0,
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    problem = problem_from_json((day_files / "problem.json").read_text())
    document = json.loads((day_files / "plan.json").read_text())
    plan = plan_from_json(problem, json.dumps(document))
    engineer = next(r.engineer_id for r in plan.routes if r.stops)
    with app.state.sessions() as session:
        plan_id = store_solved_day(session, problem, document, created_by="dispatcher")
        tokens = {
            role.value: create_token(
                session, role, engineer_id=engineer if role is Role.ENGINEER else None
            )
            for role in Role
        }
        session.commit()
    try:
        yield Site(f"http://127.0.0.1:{port}", app, problem, plan, plan_id, tokens, engineer)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _needed_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright gives every launch a fresh profile (user data dir) of its own.
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert errors == [], f"script errors on the page: {errors}"


def sign_in(page: Any, site: Site, role: str, path: str) -> None:
    """Signs in with the role's link and waits for its page."""
    page.goto(site.sign_in_url(role))
    page.wait_for_url(f"**{path}*")


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations of WCAG 2.1 A and AA on the page as it is: ``id: targets``."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        })).violations.map(v =>
            `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)"""
    )
    return list(found)


def screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Saves the page as ``name`` in $FIELDROUTE_SCREENSHOTS when set (the README's
    pictures: ``FIELDROUTE_SCREENSHOTS=docs/pages make test``)."""
    folder = os.environ.get("FIELDROUTE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)
