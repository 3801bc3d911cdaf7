"""Helpers shared by the routers: 404s, re-validating a patched row, paging."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Path, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from api.db.models import ServiceCentre
from api.schemas import ID_PATTERN, ErrorOut

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

PathId = Annotated[str, Path(pattern=ID_PATTERN, description="The id given at creation.")]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not parseable (not JSON, not UTF-8)."},
    401: {"model": ErrorOut, "description": "No valid bearer token."},
    403: {"model": ErrorOut, "description": "The token's role may not do this."},
    404: {"model": ErrorOut, "description": "No such id (or nothing published)."},
    409: {"model": ErrorOut, "description": "Conflicts with the stored state."},
}

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many items first.")]


def not_found(what: str, key: object) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} {key!r} does not exist")


def get_or_404(session: Session, model: type[R], key: str | int, what: str) -> R:
    """The row of ``model`` with primary key ``key``, or a 404 naming ``what`` and the key."""
    row = session.get(model, key)
    if row is None:
        raise not_found(what, key)
    return row


def check_centre_exists(session: Session, centre_id: str) -> None:
    """422 on ``service_centre_id`` when no such service centre is stored."""
    if session.get(ServiceCentre, centre_id) is None:
        raise body_error(
            "service_centre_id", f"service centre {centre_id!r} does not exist", centre_id
        )


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)


def body_error(field: str, message: str, value: object = None) -> RequestValidationError:
    """A 422 pointing at ``body.<field>``, shaped like FastAPI's own validation errors."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": message, "input": value}]
    )


def patched(model: type[M], current: dict[str, Any], patch: BaseModel) -> M:
    """``current`` with the fields sent in ``patch``, validated as a whole by ``model``."""
    data = {**current, **patch.model_dump(exclude_unset=True)}
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in e.errors(include_url=False)]
        for err in errors:
            err.pop("ctx", None)
        raise RequestValidationError(errors) from None
