"""Helpers shared by the routers: 404s, re-validating a patched row, paging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db.models import ServiceCentre
from api.schemas import ErrorOut
from api.store.audit import Actor
from scheduler.formats.boundary import ID_PATTERN

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

NEXT_OFFSET = "X-Next-Offset"
"""Set on a list cut at ``limit``: the ``offset`` of the next page (also in ``Link``)."""


@dataclass(frozen=True, slots=True)
class Paging:
    """A list request's ``limit`` and ``offset``; :meth:`cut` says when more items follow."""

    limit: int
    offset: int
    request: Request
    response: Response

    def query(self, query: Select[Any]) -> Select[Any]:
        """``query`` limited to one item more than asked: whether the list is cut."""
        return query.limit(self.limit + 1).offset(self.offset)

    def cut(self, items: Sequence[R]) -> list[R]:
        """The first ``limit`` of ``items`` (fetched by :meth:`query`); when there were
        more, the response says where the next page starts (``X-Next-Offset`` and a
        ``Link: <...>; rel="next"``)."""
        if len(items) <= self.limit:
            return list(items)
        after = self.offset + self.limit
        url = self.request.url.include_query_params(offset=after, limit=self.limit)
        self.response.headers[NEXT_OFFSET] = str(after)
        self.response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
        return list(items[: self.limit])


def paging(request: Request, response: Response, limit: Limit = 100, offset: Offset = 0) -> Paging:
    return Paging(limit, offset, request, response)


Page = Annotated[Paging, Depends(paging)]


def actor(principal: Principal) -> Actor:
    """The audit trail's who: the token's id and role."""
    return Actor(principal.token_id, principal.role.value)


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
