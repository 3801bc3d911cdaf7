"""Signing in, the engineer's day and the planner's page in a real browser: each role gets
its page; a refused token is explained; an engineer marks a visit done and the board shows
it; a status change made offline is kept and sent later; a planner compares two scenarios."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import update

from api.db.models import ApiToken, Visit
from tests.scheduler.simulate.test_simulate import SMALL
from tests.web.conftest import Site, axe_violations, screenshot, sign_in


def test_each_role_signs_in_to_its_own_page(page: Any, site: Site) -> None:
    for role, path, drawn in (
        ("dispatcher", "/board", ".tl-row"),
        ("planner", "/planner", "#plans-compared"),
        ("engineer", "/engineer", ".stop-card"),
    ):
        sign_in(page, site, role, path)
        page.wait_for_selector(drawn)
        page.evaluate("sessionStorage.clear()")


def test_the_sign_in_page_says_why_a_token_is_refused(page: Any, site: Site) -> None:
    page.goto(site.url + "/")
    page.wait_for_selector("#sign-in-form")
    screenshot(page, "sign-in.png")
    assert axe_violations(page) == []
    page.fill("#token", "fr_not-a-token")
    page.click("button[type=submit]")
    page.wait_for_selector("#message:has-text('not valid')")
    assert page.get_attribute("#token", "aria-invalid") == "true"
    # A token revoked while its page is open: the next request sends the person to sign in.
    sign_in(page, site, "dispatcher", "/board")
    page.wait_for_selector(".tl-stop")
    with site.sessions() as session:
        session.execute(update(ApiToken).values(revoked=True))
        session.commit()
    page.click("#refresh")
    page.wait_for_url("**/?reason=refused")
    assert "unknown, revoked or expired" in page.locator("#message").inner_text()


def _engineer_page(browser_context: Any, site: Site) -> Any:
    phone = browser_context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, site, "engineer", "/engineer")
    phone.wait_for_selector(".stop-card")
    return phone


def test_an_engineer_marks_a_visit_done_and_the_board_shows_it(
    context: Any, browser: Any, page: Any, site: Site
) -> None:
    phone = _engineer_page(context, site)
    route = next(r for r in site.plan.routes if r.engineer_id == site.engineer_id)
    cards = phone.locator(".stop-card")
    assert cards.count() == len(route.stops)
    assert [c.get_attribute("data-visit") for c in cards.all()] == [s.visit_id for s in route.stops]
    first = route.stops[0].visit_id
    card = phone.locator(f".stop-card[data-visit='{first}']")
    text = card.inner_text()
    assert "ETA" in text and "window" in text
    assert card.locator("a:has-text('Navigate')").get_attribute("href").startswith("https://")
    assert "Call" in text or not site.problem.visit(first).details.get("phone")
    screenshot(phone, "engineer.png")
    assert axe_violations(phone) == []
    card.locator("button[data-status='done']").click()
    phone.wait_for_selector(f".stop-card[data-visit='{first}'][data-status='done']")
    # The dispatcher's board, in another browser, shows the visit done.
    dispatcher = browser.new_context(viewport={"width": 1600, "height": 1000})
    board = dispatcher.new_page()
    sign_in(board, site, "dispatcher", "/board")
    board.wait_for_selector(f".tl-stop[data-visit='{first}'][data-status='done']")
    dispatcher.close()
    # A crew mate at an event is named on the engineer's card.
    events = [s for s in route.stops if site.problem.visit(s.visit_id).is_event]
    for stop in events:
        mates = [
            r.engineer_id
            for r in site.plan.routes
            if r.engineer_id != site.engineer_id
            and any(s.visit_id == stop.visit_id for s in r.stops)
        ]
        names = [site.problem.engineer(m).name for m in mates]
        assert all(
            n in phone.locator(f".stop-card[data-visit='{stop.visit_id}']").inner_text()
            for n in names
        )


def test_a_status_change_without_a_connection_is_kept_and_sent_when_it_is_back(
    context: Any, site: Site
) -> None:
    phone = _engineer_page(context, site)
    route = next(r for r in site.plan.routes if r.engineer_id == site.engineer_id)
    visit = route.stops[0].visit_id
    context.set_offline(True)
    phone.locator(f".stop-card[data-visit='{visit}'] button[data-status='en_route']").click()
    phone.wait_for_selector("#network-banner:has-text('Cannot reach the server')")
    phone.wait_for_selector("#message:has-text('kept on this phone')")
    assert (
        phone.locator(f".stop-card[data-visit='{visit}']").get_attribute("data-status")
        == "en_route"
    )
    with site.sessions() as session:
        assert session.get(Visit, visit).status == "pending"
    context.set_offline(False)
    phone.wait_for_selector("#message:has-text('kept while offline')")
    with site.sessions() as session:
        assert session.get(Visit, visit).status == "en_route"
    assert phone.locator("#network-banner").is_hidden()


def test_a_planner_starts_two_scenarios_from_files_and_sees_them_compared(
    page: Any, site: Site, tmp_path: Path
) -> None:
    sign_in(page, site, "planner", "/planner")
    page.wait_for_selector("#plans-compared")
    assert f"Plan {site.plan_id}" in page.locator("#plans-compared").inner_text()
    names = []
    for name, events in (("one-event", SMALL["events"]), ("no-event", [])):
        scenario = copy.deepcopy(SMALL) | {"name": name, "events": events}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(scenario))
        page.set_input_files("#sim-file", str(path))
        page.fill("#sim-replications", "2")
        page.click("#sim-form button[type=submit]")
        page.wait_for_selector(f"#simulations td:text-is('{name}')")
        names.append(name)
    page.wait_for_function(
        "document.querySelectorAll('#simulations tr[data-status=succeeded]').length === 2",
        timeout=300_000,
    )
    for box in page.locator("#simulations input[type=checkbox]").all():
        box.check()
    page.click("#compare")
    page.wait_for_selector("#comparison-table")
    header = page.locator("#comparison-table thead").inner_text()
    assert all(n in header for n in names)
    assert page.locator("#comparison-table tbody tr").count() >= 5
    assert page.locator("#differences-table tbody tr").count() >= 1
    for kind in ("served-vs-coverage", "distributions"):
        page.wait_for_function(
            f"document.querySelector('img.plot-{kind}')?.naturalWidth > 100", timeout=120_000
        )
    assert page.locator("#simulations input:checked").count() == 2  # kept across refreshes
    screenshot(page, "planner.png", full_page=True)
    assert axe_violations(page) == []
