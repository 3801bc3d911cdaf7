"""Request body caps: a body larger than the server accepts is refused with 413 before it is
read whole (by its ``Content-Length``, or once the bytes streamed in without one pass the
cap)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import status
from fastapi.responses import JSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PREFIX = "/uploads/"


class BodyTooLargeError(Exception):
    """A request body passed its cap; answered as 413 by :func:`too_large_response`."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(f"{what} is larger than {limit} bytes")
        self.limit, self.what = limit, what


def too_large_response(exc: BodyTooLargeError) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"{exc.what} is larger than this server accepts ({exc.limit} bytes)",
            "limit_bytes": exc.limit,
        },
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
    )


class BodyLimit:
    """ASGI middleware: bodies of uploads (``/uploads/...``) up to ``upload_bytes``, all
    others up to ``body_bytes``."""

    def __init__(self, app: ASGIApp, *, body_bytes: int, upload_bytes: int) -> None:
        self.app, self.body_bytes, self.upload_bytes = app, body_bytes, upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = str(scope.get("path", "")).startswith(UPLOAD_PREFIX)
        limit = self.upload_bytes if upload else self.body_bytes
        what = "the upload" if upload else "the request body"
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None:
            if declared > limit:
                await too_large_response(BodyTooLargeError(limit, what))(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server reads no more than declared
            return
        # Streamed (chunked): read it here, up to the cap, and hand it on whole.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await too_large_response(BodyTooLargeError(limit, what))(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)
