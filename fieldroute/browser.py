"""Headless Chromium for looking at generated pages: the DOM after scripts ran, or a PNG.

Uses the ``chromium`` (or ``chromium-browser`` / ``google-chrome``) on ``PATH``; on Debian
``apt-get install chromium`` provides it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scheduler.errors import FieldrouteError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_LINE = re.compile(r'<path class="js-line" d="([^"]*)" style="[^"]*stroke: (rgb\([^)]*\))')
_TIMEOUT_S = 120


class BrowserError(FieldrouteError):
    """No headless browser, or it failed to render the page."""


def find_browser() -> str | None:
    """Path of the first headless-capable browser on ``PATH``, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, *args: str, width: int, height: int) -> str:
    browser = find_browser()
    if browser is None:
        raise BrowserError(
            f"no headless browser found (looked for {', '.join(BROWSERS)} on PATH); "
            "on Debian: apt-get install chromium"
        )
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        # Let plotly finish drawing before the DOM or the picture is taken.
        "--virtual-time-budget=10000",
        *args,
        page.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BrowserError(f"{browser} did not render {page} within {_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise BrowserError(f"{browser} failed on {page}: " + " | ".join(tail))
    return done.stdout


def rendered_dom(page: Path, *, width: int = 1400, height: int = 1000) -> str:
    """The page's DOM as HTML after its scripts ran."""
    return _run(page, "--dump-dom", width=width, height=height)


def screenshot(page: Path, png: Path, *, width: int = 1400, height: int = 1000) -> Path:
    """Save a PNG of the rendered page (``width`` x ``height`` pixels)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, f"--screenshot={png.resolve()}", width=width, height=height)
    if not png.is_file() or png.stat().st_size == 0:
        raise BrowserError(f"the browser wrote no screenshot to {png}")
    return png


@dataclass(frozen=True)
class DrawnLine:
    """A polyline plotly drew: its stroke colour ``rgb(r, g, b)`` and number of points."""

    colour: str
    points: int


def drawn_lines(dom: str) -> list[DrawnLine]:
    """Every line trace plotly drew into the page's SVG (empty paths are skipped)."""
    out = []
    for d, colour in _LINE.findall(dom):
        points = d.count("L") + d.count("M")
        if points:
            out.append(DrawnLine(colour.replace(" ", ""), points))
    return out


def rgb(hex_colour: str) -> str:
    """``#1f77b4`` -> ``rgb(31,119,180)`` (as the browser reports stroke colours)."""
    h = hex_colour.lstrip("#")
    return "rgb({},{},{})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))
