"""How fast the dispatcher's board opens a day and answers the pointer, in headless Chromium.

Usage (run under the benchmark lock; the day from ``fieldroute demo``)::

    flock /tmp/fieldroute-bench.lock .venv/bin/fieldroute demo --size city \\
        --network liechtenstein --time-limit 60 --out /tmp/city
    flock /tmp/fieldroute-bench.lock .venv/bin/python -m benchmarks.board_open \\
        --day /tmp/city [--repeats 5]

Serves the day with ``fieldroute serve --day DIR`` (a fresh SQLite database), signs in as the
dispatcher in Debian's chromium (Playwright) and measures, in the page's own clock
(``performance.now()``, from the start of the navigation):

* open: until the timeline has a row per engineer, the map every route, and the road
  network is drawn; the first opening after the server started (it computes the routes'
  road geometry and the base layer once) and the later ones (``--repeats``);
* select: from a click on a stop to its highlight on the map;
* drag: from releasing a dragged stop to the preview shown, with re-planning's preview
  endpoint answered at once by the test harness (it is not built yet): the board's own part
  of "a drag answered".

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    # What headless Chromium needs here (the browser tests use them too): root in CI, no GPU,
    # and none of its own connections, which a closed network refuses.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 300_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(day: Path, port: int, database: Path) -> tuple[subprocess.Popen[str], str]:
    """``fieldroute serve --day`` in the background; the process and the dispatcher's link."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "fieldroute", "serve", "--day", str(day), "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert server.stdout is not None
    link = ""
    while not link:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("fieldroute serve --day stopped before printing its links")
        found = re.search(r"dispatcher\s+(\S+#token=\S+)", line)
        link = found.group(1) if found else ""
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return server, link


DRAWN = """([rows, routes]) => document.querySelectorAll('.tl-row').length === rows
    && Number(document.querySelector('#map').dataset.routes) === routes
    && Number(document.querySelector('#map').dataset.roads) > 0"""


def _open_ms(page: Any, url: str, rows: int, routes: int) -> float:
    page.goto(url)
    page.wait_for_function(DRAWN, arg=[rows, routes], timeout=TIMEOUT_MS)
    elapsed: float = page.evaluate("performance.now()")
    return elapsed


def _select_ms(page: Any, visit: str) -> float:
    page.evaluate(
        """(visit) => {
            window.__selected = null;
            new MutationObserver((_, obs) => {
                if (document.querySelector('#map').dataset.selected === visit) {
                    window.__selected = performance.now(); obs.disconnect();
                }
            }).observe(document.querySelector('#map'), {attributes: true});
            document.addEventListener('click', () => { window.__clicked = performance.now(); },
                {capture: true, once: true});
        }""",
        visit,
    )
    page.locator(f".tl-stop[data-visit='{visit}']").first.click()
    page.wait_for_function("window.__selected !== null", timeout=TIMEOUT_MS)
    took: float = page.evaluate("window.__selected - window.__clicked")
    return took


def _drag_ms(page: Any, visit: str, to_engineer: str) -> float:
    page.evaluate(
        """() => {
            window.__shown = null;
            window.addEventListener('pointerup', () => { window.__up = performance.now(); },
                {capture: true, once: true});
            new MutationObserver((_, obs) => {
                if (document.querySelector('#move-preview').textContent.includes('Feasible')) {
                    window.__shown = performance.now(); obs.disconnect();
                }
            }).observe(document.querySelector('#move-preview'), {childList: true, subtree: true});
        }"""
    )
    block = page.locator(f".tl-stop[data-visit='{visit}']").first
    block.scroll_into_view_if_needed()
    target = page.locator(f".tl-row[data-engineer='{to_engineer}'] .tl-track")
    b = block.bounding_box()
    page.mouse.move(b["x"] + 2, b["y"] + b["height"] / 2)
    page.mouse.down()
    t = target.bounding_box()
    page.mouse.move(b["x"] + 30, t["y"] + t["height"] / 2, steps=6)
    page.mouse.up()
    page.wait_for_function("window.__shown !== null", timeout=TIMEOUT_MS)
    took: float = page.evaluate("window.__shown - window.__up")
    page.locator("#move-cancel").click()
    return took


def _with_preview(page: Any) -> None:
    """Re-planning's preview as the board expects it, answered at once (not built yet)."""

    def openapi(route: Any) -> None:
        spec = route.fetch().json()
        for name in ("preview", "apply"):
            spec["paths"][f"/plans/{{plan_id}}/{name}"] = {"post": {}}
        route.fulfill(json=spec)

    answer = {"feasible": True, "violations": [], "objective_delta": {"total": 0}, "churn": {}}
    page.route("**/openapi.json", openapi)
    page.route(re.compile(r".*/plans/\d+/preview$"), lambda r: r.fulfill(json=answer))


def run(day: Path, repeats: int) -> str:
    import json

    from playwright.sync_api import sync_playwright

    plan = json.loads((day / "plan.json").read_text())
    problem = json.loads((day / "problem.json").read_text())
    rows = len(problem["engineers"])
    active = [r for r in plan["routes"] if r["stops"]]
    visits = sum(len(r["stops"]) for r in active)
    events = {v["id"] for v in problem["visits"] if v.get("kind") == "community_event"}
    browser_path = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        server, link = _serve(day, port, Path(tmp) / "board.db")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                _with_preview(page)
                page.goto(link)
                page.wait_for_url("**/board*", timeout=TIMEOUT_MS)
                url = f"http://127.0.0.1:{port}/board"
                first = _open_ms(page, url, rows, len(active))
                print(f"opened first in {first:.0f} ms", file=sys.stderr)
                later = [_open_ms(page, url, rows, len(active)) for _ in range(repeats)]
                print(f"opened again in {later} ms", file=sys.stderr)
                stops = [s["visit_id"] for r in active for s in r["stops"]]
                picks = [stops[i * len(stops) // repeats] for i in range(repeats)]
                select = [_select_ms(page, v) for v in picks]
                print(f"selected in {select} ms", file=sys.stderr)
                homes = [s["visit_id"] for s in active[0]["stops"] if s["visit_id"] not in events]
                drag = [_drag_ms(page, homes[0], active[1]["engineer_id"]) for _ in range(repeats)]
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    version = subprocess.run(
        [browser_path, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    head = (
        f"Command: `python -m benchmarks.board_open --day DIR --repeats {repeats}` on a day of "
        f"{rows} engineers and {len(problem['visits'])} visits ({visits} stops on "
        f"{len(active)} routes); machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {version}; date: {dt.date.today().isoformat()}."
    )
    table = [
        "| measurement | median ms | min ms | max ms | runs |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| open, first after the server started | {first:.0f} | {first:.0f} | {first:.0f} | 1 |",
    ]
    for name, values in (
        ("open again (page reloaded)", later),
        ("select a stop: click to map highlight", select),
        ("drag a stop: release to preview shown", drag),
    ):
        table.append(
            f"| {name} | {statistics.median(values):.0f} | {min(values):.0f} | "
            f"{max(values):.0f} | {len(values)} |"
        )
    return head + "\n\n" + "\n".join(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=Path, required=True, help="a folder fieldroute demo wrote")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(run(args.day, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
