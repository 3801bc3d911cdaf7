"""Service centres: dispatchers write, dispatchers and planners read."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import ServiceCentre
from api.deps import Dispatcher, SessionDep, Staff
from api.routes.common import (
    ERRORS,
    Page,
    PathId,
    actor,
    conflict,
    get_or_404,
    patched,
)
from api.schemas import ServiceCentreFields, ServiceCentreIn, ServiceCentreOut, ServiceCentrePatch
from api.store import audit

router = APIRouter(prefix="/service-centres", tags=["service centres"], responses=ERRORS)


def centre_out(row: ServiceCentre) -> ServiceCentreOut:
    return ServiceCentreOut.model_validate(row)


def centre_fields(row: ServiceCentre) -> dict[str, object]:
    return {
        "name": row.name,
        "address": row.address,
        "lat": row.lat,
        "lon": row.lon,
        "timezone": row.timezone,
    }


@router.post("", status_code=status.HTTP_201_CREATED)
def create_centre(
    body: ServiceCentreIn, session: SessionDep, principal: Dispatcher, response: Response
) -> ServiceCentreOut:
    """Add a service centre; 409 when the id is taken."""
    if session.get(ServiceCentre, body.id) is not None:
        raise conflict(f"service centre {body.id!r} already exists")
    row = ServiceCentre(**body.model_dump())
    session.add(row)
    audit.record(session, actor(principal), "create", "service_centre", row.id)
    session.commit()
    response.headers["Location"] = f"/service-centres/{row.id}"
    return centre_out(row)


@router.get("")
def list_centres(session: SessionDep, _: Staff, page: Page) -> list[ServiceCentreOut]:
    """All service centres, by id; a list cut at ``limit`` says where the next page starts
    (``X-Next-Offset``, ``Link``)."""
    rows = session.scalars(page.query(select(ServiceCentre).order_by(ServiceCentre.id))).all()
    return [centre_out(r) for r in page.cut(rows)]


@router.get("/{centre_id}")
def get_centre(centre_id: PathId, session: SessionDep, _: Staff) -> ServiceCentreOut:
    row = get_or_404(session, ServiceCentre, centre_id, "service centre")
    return centre_out(row)


@router.patch("/{centre_id}")
def update_centre(
    centre_id: PathId, body: ServiceCentrePatch, session: SessionDep, principal: Dispatcher
) -> ServiceCentreOut:
    """Change the fields sent; the others keep their values."""
    row = get_or_404(session, ServiceCentre, centre_id, "service centre")
    merged = patched(ServiceCentreFields, centre_fields(row), body)
    values = merged.model_dump()
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    audit.record(session, actor(principal), "change", "service_centre", centre_id, fields=changed)
    session.commit()
    return centre_out(row)


@router.delete("/{centre_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_centre(centre_id: PathId, session: SessionDep, principal: Dispatcher) -> None:
    """Delete a centre; 409 while engineers, visits or plans still refer to it."""
    row = get_or_404(session, ServiceCentre, centre_id, "service centre")
    session.delete(row)
    try:
        session.flush()
        audit.record(session, actor(principal), "delete", "service_centre", centre_id)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise conflict(
            f"service centre {centre_id!r} still has engineers, visits or plans; "
            "delete or move them first"
        ) from None
