"""The dispatcher's board in a real browser: a row per engineer, every route on the map,
the visits left out with reasons, selection in both views, publishing, a stale plan, and
moves (read-only until re-planning answers; previewed and applied through it once it does)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from api.db.models import PlanCentre, PlanJob, utcnow
from tests.web.conftest import Site, axe_violations, screenshot, sign_in


def open_board(page: Any, site: Site, query: str = "") -> None:
    sign_in(page, site, "dispatcher", "/board")
    if query:
        page.goto(f"{site.url}/board?{query}")
    page.wait_for_selector("#main[aria-busy='false']")
    page.wait_for_selector(".tl-stop")


def test_board_draws_one_timeline_row_per_engineer_and_every_route_on_the_map(
    page: Any, site: Site
) -> None:
    open_board(page, site)
    rows = page.locator(".tl-row")
    assert rows.count() == len(site.problem.engineers)
    for route in site.plan.routes:
        row = page.locator(f".tl-row[data-engineer='{route.engineer_id}']")
        blocks = row.locator(".tl-stop")
        assert blocks.count() == len(route.stops), route.engineer_id
        assert [b.get_attribute("data-visit") for b in blocks.all()] == [
            s.visit_id for s in route.stops
        ]
        assert row.locator(".tl-window").count() >= len(route.stops)
        assert row.locator(".tl-drive").count() >= len(route.stops)
    # The map: every route along the roads (many more points than stops), numbered stops,
    # the road network drawn as the base layer.
    page.wait_for_function("Number(document.querySelector('#map').dataset.roads) > 100")
    paths = page.locator("path.fr-route")
    assert paths.count() == len(site.active_routes)
    drawn = {p.get_attribute("data-engineer"): p.get_attribute("d") for p in paths.all()}
    for route in site.active_routes:
        points = len(re.findall(r"[ML]", drawn[route.engineer_id]))
        assert points > len(route.stops) + 1, route.engineer_id
    stops = sum(len(r.stops) for r in site.plan.routes)
    events = sum(
        1 for r in site.plan.routes for s in r.stops if site.problem.visit(s.visit_id).is_event
    )
    assert page.locator(".fr-num").count() + page.locator(".fr-event").count() == stops
    assert events >= 1 and page.locator(".fr-event").count() == events
    assert page.locator(".fr-centre").count() == len(site.problem.service_centers)
    # The visits left out, each with its reason code and message.
    for u in site.plan.unassigned:
        row = page.locator(f"#unassigned tr[data-visit='{u.visit_id}']")
        assert u.reason.value in row.inner_text() and u.message[:30] in row.inner_text()
    served = sum(
        1 for v in site.problem.visits if v.id not in {u.visit_id for u in site.plan.unassigned}
    )
    assert f"{served} of {len(site.problem.visits)}" in page.locator("#kpis").inner_text()
    assert "OpenStreetMap contributors" in page.locator(".leaflet-control-attribution").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "board.png")


def test_selecting_a_stop_highlights_it_on_the_timeline_and_the_map(page: Any, site: Site) -> None:
    open_board(page, site)
    route = site.active_routes[0]
    visit = route.stops[1].visit_id
    page.locator(f".tl-stop[data-visit='{visit}']").first.click()
    page.wait_for_function(f"document.querySelector('#map').dataset.selected === '{visit}'")
    assert page.locator(f".tl-stop.selected[data-visit='{visit}']").count() >= 1
    assert page.locator(f".fr-num.selected[data-visit='{visit}']").count() == 1
    assert visit in page.locator("#details").inner_text()
    # And from the map: a marker click selects its block on the timeline.
    other = route.stops[0].visit_id
    page.locator(f".fr-num[data-visit='{other}']").click()
    page.wait_for_selector(f".tl-stop.selected[data-visit='{other}']")
    # The keyboard: arrow keys move between stops, Enter selects.
    first = page.locator(f".tl-stop[data-visit='{other}']").first
    first.focus()
    page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.dataset.visit")
    assert focused == route.stops[1].visit_id
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('#map').dataset.selected === '{focused}'")


def test_board_is_read_only_until_the_server_can_preview_and_apply_moves(
    page: Any, site: Site
) -> None:
    """A server whose API has no preview and apply (an older one: its OpenAPI document
    without them) leaves the board read-only."""

    def older_server(route: Any) -> None:
        spec = route.fetch().json()
        for name in ("preview", "apply"):
            spec["paths"].pop(f"/plans/{{plan_id}}/{name}", None)
        route.fulfill(json=spec)

    page.route("**/openapi.json", older_server)
    open_board(page, site)
    assert "Read-only" in page.locator("#capability").inner_text()
    block = page.locator(".tl-stop").first
    box = block.bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + 3)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 90, steps=5)
    page.mouse.up()
    assert not page.locator("#move-dialog").is_visible()
    block.focus()
    page.keyboard.press("m")
    assert "read-only" in page.locator("#message").inner_text()


def _with_moves(
    page: Any, answers: list[tuple[int, dict[str, Any]]], sent: list[dict[str, Any]]
) -> None:
    """Make the page see a server that has re-planning's preview and apply endpoints: the
    OpenAPI document lists them, and they answer ``answers`` in turn."""

    def openapi(route: Any) -> None:
        spec = route.fetch().json()
        for name in ("preview", "apply"):
            spec["paths"][f"/plans/{{plan_id}}/{name}"] = {"post": {"summary": name}}
        route.fulfill(json=spec)

    def moves(route: Any) -> None:
        sent.append({"url": route.request.url, "body": json.loads(route.request.post_data)})
        status, body = answers.pop(0)
        route.fulfill(status=status, json=body)

    page.route("**/openapi.json", openapi)
    page.route(re.compile(r".*/plans/\d+/(preview|apply)$"), moves)


def _drag(page: Any, visit: str, to_engineer: str) -> None:
    block = page.locator(f".tl-stop[data-visit='{visit}']").first
    target = page.locator(f".tl-row[data-engineer='{to_engineer}'] .tl-track")
    b, t = block.bounding_box(), target.bounding_box()
    page.mouse.move(b["x"] + 3, b["y"] + b["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + 40, t["y"] + t["height"] / 2, steps=8)
    page.mouse.up()


def test_a_drag_is_refused_with_the_violation_shown_then_previewed_and_applied(
    page: Any, site: Site
) -> None:
    """Against re-planning's endpoints (answers in their documented shape): a drag asks
    for a preview; a refused one shows the violation and cannot be applied; a feasible one
    shows the cost and churn, and applying it shows the plan it made."""
    sent: list[dict[str, Any]] = []
    refused = {
        "feasible": False,
        "violations": [{"code": "SKILL", "message": "needs repair_certified"}],
        "objective_delta": {"travel": 420, "total": 420},
        "churn": {"reassigned": 1},
    }
    feasible = {
        "feasible": True,
        "violations": [],
        "objective_delta": {"travel": -120, "total": -120},
        "churn": {"reassigned": 1, "moved_beyond_tolerance": 0},
    }
    _with_moves(page, [(200, refused), (200, feasible), (201, {"id": site.plan_id})], sent)
    open_board(page, site)
    assert "Drag a stop" in page.locator("#capability").inner_text()
    a, b = site.active_routes[0], site.active_routes[1]
    visit = next(s.visit_id for s in a.stops if not site.problem.visit(s.visit_id).is_event)
    _drag(page, visit, b.engineer_id)
    page.wait_for_selector("#move-violations")
    assert "needs repair_certified" in page.locator("#move-preview").inner_text()
    assert page.locator("#move-apply").is_disabled()
    body = sent[0]["body"]
    assert sent[0]["url"].endswith(f"/plans/{site.plan_id}/preview")
    assert body["moves"][0]["visit_id"] == visit
    assert body["moves"][0]["engineer_id"] == b.engineer_id
    assert re.fullmatch(r"\d\d:\d\d", body["moves"][0]["start"])
    page.locator("#move-preview-button").click()
    page.wait_for_selector("text=Feasible")
    assert "-120" in page.locator("#move-preview").inner_text()
    assert "reassigned 1" in page.locator("#move-preview").inner_text()
    page.locator("#move-apply").click()
    page.wait_for_selector("text=Move applied")
    assert sent[2]["url"].endswith(f"/plans/{site.plan_id}/apply")
    assert sent[2]["body"] == sent[1]["body"]


def _feasible_move(site: Site) -> tuple[str, str, str]:
    """A visit, another engineer and a start ("HH:MM") the server's preview finds feasible
    (tried as the server will: the plan's own road matrix)."""
    from api.store.matrices import matrix_of
    from scheduler.formats.clock import clock_for
    from scheduler.preview import Move, preview

    with site.sessions() as session:
        solved = site.app.state.solved_plans.get(session, site.plan_id)
    matrix, _ = matrix_of(solved, site.app.state.settings)
    clock = clock_for(site.problem)
    for route in site.active_routes:
        for stop in route.stops:
            if site.problem.visit(stop.visit_id).is_event:
                continue
            for other in site.active_routes:
                if other.engineer_id == route.engineer_id:
                    continue
                moved = preview(
                    site.problem, matrix, site.plan, [Move(stop.visit_id, other.engineer_id)]
                )
                if not moved.feasible:
                    continue
                start = next(
                    s.start
                    for r in moved.plan.routes
                    for s in r.stops
                    if s.visit_id == stop.visit_id and r.engineer_id == other.engineer_id
                )
                start = -(-start // 60) * 60  # the board sends whole minutes
                timed = Move(stop.visit_id, other.engineer_id, start=start)
                if preview(site.problem, matrix, site.plan, [timed]).feasible:
                    return stop.visit_id, other.engineer_id, clock.compact(start)
    raise AssertionError("no feasible move on the day")


def test_a_drag_is_previewed_and_applied_by_the_server_end_to_end(page: Any, site: Site) -> None:
    """No stand-in: the board finds preview and apply in the server's API, a drag asks the
    server for a preview, and applying it stores a new plan version the board then shows."""
    visit, engineer, start = _feasible_move(site)
    open_board(page, site)
    assert "Drag a stop" in page.locator("#capability").inner_text()
    _drag(page, visit, engineer)
    page.wait_for_selector("#move-preview p")
    page.locator("#move-engineer").select_option(engineer)
    page.locator("#move-start").fill(start)
    page.locator("#move-preview-button").click()
    page.wait_for_selector("text=Feasible: no rule is broken.")
    assert "cost units" in page.locator("#move-preview").inner_text()
    assert "reassigned 1" in page.locator("#move-preview").inner_text()
    page.locator("#move-apply").click()
    page.wait_for_selector("text=Move applied")
    with site.sessions() as session:
        row = session.scalars(select(PlanJob).where(PlanJob.replaces_id == site.plan_id)).one()
        assert row.status == "succeeded" and row.published_at is None
        new_id = row.id
    assert f"plan {new_id}" in page.locator("#message").inner_text()
    page.wait_for_function(f"document.querySelector('#plan').value === '{new_id}'")


def test_a_plan_published_by_someone_else_replaces_the_stale_one_and_the_board_says_so(
    page: Any, site: Site
) -> None:
    with site.sessions() as session:
        first = session.get(PlanJob, site.plan_id)
        copy = PlanJob(
            date=first.date,
            status=first.status,
            options=first.options,
            problem=first.problem,
            result=first.result,
            created_by="dispatcher",
            finished_at=utcnow(),
            centres=[
                PlanCentre(service_centre_id=c.service_centre_id, date=c.date)
                for c in first.centres
            ],
        )
        session.add(copy)
        session.commit()
        other = copy.id
    open_board(page, site, "poll=1")
    assert f"Plan {site.plan_id}: published" in page.locator("#plan-state").inner_text()
    headers = {"Authorization": f"Bearer {site.tokens['dispatcher']}"}
    api = page.request
    assert api.post(f"{site.url}/plans/{site.plan_id}/unpublish", headers=headers).ok
    assert api.post(f"{site.url}/plans/{other}/publish", headers=headers).ok
    page.wait_for_selector(f"text=Plan {other} was published for this day")
    page.wait_for_function(f"document.querySelector('#plan').value === '{other}'")
    page.wait_for_selector(f"#plan-state:has-text('Plan {other}: published')")
    assert page.locator(".tl-row").count() == len(site.problem.engineers)
    with site.sessions() as session:
        published = session.scalars(select(PlanCentre.plan_id).where(PlanCentre.published)).all()
    assert set(published) == {other}


def test_the_dispatcher_unpublishes_and_publishes_from_the_board(page: Any, site: Site) -> None:
    open_board(page, site)
    page.locator("#unpublish").click()
    page.wait_for_selector("text=no longer published")
    # The message comes first; the buttons follow once the day's plans are listed again.
    page.locator("#publish").wait_for(state="visible")
    page.locator("#publish").click()
    page.wait_for_selector("text=engineers see it now")
    assert "published" in page.locator("#plan-state").inner_text()
