"""Engineers: dispatchers write; dispatchers, planners and the engineer themself read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from api.auth import Principal, Role
from api.db.models import Engineer
from api.deps import Dispatcher, PrincipalDep, SessionDep, Staff
from api.routes.common import (
    ERRORS,
    IdQuery,
    Limit,
    Offset,
    PathId,
    check_centre_exists,
    conflict,
    get_or_404,
    patched,
)
from api.schemas import EngineerFields, EngineerIn, EngineerOut, EngineerPatch

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
    body: EngineerIn, session: SessionDep, _: Dispatcher, response: Response
) -> EngineerOut:
    """Add an engineer at a service centre; 409 when the id is taken."""
    if session.get(Engineer, body.id) is not None:
        raise conflict(f"engineer {body.id!r} already exists")
    check_centre_exists(session, body.service_centre_id)
    row = Engineer(**body.model_dump(mode="json"))
    session.add(row)
    session.commit()
    response.headers["Location"] = f"/engineers/{row.id}"
    return engineer_out(row)


@router.get("")
def list_engineers(
    session: SessionDep,
    _: Staff,
    service_centre_id: IdQuery = None,
    active: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[EngineerOut]:
    """Engineers by id, optionally only those of one centre or only (in)active ones."""
    query = select(Engineer).order_by(Engineer.id)
    if service_centre_id is not None:
        query = query.where(Engineer.service_centre_id == service_centre_id)
    if active is not None:
        query = query.where(Engineer.active == active)
    return [engineer_out(r) for r in session.scalars(query.limit(limit).offset(offset))]


@router.get("/{engineer_id}")
def get_engineer(engineer_id: PathId, session: SessionDep, principal: PrincipalDep) -> EngineerOut:
    check_self_or_staff(principal, engineer_id)
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    return engineer_out(row)


@router.patch("/{engineer_id}")
def update_engineer(
    engineer_id: PathId, body: EngineerPatch, session: SessionDep, _: Dispatcher
) -> EngineerOut:
    """Change the fields sent; the others keep their values."""
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    merged = patched(EngineerFields, engineer_fields(row), body)
    if merged.service_centre_id != row.service_centre_id:
        check_centre_exists(session, merged.service_centre_id)
    for key, value in merged.model_dump(mode="json").items():
        setattr(row, key, value)
    session.commit()
    return engineer_out(row)


@router.delete("/{engineer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_engineer(engineer_id: PathId, session: SessionDep, _: Dispatcher) -> None:
    """Delete an engineer (plans already made keep their copy of the engineer)."""
    row = get_or_404(session, Engineer, engineer_id, "engineer")
    session.delete(row)
    session.commit()
