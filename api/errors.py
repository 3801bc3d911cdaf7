"""422 bodies that are safe to send: every fault names its field (``loc``), and the value
echoed back (``input``) is cut short and never a non-finite number, so that neither a
megabyte body nor ``NaN`` in it can turn a validation error into a huge answer or a 500."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ECHO_CHARS = 200
"""The longest ``input`` echoed back in a 422, as JSON text."""

_NON_FINITE = "finite_number"


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats as the text JSON would have needed (NaN, Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def echo(value: Any) -> Any:
    """``value`` as a 422 may show it: JSON-safe and at most :data:`MAX_ECHO_CHARS` long."""
    safe = _finite(value)
    try:
        text = json.dumps(safe, allow_nan=False, default=str)
    except (TypeError, ValueError):
        text = json.dumps(str(safe))
    if len(text) <= MAX_ECHO_CHARS:
        return json.loads(text)
    if isinstance(safe, str):
        return f"{safe[:MAX_ECHO_CHARS]}... ({len(safe)} characters)"
    return f"{text[:MAX_ECHO_CHARS]}... ({len(text)} characters of JSON)"


def safe_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors as a 422 sends them: type, loc, msg and a short ``input``."""
    out = []
    for err in errors:
        item = {k: v for k, v in dict(err).items() if k not in ("ctx", "url", "input")}
        item["loc"] = [x if isinstance(x, int) else str(x) for x in err.get("loc", ())]
        item["msg"] = str(err.get("msg", ""))
        if err.get("type") == _NON_FINITE:
            item["msg"] = "must be a finite number (not NaN or infinity, nor beyond 1.8e308)"
        if "input" in err:
            item["input"] = echo(err["input"])
        out.append(_finite(item))
    return out


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """The 422 of a :class:`RequestValidationError`, made safe by :func:`safe_errors`."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": safe_errors(exc.errors())},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )
