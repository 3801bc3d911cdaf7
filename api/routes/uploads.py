"""Bulk CSV upload: centres, engineers and visits in the datasets formats, all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from api.auth import Principal
from api.config import Settings
from api.csv_import import CsvImportError, CsvUpload, UploadFieldError, check_csv_upload
from api.deps import Dispatcher, SessionDep, SettingsDep
from api.routes.common import ERRORS, actor
from api.schemas import CsvUploadOut, Day, ErrorOut, Timezone
from api.store import audit
from scheduler.formats.boundary import ID_PATTERN
from scheduler.formats.csv_files import (
    ENGINEERS_CSV,
    SERVICE_CENTERS_CSV,
    VISITS_CSV,
    CsvRowError,
    count_records_csv,
)

router = APIRouter(prefix="/uploads", tags=["bulk upload"], responses=ERRORS)

_PART = {SERVICE_CENTERS_CSV: "service_centers", ENGINEERS_CSV: "engineers", VISITS_CSV: "visits"}

CsvFile = Annotated[UploadFile | None, File(description="A CSV file in the datasets format.")]


def _row_error(e: CsvRowError) -> dict[str, Any]:
    """A CSV fault shaped like FastAPI's validation errors, with file, row and column too."""
    loc: list[str | int] = ["body", _PART.get(e.file, e.file)]
    if e.row is not None:
        loc.append(e.row)
        if e.column is not None:
            loc.append(e.column)
    return {
        "type": "csv_row",
        "loc": loc,
        "msg": e.reason,
        "input": e.value,
        "file": e.file,
        "row": e.row,
        "column": e.column,
        "reason": e.reason,
    }


def _read(upload: UploadFile | None, name: str, settings: Settings) -> bytes | None:
    """The file's bytes (the request body is capped at ``max_upload_bytes`` before this);
    413 when it has more than ``max_upload_rows`` data rows."""
    if upload is None:
        return None
    data = upload.file.read(settings.max_upload_bytes + 1)
    rows = count_records_csv(data)
    if rows > settings.max_upload_rows:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{name}: {rows} rows; this server takes at most {settings.max_upload_rows} "
            "rows per file: split it into several uploads",
        )
    return data


def _import(session: Session, upload: CsvUpload, principal: Principal) -> CsvUploadOut:
    try:
        checked = check_csv_upload(session, upload)
    except UploadFieldError as e:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", e.field), "msg": e.message, "input": e.value}]
        ) from None
    except CsvImportError as e:
        raise RequestValidationError([_row_error(x) for x in e.errors]) from None
    checked.add_to(session)
    audit.record(
        session,
        actor(principal),
        "create",
        "upload",
        "csv",
        service_centres=len(checked.centres),
        engineers=len(checked.engineers),
        visits=len(checked.visits),
    )
    session.commit()
    return CsvUploadOut(
        service_centre_ids=[c.id for c in checked.centres],
        engineer_ids=[e.id for e in checked.engineers],
        visit_ids=[v.id for v in checked.visits],
    )


@router.post(
    "/csv",
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"model": ErrorOut, "description": "The upload or one of its files is too large."},
        422: {
            "description": "A form field is wrong, or CSV rows are: every faulty row is "
            "listed (`file`, `row` as a spreadsheet numbers it, `column`, `reason`, and `loc` "
            "= body, file field, row, column); nothing was imported."
        },
    },
)
def upload_csv(
    session: SessionDep,
    settings: SettingsDep,
    principal: Dispatcher,
    service_centers: CsvFile = None,
    engineers: CsvFile = None,
    visits: CsvFile = None,
    date: Annotated[
        Day | None, Form(description="The day of the visits in visits.csv, YYYY-MM-DD.")
    ] = None,
    service_centre_id: Annotated[
        str | None,
        Form(
            pattern=ID_PATTERN,
            description="The centre the visits belong to; may be left out when "
            "service_centers.csv has exactly one centre.",
        ),
    ] = None,
    timezone: Annotated[
        Timezone, Form(description="IANA time zone of the centres in service_centers.csv.")
    ] = "UTC",
) -> CsvUploadOut:
    """Create centres, engineers and visits from `service_centers.csv`, `engineers.csv` and
    `visits.csv` (any of them; the datasets CSV formats), in one transaction.

    At most ``max_upload_bytes`` in all and ``max_upload_rows`` rows per file (413 beyond).
    All or nothing: one bad row anywhere (a bad cell, an id already stored or used twice, a
    centre or engineer that exists neither stored nor in the upload) and nothing is created;
    the 422 lists every bad row of every file.
    """
    upload = CsvUpload(
        service_centers=_read(service_centers, "service_centers", settings),
        engineers=_read(engineers, "engineers", settings),
        visits=_read(visits, "visits", settings),
        date=date,
        service_centre_id=service_centre_id,
        timezone=timezone,
    )
    return _import(session, upload, principal)
