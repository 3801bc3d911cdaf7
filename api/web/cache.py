"""Computed-once answers for the pages, kept per application: a plan's map, the road network
as a base layer. A succeeded plan never changes and the server's road network is fixed for
its life, so a kept answer never goes stale; it is stored as gzip-compressed JSON, ready to
send."""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

__all__ = ["CompressedJson", "json_response", "page_cache"]


class CompressedJson:
    """Up to ``capacity`` JSON documents by key, compressed, the least recently used
    dropped first. ``get_or_make`` computes a missing one outside the lock (two threads
    asking at once may both compute it; either result is the same)."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._kept: OrderedDict[object, bytes] = OrderedDict()

    def get_or_make(self, key: object, make: Callable[[], Any]) -> bytes:
        with self._lock:
            body = self._kept.get(key)
            if body is not None:
                self._kept.move_to_end(key)
                return body
        document = make()
        body = gzip.compress(json.dumps(document, separators=(",", ":")).encode(), 6)
        with self._lock:
            self._kept[key] = body
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
        return body


def page_cache(request: Request) -> CompressedJson:
    """The application's cache of page documents (made on first use)."""
    state = request.app.state
    with _made_lock:
        cache: CompressedJson | None = getattr(state, "page_cache", None)
        if cache is None:
            cache = CompressedJson()
            state.page_cache = cache
    return cache


_made_lock = threading.Lock()


def json_response(
    request: Request, gzipped: bytes, media_type: str = "application/json"
) -> Response:
    """The compressed document as it is when the client accepts gzip, else decompressed."""
    private = {"Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            gzipped, media_type=media_type, headers={**private, "Content-Encoding": "gzip"}
        )
    return Response(gzip.decompress(gzipped), media_type=media_type, headers=private)
