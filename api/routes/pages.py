"""The browser pages and their built assets: ``/`` signs in, ``/board`` is the dispatcher's
board, ``/engineer`` the engineer's day, ``/planner`` the planner's page. The pages hold no
data and need no token to load; everything they show comes from the token-checked API."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, HTMLResponse

from api.web import STATIC

router = APIRouter(include_in_schema=False)

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>fieldroute: pages not built</title></head><body><main>
<h1>The pages are not built</h1>
<p>Build them from the checkout with <code>make web</code> (npm ci and vite build in
<code>web/</code>); <code>make demo</code> and <code>make test</code> do it too.</p>
</main></body></html>"""

_ASSET = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def _page(name: str) -> FileResponse | HTMLResponse:
    path = STATIC / f"{name}.html"
    if not path.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/", response_model=None)
def sign_in_page() -> FileResponse | HTMLResponse:
    return _page("index")


@router.get("/board", response_model=None)
def board_page() -> FileResponse | HTMLResponse:
    return _page("board")


@router.get("/engineer", response_model=None)
def engineer_page() -> FileResponse | HTMLResponse:
    return _page("engineer")


@router.get("/planner", response_model=None)
def planner_page() -> FileResponse | HTMLResponse:
    return _page("planner")


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    """A built script, style sheet or image; names carry a content hash, so they never
    change and may be cached for good."""
    path = STATIC / "assets" / name
    if not _ASSET.match(name) or name.startswith(".") or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name!r}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})
