"""The pydantic boundary shared by the file formats: strict models, field types, JSON text
with duplicate keys refused, and validation errors rewritten for people.

A model's :class:`~pydantic.ValidationError` becomes one line per fault that names the
object, the field and the value and says what would work, e.g.
``visits[3] (id 'v4').duration_min = -5: must be >= 0``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from scheduler.errors import InputFormatError
from scheduler.formats.clock import CLOCK_PATTERN, NOT_A_TIME, parse_clock, zone

__all__ = [
    "ClockTime",
    "DateText",
    "Id",
    "IsoTime",
    "StrictModel",
    "TimezoneName",
    "field_label",
    "parse_json",
    "plain_number",
    "short_repr",
    "validate_json",
    "validation_message",
]

# --------------------------------------------------------------------------------------------
# Field types (syntax checked while validating, independent of the date and timezone)
# --------------------------------------------------------------------------------------------

_CLOCK_HELP = (
    'A clock time: "HH:MM" or "HH:MM:SS" on the problem date ("24:00" is the end of that '
    "day), or an ISO 8601 date-time; without an offset it is in the problem timezone."
)


def _check_clock(text: str) -> str:
    try:
        parse_clock(text)
    except ValueError:
        raise PydanticCustomError("clock_time", NOT_A_TIME) from None
    return text


def _check_date(text: str) -> str:
    try:
        if len(text) != 10:
            raise ValueError(text)
        dt.date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date", "not a date, use YYYY-MM-DD") from None
    return text


def _check_timezone(name: str) -> str:
    try:
        zone(name)
    except ValueError:
        raise PydanticCustomError(
            "timezone", "not an IANA time zone name such as 'Europe/Helsinki'"
        ) from None
    return name


ClockTime = Annotated[
    str,
    AfterValidator(_check_clock),
    Field(
        description=_CLOCK_HELP,
        examples=["08:00", "2026-11-27T08:00:00+02:00"],
        json_schema_extra={"pattern": CLOCK_PATTERN},
    ),
]
IsoTime = Annotated[
    str,
    AfterValidator(_check_clock),
    Field(
        description="ISO 8601 date-time with seconds, with the UTC offset when the problem "
        "has a timezone.",
        examples=["2026-11-27T08:15:00+02:00"],
    ),
]
DateText = Annotated[
    str,
    AfterValidator(_check_date),
    Field(description="The day planned, YYYY-MM-DD.", json_schema_extra={"format": "date"}),
]
TimezoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    Field(description="IANA time zone name, e.g. 'Europe/Helsinki'.", examples=["Europe/Helsinki"]),
]
Id = Annotated[str, Field(min_length=1)]
"""A location id: any non-empty text."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
"""The one rule for the ids of centres, engineers, visits and skills, in the library, its
files and the service: letters, digits and ``._:-``, up to 64, first a letter or digit."""
EntityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Letters, digits and ._:- (<= 64, first a letter or digit).",
    ),
]


class StrictModel(BaseModel):
    """Unknown fields and wrong JSON types are refused, and so are NaN and infinity."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------------


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters with ``...``."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain_number(x: object) -> object:
    """``0`` rather than ``0.0`` in messages."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def field_label(raw: object, loc: Sequence[int | str]) -> str:
    """``visits[3] (id 'v4').time_windows[0].end`` for a location in the raw JSON data."""
    out = ""
    node: object = raw
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
            node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id {node['id']!r})"
        else:
            out += f".{key}" if out else key
            node = node.get(key) if isinstance(node, dict) else None
    return out


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    model = root
    for key in loc:
        if isinstance(key, int):
            continue
        info = model.model_fields.get(key)
        if info is None:
            return None
        inner = _inner_model(info.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


_EXPECTED: dict[str, str] = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be an object",
    "finite_number": "must be a finite number",
    "string_too_short": "must not be empty",
}


def _explain(error: Any, root: type[BaseModel]) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op, key = {
            "greater_than_equal": (">=", "ge"),
            "greater_than": (">", "gt"),
            "less_than_equal": ("<=", "le"),
            "less_than": ("<", "lt"),
        }[kind]
        return f"must be {op} {plain_number(ctx[key])}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx['expected']}"
    if kind == "multiple_of":
        return f"must be a multiple of {ctx['multiple_of']}"
    if kind == "too_short":
        n = ctx["min_length"]
        return "must not be empty" if n == 1 else f"must have at least {n} items"
    if kind == "extra_forbidden":
        loc = error["loc"]
        model = _model_at(root, loc[:-1])
        names = _field_names(model) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(names)}"
        return "unknown field" + hint
    message: str = error["msg"]
    return message[:1].lower() + message[1:]


def validation_message(exc: ValidationError, raw: object, root: type[BaseModel]) -> str:
    """One line per pydantic error: ``<object>.<field> = <value>: <what would work>``."""
    lines = []
    for error in exc.errors(include_url=False):
        label = field_label(raw, error["loc"]) or str(root.model_config.get("title", "file"))
        if error["type"] == "missing":
            lines.append(f"{label}: required field is missing")
        elif error["loc"] == ():
            lines.append(f"{label}: {_explain(error, root)}")
        else:
            lines.append(f"{label} = {short_repr(error['input'])}: {_explain(error, root)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# JSON text
# --------------------------------------------------------------------------------------------


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InputFormatError(
                f"malformed JSON: key {key!r} appears twice in one object (keys: "
                f"{', '.join(k for k, _ in pairs)})"
            )
        seen[key] = value
    return seen


def parse_json(text: str) -> object:
    """JSON ``text`` as Python data; :class:`InputFormatError` for malformed JSON, including
    a key that appears twice in one object."""
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as e:
        raise InputFormatError(
            f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise InputFormatError("malformed JSON: nested too deeply") from None


M = TypeVar("M", bound=BaseModel)


def validate_json(model: type[M], text: str) -> tuple[M, object]:
    """``text`` validated as ``model``, and the raw data (to name fields in later errors).

    Raises
    ------
    InputFormatError
        One line per fault (see :func:`validation_message`).
    """
    raw = parse_json(text)
    try:
        return model.model_validate(raw), raw
    except ValidationError as e:
        raise InputFormatError(validation_message(e, raw, model)) from None
