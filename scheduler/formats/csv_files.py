"""CSV formats for a service day: ``service_centers.csv``, ``engineers.csv``, ``visits.csv``.

The three files are a flat, spreadsheet-friendly form of the problem file (see
``datasets/README.md`` for every column, with an example): one row per centre, engineer or
visit; coordinates sit on the rows that use them; lists are ``;``-separated; times are
``HH:MM`` (or ISO 8601, as in the problem file); durations are minutes.

Reading never half-imports: every bad row is reported, with the file, the row number a
spreadsheet shows (the header is row 1), the column and the reason, in one
:class:`CsvFormatError` whose ``errors`` lists them as :class:`CsvRowError`.

* ``parse_service_centers_csv`` / ``parse_engineers_csv`` / ``parse_visits_csv`` check one
  file (e.g. an upload) on its own and return typed rows;
* ``read_csv(directory, date=...)`` reads the three files into a checked
  :class:`~scheduler.domain.Problem`, also checking references between files;
* ``write_csv(problem, directory)`` writes them; ``read_csv`` gives the problem back equal
  (locations in order of first use: centres, engineers, visits; no travel-time matrix).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import io
import itertools
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from scheduler.domain import Problem, SolveOptions
from scheduler.errors import InputFormatError, ProblemError
from scheduler.formats.clock import parse_clock, wall_seconds
from scheduler.formats.problem_file import (
    EngineerFile,
    ServiceCenterFile,
    VisitFile,
    problem_from_json,
    problem_to_json,
)

SERVICE_CENTERS_CSV = "service_centers.csv"
ENGINEERS_CSV = "engineers.csv"
VISITS_CSV = "visits.csv"

LIST_SEPARATORS = re.compile(r"[;,|]")
DETAILS_PREFIX = "details."
DETAIL_COLUMNS = ("job_type", "customer", "address", "phone", "notes", "device", "title", "venue")
"""Visit details that have a column of their own; any other goes in ``details.<key>``."""

CsvSource = bytes | str | os.PathLike[str]
"""CSV content as bytes (an upload) or text, or a path (``pathlib.Path``) to read."""


# ------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class CsvRowError:
    """One fault: ``file``, spreadsheet ``row`` (1 = header; None = the whole file),
    ``column`` (None = the whole row), the cell ``value`` and the ``reason``."""

    file: str
    row: int | None
    column: str | None
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        value = f" = {self.value!r}" if self.value not in (None, "") else ""
        return f"{where}{value}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CsvFormatError(InputFormatError):
    """CSV input was rejected; ``errors`` lists every fault found (nothing was imported)."""

    def __init__(self, errors: Sequence[CsvRowError]) -> None:
        self.errors: tuple[CsvRowError, ...] = tuple(errors)
        n = len(self.errors)
        head = f"{n} error{'s' if n != 1 else ''} in the CSV input, nothing imported:"
        super().__init__("\n".join([head, *(str(e) for e in self.errors)]))


# -------------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class ServiceCenterRow:
    """A row of ``service_centers.csv``; ``location`` defaults to the centre's id."""

    row: int
    id: str
    name: str
    location: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class BreakSpec:
    """``duration_min`` minutes inside [``earliest_start``, ``latest_end``] (clock times)."""

    duration_min: float
    earliest_start: str
    latest_end: str


@dataclass(frozen=True, slots=True)
class EngineerRow:
    """A row of ``engineers.csv``. Start and end default to the service centre's location
    (end: to the start); ``*_lat``/``*_lon`` place a start or end that is no centre."""

    row: int
    id: str
    name: str
    service_center: str | None
    start_location: str | None
    start_lat: float | None
    start_lon: float | None
    end_location: str | None
    end_lat: float | None
    end_lon: float | None
    shift_start: str
    shift_end: str
    breaks: tuple[BreakSpec, ...]
    skills: tuple[str, ...]
    overtime_max_min: float
    load_capacity: int | None
    max_route_duration_min: float | None


@dataclass(frozen=True, slots=True)
class VisitRow:
    """A row of ``visits.csv``; ``location`` defaults to the visit's id, ``details`` holds
    the detail columns (text)."""

    row: int
    id: str
    kind: str
    location: str
    lat: float
    lon: float
    duration_min: float
    time_windows: tuple[tuple[str, str], ...]
    soft_windows: bool
    lateness_cost_per_hour: int
    required_skills: tuple[str, ...]
    priority: int
    engineers_required: int
    allowed_engineers: tuple[str, ...]
    preferred_engineers: tuple[str, ...]
    load: int
    details: Mapping[str, str]


# ------------------------------------------------------------------------- cell parsing


class _CellError(ValueError):
    """A cell that is not what its column needs; the message is the reason."""


_TIME_TOKEN = r"\d{1,2}:\d{2}(?::\d{2})?|\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?"
_WINDOW = re.compile(rf"\s*({_TIME_TOKEN})\s*-\s*({_TIME_TOKEN})\s*")
_BREAK = re.compile(rf"\s*(\d+(?:\.\d+)?)\s*@\s*({_TIME_TOKEN})\s*-\s*({_TIME_TOKEN})\s*")
_TIME_HELP = "use HH:MM (e.g. 08:30) or an ISO 8601 date-time"


def _clock(text: str) -> str:
    """``text`` if it is a clock time the problem file accepts, else :class:`_CellError`."""
    try:
        parse_clock(text)
    except ValueError:
        raise _CellError(f"not a time: {_TIME_HELP}") from None
    return text


def _float(text: str) -> float:
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 else text)
    except ValueError:
        raise _CellError("not a number") from None
    if not math.isfinite(value):
        raise _CellError("not a finite number")
    return value


def _int(text: str) -> int:
    value = _float(text)
    if value != int(value):
        raise _CellError("not a whole number")
    return int(value)


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "y", "1"):
        return True
    if low in ("false", "no", "n", "0"):
        return False
    raise _CellError("not true/false (also yes/no, 1/0)")


def _ids(text: str) -> tuple[str, ...]:
    parts = [p.strip() for p in LIST_SEPARATORS.split(text)]
    if any(not p for p in parts):
        raise _CellError("has an empty item: separate ids with ';' (e.g. a;b)")
    return tuple(parts)


def _windows(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in text.split(";"):
        m = _WINDOW.fullmatch(part)
        if m is None:
            raise _CellError(
                f"{part.strip()!r} is not a window START-END: e.g. 08:00-10:00, several "
                "separated by ';' (08:00-10:00;14:00-16:00)"
            )
        start, end = _clock(m[1]), _clock(m[2])
        a, b = wall_seconds(start), wall_seconds(end)
        if a is not None and b is not None and b < a:
            raise _CellError(f"window {part.strip()!r} ends before it starts")
        out.append((start, end))
    spans = sorted(
        (a, b)
        for a, b in ((wall_seconds(s), wall_seconds(e)) for s, e in out)
        if a is not None and b is not None
    )
    for (_, earlier_end), (later_start, _) in itertools.pairwise(spans):
        if later_start <= earlier_end:
            raise _CellError("windows overlap: they must be disjoint")
    return tuple(out)


def _breaks(text: str) -> tuple[BreakSpec, ...]:
    out = []
    for part in text.split(";"):
        m = _BREAK.fullmatch(part)
        if m is None:
            raise _CellError(
                f"{part.strip()!r} is not a break MINUTES@EARLIEST-LATEST: e.g. 30@11:00-13:30 "
                "(30 minutes taken between 11:00 and 13:30), several separated by ';'"
            )
        minutes, start, end = float(m[1]), _clock(m[2]), _clock(m[3])
        a, b = wall_seconds(start), wall_seconds(end)
        if minutes <= 0:
            raise _CellError(f"break {part.strip()!r} must last more than 0 minutes")
        if a is not None and b is not None and (b - a) < minutes * 60:
            raise _CellError(f"break {part.strip()!r}: {minutes:g} min do not fit between them")
        out.append(BreakSpec(minutes, start, end))
    return tuple(out)


def _text(text: str) -> str:
    return text


@dataclass(frozen=True)
class _Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None  # for a blank cell; a placeholder for required columns


def _columns(*cols: _Column) -> dict[str, _Column]:
    return {c.name: c for c in cols}


SERVICE_CENTER_COLUMNS = _columns(
    _Column("id", _text, required=True, default="?"),
    _Column("name", _text, default=""),
    _Column("location", _text),
    _Column("lat", _float, required=True, default=0.0),
    _Column("lon", _float, required=True, default=0.0),
)
ENGINEER_COLUMNS = _columns(
    _Column("id", _text, required=True, default="?"),
    _Column("name", _text, default=""),
    _Column("service_center", _text),
    _Column("start_location", _text),
    _Column("start_lat", _float),
    _Column("start_lon", _float),
    _Column("end_location", _text),
    _Column("end_lat", _float),
    _Column("end_lon", _float),
    _Column("shift_start", _clock, required=True, default="00:00"),
    _Column("shift_end", _clock, required=True, default="24:00"),
    _Column("breaks", _breaks, default=()),
    _Column("skills", _ids, default=()),
    _Column("overtime_max_min", _float, default=0.0),
    _Column("load_capacity", _int),
    _Column("max_route_duration_min", _float),
)
VISIT_COLUMNS = _columns(
    _Column("id", _text, required=True, default="?"),
    _Column("kind", _text, default="home_service"),
    _Column("location", _text),
    _Column("lat", _float, required=True, default=0.0),
    _Column("lon", _float, required=True, default=0.0),
    _Column("duration_min", _float, required=True, default=0.0),
    _Column("time_windows", _windows, default=()),
    _Column("soft_windows", _bool, default=False),
    _Column("lateness_cost_per_hour", _int, default=3600),
    _Column("required_skills", _ids, default=()),
    _Column("priority", _int, default=3),
    _Column("engineers_required", _int, default=1),
    _Column("allowed_engineers", _ids, default=()),
    _Column("preferred_engineers", _ids, default=()),
    _Column("load", _int, default=0),
)


# ------------------------------------------------------------------------ file reading


def _decode(data: CsvSource, file: str) -> tuple[str, list[CsvRowError]]:
    if isinstance(data, os.PathLike):
        try:
            raw = Path(data).read_bytes()
        except OSError as e:
            return "", [CsvRowError(file, None, None, f"cannot read: {e.strerror or e}")]
    else:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        return "", [
            CsvRowError(file, None, None, f"not UTF-8 text ({e.reason}): save as CSV UTF-8")
        ]


def _delimiter(header_line: str) -> str:
    """``;`` for files from spreadsheets set to a decimal comma, else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


@dataclass
class _Table:
    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, column -> stripped cell)


def _table(
    data: CsvSource,
    file: str,
    known: Mapping[str, _Column],
    errors: list[CsvRowError],
    *,
    extra: Callable[[str], bool] = lambda _: False,
) -> _Table | None:
    import pandas as pd

    text, problems = _decode(data, file)
    errors.extend(problems)
    if problems:
        return None
    first = text.split("\n", 1)[0]
    if not first.strip():
        errors.append(
            CsvRowError(
                file,
                1,
                None,
                f"no header row: the first row names the columns ({', '.join(known)})",
            )
        )
        return None
    sep = _delimiter(first)
    header = next(csv.reader([first], delimiter=sep))
    names: list[str] = []
    by_lower = {k.lower(): k for k in known}
    bad_header = False
    for raw in header:
        name = raw.strip()
        name = by_lower.get(name.lower(), name)
        if name in names:
            errors.append(CsvRowError(file, 1, name, "column appears twice"))
            bad_header = True
        elif not name:
            errors.append(CsvRowError(file, 1, None, "a column has no name"))
            bad_header = True
        elif name not in known and not extra(name):
            close = difflib.get_close_matches(name.lower(), list(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(
                CsvRowError(
                    file,
                    1,
                    name,
                    f"unknown column: {hint}columns are {', '.join(known)}"
                    + (f", and {DETAILS_PREFIX}<key> for details" if file == VISITS_CSV else ""),
                )
            )
            bad_header = True
        names.append(name)
    for col in known.values():
        if col.required and col.name not in names:
            errors.append(CsvRowError(file, 1, col.name, "required column is missing"))
            bad_header = True
    if bad_header:
        return None
    # Cells beyond the header's columns (often a comma inside an unquoted value) would be
    # dropped by pandas: find them first, by record, as a spreadsheet numbers its rows.
    too_long = set()
    for i, cells_in in enumerate(csv.reader(io.StringIO(text), delimiter=sep)):
        if i > 0 and len(cells_in) > len(names) and any(c.strip() for c in cells_in[len(names) :]):
            too_long.add(i + 1)
            errors.append(
                CsvRowError(
                    file,
                    i + 1,
                    None,
                    f"has {len(cells_in)} cells but the header names {len(names)} columns "
                    f"(put quotes around a value that contains {sep!r})",
                )
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                header=0,
                names=names,
                index_col=False,
            )
    except (pd.errors.ParserError, ValueError) as e:
        m = re.search(r"line (\d+)", str(e))
        row = int(m[1]) if m else None
        reason = re.sub(r"^.*?Expected", "expected", str(e).strip())
        errors.append(CsvRowError(file, row, None, f"malformed CSV ({reason})"))
        return None
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        cells = {str(k): str(v).strip() for k, v in record.items()}
        # Rows left empty in a spreadsheet are skipped.
        if any(cells.values()) and i + 2 not in too_long:
            rows.append((i + 2, cells))
    return _Table(file, names, rows)


class _Row:
    """One data row being checked: its typed cells and the faults found so far.

    A cell that failed to parse holds its column's default (a harmless placeholder for
    required columns), so the row's other checks still run and every fault is reported
    once; a later check on a column that already failed stays silent.
    """

    def __init__(
        self, file: str, row: int, cells: Mapping[str, str], known: Mapping[str, _Column],
        errors: list[CsvRowError],
    ) -> None:  # fmt: skip
        self.file, self.row, self.errors, self.cells = file, row, errors, cells
        self.failed: set[str] = set()
        self.values: dict[str, Any] = {}
        for col in known.values():
            text = cells.get(col.name, "")
            self.values[col.name] = col.default
            if not text:
                if col.required:
                    self.fail(col.name, "is empty: this column is required")
                continue
            try:
                self.values[col.name] = col.parse(text)
            except _CellError as e:
                self.fail(col.name, str(e), text)

    @property
    def ok(self) -> bool:
        return not self.failed

    def fail(self, column: str | None, reason: str, value: object = None) -> None:
        key = column or ""
        if key in self.failed:
            return
        self.failed.add(key)
        shown = self.cells.get(key) or (None if value is None else str(value))
        self.errors.append(CsvRowError(self.file, self.row, column, reason, shown))

    def usable(self, *columns: str) -> bool:
        """Whether these cells parsed (a check on them can say something new)."""
        return not self.failed.intersection(columns)

    def model(self, model: type[BaseModel], item: Mapping[str, Any]) -> None:
        """Check ``item`` with the problem file's model; faults name the CSV column."""
        try:
            model.model_validate(item)
        except ValidationError as e:
            for err in e.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                value = item.get(column) if column else None
                if column is None or self.usable(column):
                    shown = None if isinstance(value, list | dict) else value
                    self.fail(column, err["msg"], shown)

    def coordinates(self, lat_col: str, lon_col: str) -> None:
        lat, lon = self.values[lat_col], self.values[lon_col]
        if not self.usable(lat_col, lon_col):
            return
        if (lat is None) != (lon is None):
            missing = lat_col if lat is None else lon_col
            self.fail(missing, f"is empty: give both {lat_col} and {lon_col}")
        if lat is not None and not -90 <= lat <= 90:
            self.fail(lat_col, "must be a latitude in [-90, 90] degrees", lat)
        if lon is not None and not -180 <= lon <= 180:
            self.fail(lon_col, "must be a longitude in [-180, 180] degrees", lon)

    def unique(self, seen: dict[str, int]) -> None:
        ident = self.values["id"]
        if not self.usable("id"):
            return
        if ident in seen:
            self.fail("id", f"is used again (first on row {seen[ident]})", ident)
        else:
            seen[ident] = self.row

    def skills(self, column: str, known: Collection[str] | None) -> None:
        if known is None or not self.usable(column):
            return
        unknown = [s for s in self.values[column] if s not in known]
        if unknown:
            hints = [difflib.get_close_matches(s, list(known), n=1) for s in unknown]
            named = ", ".join(
                f"{s!r}" + (f" (did you mean {h[0]!r}?)" if h else "")
                for s, h in zip(unknown, hints, strict=True)
            )
            listed = ", ".join(sorted(known)) or "none"
            self.fail(column, f"unknown skill {named}: known skills are {listed}")


_FILE_ORDER = {SERVICE_CENTERS_CSV: 0, ENGINEERS_CSV: 1, VISITS_CSV: 2}


def _raise(errors: Sequence[CsvRowError]) -> None:
    """Raise every fault at once, by file and row (a row's faults in column order)."""
    if errors:
        raise CsvFormatError(
            sorted(errors, key=lambda e: (_FILE_ORDER.get(e.file, 3), e.file, e.row or 0))
        )


# ------------------------------------------------------------------ one file at a time


def _service_centers(
    data: CsvSource, file: str, errors: list[CsvRowError]
) -> list[ServiceCenterRow]:
    table = _table(data, file, SERVICE_CENTER_COLUMNS, errors)
    if table is None:
        return []
    out, seen = [], dict[str, int]()
    for row, cells in table.rows:
        r = _Row(file, row, cells, SERVICE_CENTER_COLUMNS, errors)
        v = r.values
        r.unique(seen)
        r.coordinates("lat", "lon")
        v["location"] = v["location"] or v["id"]
        r.model(ServiceCenterFile, {"id": v["id"], "name": v["name"], "location": v["location"]})
        if r.ok:
            out.append(ServiceCenterRow(row=row, **v))
    return out


def _engineers(
    data: CsvSource, file: str, known_skills: Collection[str] | None, errors: list[CsvRowError]
) -> list[EngineerRow]:
    table = _table(data, file, ENGINEER_COLUMNS, errors)
    if table is None:
        return []
    out, seen = [], dict[str, int]()
    for row, cells in table.rows:
        r = _Row(file, row, cells, ENGINEER_COLUMNS, errors)
        v = r.values
        r.unique(seen)
        if r.usable("service_center", "start_location", "start_lat") and not (
            v["service_center"] or v["start_location"] or v["start_lat"] is not None
        ):
            r.fail(
                "service_center",
                "is empty: give a service_center, or a start_location / start_lat and "
                "start_lon where the engineer starts",
            )
        r.coordinates("start_lat", "start_lon")
        r.coordinates("end_lat", "end_lon")
        a, b = wall_seconds(v["shift_start"]), wall_seconds(v["shift_end"])
        if r.usable("shift_start", "shift_end") and a is not None and b is not None and b <= a:
            r.fail("shift_end", f"must be after shift_start {v['shift_start']}", v["shift_end"])
        r.skills("skills", known_skills)
        r.model(EngineerFile, _engineer_item(v, start="?", end=None))
        if r.ok:
            out.append(EngineerRow(row=row, **v))
    return out


def _engineer_item(v: Mapping[str, Any], *, start: str, end: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": v["id"],
        "name": v["name"],
        "start_location": start,
        "end_location": end,
        "shift_start": v["shift_start"],
        "shift_end": v["shift_end"],
        "breaks": [
            {
                "duration_min": b.duration_min,
                "earliest_start": b.earliest_start,
                "latest_end": b.latest_end,
            }
            for b in v["breaks"]
        ],
        "skills": list(v["skills"]),
        "overtime_max_min": v["overtime_max_min"],
        "service_center": v["service_center"] or None,
        "load_capacity": v["load_capacity"],
        "max_route_duration_min": v["max_route_duration_min"],
    }
    return item


def _is_detail(name: str) -> bool:
    return name in DETAIL_COLUMNS or (
        name.startswith(DETAILS_PREFIX) and len(name) > len(DETAILS_PREFIX)
    )


def _visits(
    data: CsvSource, file: str, known_skills: Collection[str] | None, errors: list[CsvRowError]
) -> list[VisitRow]:
    table = _table(data, file, VISIT_COLUMNS, errors, extra=_is_detail)
    if table is None:
        return []
    detail_columns = [c for c in table.columns if _is_detail(c)]
    out, seen = [], dict[str, int]()
    for row, cells in table.rows:
        r = _Row(file, row, cells, VISIT_COLUMNS, errors)
        v = r.values
        r.unique(seen)
        r.coordinates("lat", "lon")
        kind_known = r.usable("kind", "engineers_required")
        if kind_known and v["kind"] == "home_service" and v["engineers_required"] != 1:
            r.fail(
                "engineers_required",
                "must be 1 for a home_service visit; use kind community_event for a team",
                v["engineers_required"],
            )
        event = r.usable("kind", "duration_min") and v["kind"] == "community_event"
        if event and v["duration_min"] <= 0:
            r.fail("duration_min", "an event must last more than 0 minutes", v["duration_min"])
        r.skills("required_skills", known_skills)
        details = {c.removeprefix(DETAILS_PREFIX): cells[c] for c in detail_columns if cells.get(c)}
        v["location"] = v["location"] or v["id"]
        r.model(VisitFile, _visit_item(v, details))
        if r.ok:
            out.append(VisitRow(row=row, details=details, **v))
    return out


def _shallow(row: EngineerRow | VisitRow) -> dict[str, Any]:
    """A row's fields by name (nested specs kept as they are, unlike ``asdict``)."""
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}


def _visit_item(v: Mapping[str, Any], details: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": v["id"],
        "kind": v["kind"],
        "location": v["location"],
        "duration_min": v["duration_min"],
        "time_windows": [{"start": s, "end": e} for s, e in v["time_windows"]],
        "soft_windows": v["soft_windows"],
        "lateness_cost_per_hour": v["lateness_cost_per_hour"],
        "required_skills": list(v["required_skills"]),
        "priority": v["priority"],
        "allowed_engineers": list(v["allowed_engineers"]),
        "preferred_engineers": list(v["preferred_engineers"]),
        "engineers_required": v["engineers_required"],
        "load": v["load"],
        "details": dict(details),
    }


def parse_service_centers_csv(
    data: CsvSource, *, file_name: str = SERVICE_CENTERS_CSV
) -> list[ServiceCenterRow]:
    """Rows of a ``service_centers.csv`` (bytes or text content, or a ``Path``).

    Raises
    ------
    CsvFormatError
        Listing every bad row (file ``file_name``, row, column, reason).
    """
    errors: list[CsvRowError] = []
    rows = _service_centers(data, file_name, errors)
    _raise(errors)
    return rows


def parse_engineers_csv(
    data: CsvSource,
    *,
    file_name: str = ENGINEERS_CSV,
    known_skills: Collection[str] | None = None,
) -> list[EngineerRow]:
    """Rows of an ``engineers.csv``; with ``known_skills`` any other skill is an error.

    Raises
    ------
    CsvFormatError
        Listing every bad row (file ``file_name``, row, column, reason).
    """
    errors: list[CsvRowError] = []
    rows = _engineers(data, file_name, known_skills, errors)
    _raise(errors)
    return rows


def parse_visits_csv(
    data: CsvSource,
    *,
    file_name: str = VISITS_CSV,
    known_skills: Collection[str] | None = None,
) -> list[VisitRow]:
    """Rows of a ``visits.csv``; with ``known_skills`` any other required skill is an error.

    Raises
    ------
    CsvFormatError
        Listing every bad row (file ``file_name``, row, column, reason).
    """
    errors: list[CsvRowError] = []
    rows = _visits(data, file_name, known_skills, errors)
    _raise(errors)
    return rows


def read_rows_csv(
    data: CsvSource,
    file_name: str,
    *,
    known_skills: Collection[str] | None = None,
) -> tuple[list[ServiceCenterRow] | list[EngineerRow] | list[VisitRow], list[CsvRowError]]:
    """The good rows of one file named ``file_name`` (``service_centers.csv``,
    ``engineers.csv`` or ``visits.csv``) and every fault of its bad rows, without raising:
    for a caller that checks the good rows further and reports all faults in one pass."""
    errors: list[CsvRowError] = []
    rows: list[ServiceCenterRow] | list[EngineerRow] | list[VisitRow]
    if file_name == SERVICE_CENTERS_CSV:
        rows = _service_centers(data, file_name, errors)
    elif file_name == ENGINEERS_CSV:
        rows = _engineers(data, file_name, known_skills, errors)
    elif file_name == VISITS_CSV:
        rows = _visits(data, file_name, known_skills, errors)
    else:
        raise ValueError(f"no CSV format named {file_name!r}")
    return rows, errors


def count_records_csv(data: bytes) -> int:
    """Data records of CSV ``data`` (rows after the header, blank ones too), counted
    without parsing cells; quoted line breaks stay inside their record."""
    text = data.decode("utf-8", errors="replace")
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)


# ---------------------------------------------------------------------- a whole problem


class _Locations:
    """Location ids in order of first use, each with the row that placed it."""

    def __init__(self, errors: list[CsvRowError]) -> None:
        self.points: dict[str, tuple[float, float, str, int]] = {}
        self.errors = errors

    def place(self, ident: str, lat: float, lon: float, file: str, row: int, column: str) -> None:
        known = self.points.get(ident)
        if known is None:
            self.points[ident] = (lat, lon, file, row)
        elif (known[0], known[1]) != (lat, lon):
            self.errors.append(
                CsvRowError(
                    file,
                    row,
                    column,
                    f"location {ident!r} is already at {known[0]}, {known[1]} "
                    f"({known[2]} row {known[3]}): one id, one place",
                    ident,
                )
            )


def _resolve_engineer(
    e: EngineerRow,
    centres: Mapping[str, ServiceCenterRow],
    places: _Locations,
    *,
    check_centre: bool,
) -> tuple[str, str] | None:
    """(start, end) location ids of an engineer; None after reporting a fault."""
    centre_location = None
    if e.service_center:
        if e.service_center not in centres:
            if not check_centre:  # its row may be one that was rejected
                return None
            close = difflib.get_close_matches(e.service_center, list(centres), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            places.errors.append(
                CsvRowError(
                    ENGINEERS_CSV,
                    e.row,
                    "service_center",
                    f"is not a service centre in {SERVICE_CENTERS_CSV}: {hint}known: "
                    f"{', '.join(centres) or 'none'}",
                    e.service_center,
                )
            )
            return None
        centre_location = centres[e.service_center].location
    start = _endpoint(
        e, "start", e.start_location, e.start_lat, e.start_lon, centre_location, places
    )
    if start is None:
        return None
    end = _endpoint(e, "end", e.end_location, e.end_lat, e.end_lon, start, places)
    return None if end is None else (start, end)


def _endpoint(
    e: EngineerRow,
    which: str,
    ident: str | None,
    lat: float | None,
    lon: float | None,
    fallback: str | None,
    places: _Locations,
) -> str | None:
    """The location id where an engineer starts or ends; None after reporting a fault."""
    if lat is not None and lon is not None:
        location = ident or f"{e.id}-{which}"
        places.place(location, lat, lon, ENGINEERS_CSV, e.row, f"{which}_lat")
        return location
    if ident:
        if ident in places.points:
            return ident
        places.errors.append(
            CsvRowError(
                ENGINEERS_CSV,
                e.row,
                f"{which}_location",
                f"is no known location: give {which}_lat and {which}_lon, or a service "
                "centre's location",
                ident,
            )
        )
        return None
    return fallback


def read_csv(
    directory: str | os.PathLike[str],
    *,
    date: dt.date,
    timezone: str | None = None,
    options: SolveOptions | None = None,
    check_skills: bool = True,
) -> Problem:
    """The problem in ``directory``'s ``service_centers.csv`` (optional), ``engineers.csv``
    and ``visits.csv``, planned on ``date`` in ``timezone`` (IANA name; None = wall clock).

    With ``check_skills`` a visit may only require skills some engineer holds (catches
    typos; turn it off to import visits nobody can serve yet).

    Raises
    ------
    CsvFormatError
        Every fault in every file and between files; nothing is returned half-read.
    """
    folder = Path(directory)
    errors: list[CsvRowError] = []

    def parse(name: str, read: Callable[[Path], list[Any]], *, optional: bool = False) -> bool:
        """Read one file into ``rows[name]``; whether it was read without a fault."""
        before = len(errors)
        path = folder / name
        if path.is_file():
            rows[name] = read(path)
        elif not optional:
            errors.append(CsvRowError(name, None, None, f"file is missing from {str(folder)!r}"))
        return len(errors) == before

    rows: dict[str, list[Any]] = {SERVICE_CENTERS_CSV: [], ENGINEERS_CSV: [], VISITS_CSV: []}
    centres_clean = parse(
        SERVICE_CENTERS_CSV,
        lambda p: _service_centers(p, SERVICE_CENTERS_CSV, errors),
        optional=True,
    )
    engineers_clean = parse(ENGINEERS_CSV, lambda p: _engineers(p, ENGINEERS_CSV, None, errors))
    engineers: list[EngineerRow] = rows[ENGINEERS_CSV]
    # Skills and references are checked against another file only when that file read
    # cleanly: a reference to a rejected row is not a fault of its own.
    skills = {s for e in engineers for s in e.skills} if check_skills and engineers_clean else None
    parse(VISITS_CSV, lambda p: _visits(p, VISITS_CSV, skills, errors))
    centres: list[ServiceCenterRow] = rows[SERVICE_CENTERS_CSV]
    visits: list[VisitRow] = rows[VISITS_CSV]

    places = _Locations(errors)
    for c in centres:
        places.place(c.location, c.lat, c.lon, SERVICE_CENTERS_CSV, c.row, "lat")
    by_id = {c.id: c for c in centres}
    engineer_items = []
    for e in engineers:
        resolved = _resolve_engineer(e, by_id, places, check_centre=centres_clean)
        if resolved is not None:
            engineer_items.append(_engineer_item(_shallow(e), start=resolved[0], end=resolved[1]))
    engineer_ids = {e.id for e in engineers}
    visit_items = []
    for v in visits:
        places.place(v.location, v.lat, v.lon, VISITS_CSV, v.row, "lat")
        for column in ("allowed_engineers", "preferred_engineers"):
            unknown = [i for i in getattr(v, column) if i not in engineer_ids]
            if unknown and engineers_clean:
                errors.append(
                    CsvRowError(
                        VISITS_CSV,
                        v.row,
                        column,
                        f"{', '.join(map(repr, unknown))}: not an engineer in {ENGINEERS_CSV}",
                        ";".join(getattr(v, column)),
                    )
                )
        visit_items.append(_visit_item(_shallow(v), v.details))
    _raise(errors)

    document: dict[str, Any] = {"date": date.isoformat()}
    if timezone is not None:
        document["timezone"] = timezone
    document["locations"] = [{"id": k, "lat": p[0], "lon": p[1]} for k, p in places.points.items()]
    document["service_centers"] = [
        {"id": c.id, "name": c.name, "location": c.location} for c in centres
    ]
    document["engineers"] = [
        {k: x for k, x in item.items() if x is not None} for item in engineer_items
    ]
    document["visits"] = visit_items
    try:
        problem = problem_from_json(json.dumps(document))
    except InputFormatError as e:
        raise CsvFormatError(_locate(str(e), centres, engineers, visits, places)) from None
    return dataclasses.replace(problem, options=options) if options is not None else problem


_JSON_FAULT = re.compile(
    r"^(\w+)\[(\d+)\](?: \(id '[^']*'\))?\.?([A-Za-z_]*)[^:]*?(?: = (.*?))?: (.*)$"
)


def _locate(
    message: str,
    centres: Sequence[ServiceCenterRow],
    engineers: Sequence[EngineerRow],
    visits: Sequence[VisitRow],
    places: _Locations,
) -> list[CsvRowError]:
    """The problem file's faults (``visits[3] (id 'v4').field = value: reason``) as rows."""
    out = []
    rows: dict[str, tuple[str, Sequence[Any]]] = {
        "service_centers": (SERVICE_CENTERS_CSV, centres),
        "engineers": (ENGINEERS_CSV, engineers),
        "visits": (VISITS_CSV, visits),
    }
    located = list(places.points.values())
    for line in message.splitlines():
        m = _JSON_FAULT.match(line)
        if m and m[1] in rows and int(m[2]) < len(rows[m[1]][1]):
            file, items = rows[m[1]]
            out.append(CsvRowError(file, items[int(m[2])].row, m[3] or None, m[5], m[4]))
        elif m and m[1] == "locations" and int(m[2]) < len(located):
            _, _, file, row = located[int(m[2])]
            out.append(CsvRowError(file, row, m[3] or None, m[5], m[4]))
        else:
            out.append(CsvRowError("problem", None, None, line))
    return out


# ------------------------------------------------------------------------------ writing


def _join(items: Iterable[Any]) -> str:
    return ";".join(str(x) for x in items)


def _number(x: float | int) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def write_csv(problem: Problem, directory: str | os.PathLike[str]) -> list[Path]:
    """Write ``problem`` as ``service_centers.csv``, ``engineers.csv`` and ``visits.csv`` in
    ``directory`` (created if needed); returns the paths. The date, timezone and options
    are not in the CSVs: pass them to :func:`read_csv`.

    Raises
    ------
    ProblemError
        If the problem has a travel-time matrix or a crew (the CSV formats cannot carry
        them).
    """
    if problem.travel_time_matrix is not None:
        raise ProblemError(
            "problem",
            "travel_time_matrix",
            "given",
            "the CSV formats carry no travel-time matrix: save the problem JSON to keep it",
        )
    crews = [v.id for v in problem.visits if v.crew]
    if crews:
        raise ProblemError(
            f"visit {crews[0]!r}",
            "crew",
            "given",
            "the CSV formats carry no crews yet: save the problem JSON to keep them",
        )
    doc = problem_to_json(problem)
    where = {x["id"]: x for x in doc["locations"]}
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)

    centres = [
        {
            "id": c["id"],
            "name": c["name"],
            "location": c["location"],
            "lat": where[c["location"]]["lat"],
            "lon": where[c["location"]]["lon"],
        }
        for c in doc.get("service_centers", [])
    ]
    centre_location = {c["id"]: c["location"] for c in centres}
    defined = set(centre_location.values())
    engineers = []
    for e in doc["engineers"]:
        row: dict[str, Any] = {"id": e["id"], "name": e["name"]}
        row["service_center"] = e.get("service_center", "")
        for which in ("start", "end"):
            location = e[f"{which}_location"]
            row[f"{which}_location"] = location
            own = location not in defined
            row[f"{which}_lat"] = where[location]["lat"] if own else ""
            row[f"{which}_lon"] = where[location]["lon"] if own else ""
            defined.add(location)
        row["shift_start"], row["shift_end"] = e["shift_start"], e["shift_end"]
        row["breaks"] = _join(
            f"{_number(b['duration_min'])}@{b['earliest_start']}-{b['latest_end']}"
            for b in e["breaks"]
        )
        row["skills"] = _join(e["skills"])
        row["overtime_max_min"] = _number(e["overtime_max_min"])
        row["load_capacity"] = e.get("load_capacity", "")
        row["max_route_duration_min"] = (
            _number(e["max_route_duration_min"]) if "max_route_duration_min" in e else ""
        )
        engineers.append(row)

    detail_keys: list[str] = []
    for v in doc["visits"]:
        for key in v["details"]:
            if key not in detail_keys:
                detail_keys.append(key)
    visits = []
    for v in doc["visits"]:
        row = {
            "id": v["id"],
            "kind": v["kind"],
            "location": v["location"],
            "lat": where[v["location"]]["lat"],
            "lon": where[v["location"]]["lon"],
            "duration_min": _number(v["duration_min"]),
            "time_windows": _join(f"{w['start']}-{w['end']}" for w in v["time_windows"]),
            "soft_windows": "true" if v["soft_windows"] else "false",
            "lateness_cost_per_hour": v["lateness_cost_per_hour"],
            "required_skills": _join(v["required_skills"]),
            "priority": v["priority"],
            "engineers_required": v["engineers_required"],
            "allowed_engineers": _join(v["allowed_engineers"]),
            "preferred_engineers": _join(v["preferred_engineers"]),
            "load": v["load"],
        }
        for key in detail_keys:
            value = v["details"].get(key, "")
            column = key if key in DETAIL_COLUMNS else DETAILS_PREFIX + key
            row[column] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        visits.append(row)

    written = []
    for name, rows, columns in (
        (SERVICE_CENTERS_CSV, centres, list(SERVICE_CENTER_COLUMNS)),
        (ENGINEERS_CSV, engineers, list(ENGINEER_COLUMNS)),
        (
            VISITS_CSV,
            visits,
            list(VISIT_COLUMNS)
            + [k if k in DETAIL_COLUMNS else DETAILS_PREFIX + k for k in detail_keys],
        ),
    ):
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written
