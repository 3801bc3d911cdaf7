"""The browser pages: the dispatcher's board, the engineer's day and the planner's page.

Their sources are in the checkout's ``web/`` folder (plain JavaScript built with Vite, its
dependencies from the npm registry); ``make`` builds them into ``api/web/static``, which
:mod:`api.routes.pages` serves. :mod:`api.web.board` shapes what the pages draw.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
"""Where the built pages are (``make web`` writes them; not in the repository)."""
