"""Bulk import of the datasets CSV formats into stored centres, engineers and visits.

``check_csv_upload`` reads any of ``service_centers.csv``, ``engineers.csv`` and
``visits.csv`` (parsed by ``scheduler.formats.csv_files``), checks every row against the same
request models as the JSON endpoints and against the database (ids already taken, centres
and engineers that exist neither there nor in the upload), and returns the rows to add —
or raises ``CsvImportError`` listing every fault, so that nothing is half-imported.

The service's model is narrower than the files' in a few places; rather than dropping data
silently, a row that uses them is rejected with the reason: every engineer starts and ends
at their service centre (no ``start_*``/``end_*`` elsewhere, no ``load_capacity`` or
``max_route_duration_min``), visits have no ``load`` and the default lateness cost. Visit
details without a column of their own (``device``, ``details.<key>``) are kept in ``notes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.db.models import Engineer, ServiceCentre, Visit
from api.schemas import EngineerIn, ServiceCentreIn, VisitIn
from scheduler.formats.clock import wall_seconds, wall_text
from scheduler.formats.csv_files import (
    ENGINEERS_CSV,
    SERVICE_CENTERS_CSV,
    VISITS_CSV,
    CsvRowError,
    EngineerRow,
    ServiceCenterRow,
    VisitRow,
    read_rows_csv,
)

DEFAULT_LATENESS_COST_PER_HOUR = 3600
"""The CSV default; the service plans soft windows with the core's default cost."""

# Request-model field -> the CSV column a fault in it is reported on.
_CENTRE_COLUMNS = {"id": "id", "name": "name", "lat": "lat", "lon": "lon"}
_ENGINEER_COLUMNS = {
    "id": "id",
    "name": "name",
    "service_centre_id": "service_center",
    "skills": "skills",
    "shift_start": "shift_start",
    "shift_end": "shift_end",
    "breaks": "breaks",
    "overtime_max_min": "overtime_max_min",
}
_VISIT_COLUMNS = {
    "id": "id",
    "kind": "kind",
    "lat": "lat",
    "lon": "lon",
    "address": "address",
    "duration_min": "duration_min",
    "time_windows": "time_windows",
    "soft_windows": "soft_windows",
    "required_skills": "required_skills",
    "priority": "priority",
    "allowed_engineers": "allowed_engineers",
    "preferred_engineers": "preferred_engineers",
    "engineers_required": "engineers_required",
    "job_type": "job_type",
    "customer_name": "customer",
    "customer_phone": "phone",
    "notes": "notes",
}
# Visit details with a field of their own; any other detail is appended to the notes.
_DETAIL_FIELDS = {
    "address": "address",
    "job_type": "job_type",
    "customer": "customer_name",
    "phone": "customer_phone",
}


_CLOCK_FIELDS = {"shift_start", "shift_end", "earliest_start", "latest_end", "start", "end"}


class CsvImportError(ValueError):
    """The upload was rejected; ``errors`` lists every fault (file, row, column, reason)."""

    def __init__(self, errors: Sequence[CsvRowError]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} faults in the CSV upload; nothing imported")


class UploadFieldError(ValueError):
    """A form field of the upload (not a CSV cell) is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.field, self.message, self.value = field, message, value


@dataclass(frozen=True, slots=True)
class CsvUpload:
    """The uploaded files' bytes (None: not sent) and what the files do not say.

    ``date`` and ``service_centre_id`` place the visits (the CSV has neither);
    ``timezone`` is the IANA zone of the centres created.
    """

    service_centers: bytes | None = None
    engineers: bytes | None = None
    visits: bytes | None = None
    date: dt.date | None = None
    service_centre_id: str | None = None
    timezone: str = "UTC"


@dataclass
class CheckedUpload:
    """Rows ready to add, in an order the foreign keys accept."""

    centres: list[ServiceCentre] = field(default_factory=list)
    engineers: list[Engineer] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)

    def add_to(self, session: Session) -> None:
        session.add_all(self.centres)
        session.flush()
        session.add_all(self.engineers)
        session.add_all(self.visits)


def _parse(data: bytes | None, file: str, errors: list[CsvRowError]) -> tuple[list[Any], bool]:
    """The file's good rows, and whether every row was good (an absent file is clean); the
    faults of its bad rows go to ``errors``, and its good rows are checked on (ids taken,
    references), so that one upload reports every fault at once."""
    if data is None:
        return [], True
    rows, faults = read_rows_csv(data, file)
    errors.extend(faults)
    return rows, not faults


def _existing(session: Session, column: InstrumentedAttribute[str], ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are stored in ``column`` (asked in chunks: SQLite caps parameters)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        found.update(session.scalars(select(column).where(column.in_(wanted[i : i + 500]))))
    return found


def _validated(
    model: type[BaseModel],
    body: dict[str, Any],
    file: str,
    row: int,
    columns: Mapping[str, str],
    errors: list[CsvRowError],
) -> Any:
    """``body`` checked by the JSON endpoint's request ``model``; None after recording its
    faults on the CSV columns they come from."""
    try:
        return model.model_validate(body)
    except ValidationError as e:
        for err in e.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else None
            column = columns.get(name) if name else None
            reason = err["msg"].removeprefix("Value error, ")
            last = err["loc"][-1] if err["loc"] else None
            if err["type"] == "string_pattern_mismatch" and last in _CLOCK_FIELDS:
                reason = "must be a clock time HH:MM (00:00 to 24:00): the service plans minutes"
            elif err["type"] == "string_pattern_mismatch":
                reason = "must be letters, digits and . _ : - (up to 64, first a letter or digit)"
            elif name is not None and column is None:
                reason = f"{name}: {reason}"
            value = err.get("input")
            shown = None if isinstance(value, dict | list | tuple) else value
            errors.append(CsvRowError(file, row, column, reason, _text(shown)))
        return None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _as_stored(clock: str) -> str:
    """A CSV clock time as the service stores it, ``HH:MM`` (so ``8:00`` and ``08:00:00``
    too); any other text unchanged, for the request model to refuse with its message."""
    seconds = wall_seconds(clock)
    return clock if seconds is None else wall_text(seconds)


# ----------------------------------------------------------------- one file each


def _check_centres(
    rows: Sequence[ServiceCenterRow],
    upload: CsvUpload,
    session: Session,
    errors: list[CsvRowError],
) -> list[ServiceCentre]:
    taken = _existing(session, ServiceCentre.id, (r.id for r in rows))
    out = []
    for r in rows:
        if r.id in taken:
            errors.append(
                CsvRowError(
                    SERVICE_CENTERS_CSV, r.row, "id", "a service centre with this id exists", r.id
                )
            )
            continue
        body = {"id": r.id, "name": r.name, "lat": r.lat, "lon": r.lon}
        checked = _validated(
            ServiceCentreIn,
            {**body, "timezone": upload.timezone},
            SERVICE_CENTERS_CSV,
            r.row,
            _CENTRE_COLUMNS,
            errors,
        )
        if checked is not None:
            out.append(ServiceCentre(**checked.model_dump()))
    return out


def _engineer_unsupported(r: EngineerRow, centre_locations: Mapping[str, str]) -> list[str]:
    """Columns of ``r`` that use what the service does not model."""
    bad = []
    own = (r.service_center, centre_locations.get(r.service_center or ""))
    for which in ("start", "end"):
        if getattr(r, f"{which}_lat") is not None:
            bad.append(f"{which}_lat")
        elif getattr(r, f"{which}_location") not in (None, "", *own):
            bad.append(f"{which}_location")
    if r.load_capacity is not None:
        bad.append("load_capacity")
    if r.max_route_duration_min is not None:
        bad.append("max_route_duration_min")
    return bad


def _check_engineers(
    rows: Sequence[EngineerRow],
    centres: Collection[str],
    centre_locations: Mapping[str, str],
    check_centres: bool,
    session: Session,
    errors: list[CsvRowError],
) -> list[Engineer]:
    taken = _existing(session, Engineer.id, (r.id for r in rows))
    stored = _existing(session, ServiceCentre.id, (r.service_center or "" for r in rows))
    out = []
    for r in rows:
        faults = len(errors)
        if r.id in taken:
            errors.append(
                CsvRowError(ENGINEERS_CSV, r.row, "id", "an engineer with this id exists", r.id)
            )
        if not r.service_center:
            errors.append(
                CsvRowError(
                    ENGINEERS_CSV,
                    r.row,
                    "service_center",
                    "is empty: the service needs each engineer's service centre "
                    "(engineers leave from and return to it)",
                )
            )
        elif (
            r.service_center not in stored
            and r.service_center not in centres
            and check_centres  # else it may be a row of service_centers.csv that was rejected
        ):
            errors.append(
                CsvRowError(
                    ENGINEERS_CSV,
                    r.row,
                    "service_center",
                    "is no stored service centre and not in service_centers.csv",
                    r.service_center,
                )
            )
        for column in _engineer_unsupported(r, centre_locations):
            errors.append(
                CsvRowError(
                    ENGINEERS_CSV,
                    r.row,
                    column,
                    "not supported by the service: engineers start and end at their service "
                    "centre, without a load capacity or route-duration limit; leave it empty",
                    _text(getattr(r, column)),
                )
            )
        body = {
            "id": r.id,
            "name": r.name,
            # A placeholder when empty (already reported), so the other cells are checked.
            "service_centre_id": r.service_center or "unset",
            "skills": list(r.skills),
            "shift_start": _as_stored(r.shift_start),
            "shift_end": _as_stored(r.shift_end),
            "breaks": [
                {
                    "duration_min": b.duration_min,
                    "earliest_start": _as_stored(b.earliest_start),
                    "latest_end": _as_stored(b.latest_end),
                }
                for b in r.breaks
            ],
            "overtime_max_min": r.overtime_max_min,
        }
        checked = _validated(EngineerIn, body, ENGINEERS_CSV, r.row, _ENGINEER_COLUMNS, errors)
        if checked is not None and len(errors) == faults:
            out.append(Engineer(**checked.model_dump(mode="json")))
    return out


def _notes(details: Mapping[str, str]) -> str:
    """The ``notes`` detail, then every detail without a field of its own, one per line."""
    lines = [details["notes"]] if details.get("notes") else []
    lines += [
        f"{key}: {value}"
        for key, value in details.items()
        if key not in _DETAIL_FIELDS and key != "notes" and value
    ]
    return "\n".join(lines)


def _check_visits(
    rows: Sequence[VisitRow],
    upload: CsvUpload,
    centre_id: str,
    engineers: Collection[str],
    check_engineers: bool,
    session: Session,
    errors: list[CsvRowError],
) -> list[Visit]:
    if not rows:
        return []
    assert upload.date is not None  # checked with the form fields
    taken = _existing(session, Visit.id, (r.id for r in rows))
    named = {e for r in rows for e in (*r.allowed_engineers, *r.preferred_engineers)}
    known = _existing(session, Engineer.id, named) | set(engineers)
    out = []
    for r in rows:
        faults = len(errors)
        if r.id in taken:
            errors.append(CsvRowError(VISITS_CSV, r.row, "id", "a visit with this id exists", r.id))
        for column in ("allowed_engineers", "preferred_engineers"):
            unknown = [e for e in getattr(r, column) if e not in known]
            if unknown and check_engineers:
                errors.append(
                    CsvRowError(
                        VISITS_CSV,
                        r.row,
                        column,
                        f"{', '.join(map(repr, unknown))}: no stored engineer and not in "
                        "engineers.csv",
                        ";".join(getattr(r, column)),
                    )
                )
        if r.load:
            errors.append(
                CsvRowError(
                    VISITS_CSV,
                    r.row,
                    "load",
                    "not supported by the service (no load capacities); leave it empty or 0",
                    str(r.load),
                )
            )
        if r.lateness_cost_per_hour != DEFAULT_LATENESS_COST_PER_HOUR:
            errors.append(
                CsvRowError(
                    VISITS_CSV,
                    r.row,
                    "lateness_cost_per_hour",
                    f"not supported by the service: leave it empty (the default, "
                    f"{DEFAULT_LATENESS_COST_PER_HOUR})",
                    str(r.lateness_cost_per_hour),
                )
            )
        body: dict[str, Any] = {
            "id": r.id,
            "service_centre_id": centre_id,
            "date": upload.date,
            "kind": r.kind,
            "lat": r.lat,
            "lon": r.lon,
            "duration_min": r.duration_min,
            "time_windows": [
                {"start": _as_stored(s), "end": _as_stored(e)} for s, e in r.time_windows
            ],
            "soft_windows": r.soft_windows,
            "required_skills": list(r.required_skills),
            "priority": r.priority,
            "allowed_engineers": list(r.allowed_engineers),
            "preferred_engineers": list(r.preferred_engineers),
            "engineers_required": r.engineers_required,
            "notes": _notes(r.details),
        }
        for key, name in _DETAIL_FIELDS.items():
            if r.details.get(key):
                body[name] = r.details[key]
        checked = _validated(VisitIn, body, VISITS_CSV, r.row, _VISIT_COLUMNS, errors)
        if checked is not None and len(errors) == faults:
            values = checked.model_dump(mode="json")
            values["date"] = checked.date
            out.append(Visit(**values))
    return out


# ----------------------------------------------------------------- the upload


def check_csv_upload(session: Session, upload: CsvUpload) -> CheckedUpload:
    """The rows ``upload`` creates, checked; nothing is written to ``session``.

    Raises
    ------
    UploadFieldError
        A form field is missing or wrong (no file, no ``date`` with visits, ...).
    CsvImportError
        Listing every faulty row of every file, by file, row and column.
    """
    if upload.service_centers is None and upload.engineers is None and upload.visits is None:
        raise UploadFieldError(
            "service_centers", "send at least one file: service_centers, engineers or visits"
        )
    errors: list[CsvRowError] = []
    centre_rows, centres_clean = _parse(upload.service_centers, SERVICE_CENTERS_CSV, errors)
    engineer_rows, engineers_clean = _parse(upload.engineers, ENGINEERS_CSV, errors)
    visit_rows, _ = _parse(upload.visits, VISITS_CSV, errors)

    centre_id = ""
    if upload.visits is not None:
        if upload.date is None:
            raise UploadFieldError("date", "visits.csv needs the date of its visits (YYYY-MM-DD)")
        if upload.service_centre_id is not None:
            centre_id = upload.service_centre_id
        elif upload.service_centers is not None and len(centre_rows) == 1 and centres_clean:
            centre_id = centre_rows[0].id
        elif upload.service_centers is not None and not centres_clean:
            raise CsvImportError(errors)  # its one centre may be a rejected row: those first
        else:
            raise UploadFieldError(
                "service_centre_id",
                "visits.csv needs the id of the service centre its visits belong to "
                "(optional only when service_centers.csv has exactly one centre)",
            )
        in_upload = any(r.id == centre_id for r in centre_rows)
        if not in_upload and session.get(ServiceCentre, centre_id) is None and centres_clean:
            raise UploadFieldError(
                "service_centre_id",
                f"service centre {centre_id!r} is neither stored nor in service_centers.csv",
                centre_id,
            )

    checked = CheckedUpload()
    checked.centres = _check_centres(centre_rows, upload, session, errors)
    checked.engineers = _check_engineers(
        engineer_rows,
        {r.id for r in centre_rows},
        {r.id: r.location for r in centre_rows},
        centres_clean,
        session,
        errors,
    )
    checked.visits = _check_visits(
        visit_rows,
        upload,
        centre_id,
        {r.id for r in engineer_rows},
        engineers_clean,
        session,
        errors,
    )
    if errors:
        order = {SERVICE_CENTERS_CSV: 0, ENGINEERS_CSV: 1, VISITS_CSV: 2}
        raise CsvImportError(
            sorted(errors, key=lambda e: (order.get(e.file, 3), e.row or 0, e.column or ""))
        )
    return checked
