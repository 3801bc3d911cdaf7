"""Engineers: dispatchers write; dispatchers, planners and the engineer themself read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from api.auth import Principal, Role
from api.db.models import Engineer
from api.deps import Dispatcher, PrincipalDep, SessionDep, Staff
from api.lifecycle import check_engineer_unpublished, revoke_engineer_tokens
from api.routes.common import (
    ERRORS,
    IdQuery,
    Page,
    PathId,
    actor,
    check_centre_exists,
    conflict,
    get_or_404,
    patched,
)
from api.schemas import EngineerFields, EngineerIn, EngineerOut, EngineerPatch
from api.store import audit

router = APIRouter(prefix="/engineers", tags=["engineers"], responses=ERRORS)


def engineer_out(row: Engineer) -> EngineerOut:
    return EngineerOut.model_validate(row)


def engineer_fields(row: Engineer) -> dict[str, object]:
    return {
        "name": row.name,
        "service_centre_id": row.service_centre_id,
        "skills": row.skills,
        "shift_start": row.shift_start,
        "shift_end": row.shift_end,
        "breaks": row.breaks,
        "overtime_max_min": row.overtime_max_min,
        "phone": row.phone,
        "active": row.active,
    }


def check_self_or_staff(principal: Principal, engineer_id: str) -> None:
    """403 for an engineer asking about another engineer."""
    if principal.role is Role.ENGINEER and principal.engineer_id != engineer_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "an engineer token may only see its own engineer"
        )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_engineer(
    body: EngineerIn, session: SessionDep, principal: Dispatcher, response: Response
) -> EngineerOut:
    """Add an engineer at a service centre; 409 when the id is taken."""
    if session.get(Engineer, body.id) is not None:
        raise conflict(f"engineer {body.id!r} already exists")
    check_centre_exists(session, body.service_centre_id)
    row = Engineer(**body.model_dump(mode="json"))
    session.add(row)
    audit.record(session, actor(principal), "create", "engineer", row.id)
    session.commit()
    response.headers["Location"] = f"/engineers/{row.id}"
    return engineer_out(row)


@router.get("")
def list_engineers(
    session: SessionDep,
    _: Staff,
    page: Page,
    service_centre_id: IdQuery = None,
    active: bool | None = None,
) -> list[EngineerOut]:
    """Engineers by id, optionally only those of one centre or only (in)active ones; a
    list cut at ``limit`` says where the next page starts (``X-Next-Offset``, ``Link``)."""
    query = select(Engineer).order_by(Engineer.id)
    if service_centre_id is not None:
        query = query.where(Engineer.service_centre_id == service_centre_id)
    if active is not None:
        query = query.where(Engineer.active == active)
    return [engineer_out(r) for r in page.cut(session.scalars(page.query(query)).all())]


@router.get("/{engineer_id}")
def get_engineer(engineer_id: PathId, session: SessionDep, principal: PrincipalDep) -> EngineerOut:
    check_self_or_staff(principal, engineer_id)
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    return engineer_out(row)


@router.patch("/{engineer_id}")
def update_engineer(
    engineer_id: PathId, body: EngineerPatch, session: SessionDep, principal: Dispatcher
) -> EngineerOut:
    """Change the fields sent; the others keep their values.

    Deactivating (``active: false``) is a 409 while the engineer is on a published plan of
    a day not yet over; once deactivated, their tokens are revoked.
    """
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    merged = patched(EngineerFields, engineer_fields(row), body)
    if merged.service_centre_id != row.service_centre_id:
        check_centre_exists(session, merged.service_centre_id)
    deactivated = row.active and not merged.active
    if deactivated:
        check_engineer_unpublished(session, engineer_id, "deactivating them")
    values = merged.model_dump(mode="json")
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    audit.record(session, actor(principal), "change", "engineer", engineer_id, fields=changed)
    if deactivated:
        for token_id in revoke_engineer_tokens(session, engineer_id):
            audit.record(session, actor(principal), "revoke", "token", token_id)
    session.commit()
    return engineer_out(row)


@router.delete("/{engineer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_engineer(engineer_id: PathId, session: SessionDep, principal: Dispatcher) -> None:
    """Delete an engineer and revoke their tokens (plans already made keep their copy of
    the engineer). 409 while they are on a published plan of a day not yet over."""
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    check_engineer_unpublished(session, engineer_id, "deleting them")
    session.delete(row)
    audit.record(session, actor(principal), "delete", "engineer", engineer_id)
    for token_id in revoke_engineer_tokens(session, engineer_id):
        audit.record(session, actor(principal), "revoke", "token", token_id)
    session.commit()
