"""Clock times in files, parsed and written in one place.

Every file format (the problem and plan JSON files, the CSV files, scenario files) writes a
time of day as ``"HH:MM"`` or ``"HH:MM:SS"`` (``"24:00"`` is the end of the day), and the
JSON and CSV files also accept an ISO 8601 date-time. Inside the domain a time is integer
seconds since local midnight of the day planned; :class:`DayClock` converts between the two,
DST-correct, and durations convert between minutes (files) and whole seconds (domain).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from scheduler.domain import Problem

__all__ = [
    "CLOCK_PATTERN",
    "NOT_A_TIME",
    "DayClock",
    "clock_for",
    "clock_seconds",
    "minutes_to_seconds",
    "parse_clock",
    "seconds_to_minutes",
    "wall_seconds",
    "wall_text",
    "zone",
]

_UTC = dt.UTC
_HHMM = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d")
CLOCK_PATTERN = r"^(\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}[T ]\d.*)$"
"""What :func:`parse_clock` accepts, as a JSON Schema ``pattern`` (the syntax only)."""
NOT_A_TIME = "not a time, use HH:MM or ISO 8601"


def wall_seconds(text: str, *, with_seconds: bool = True) -> int | None:
    """Seconds since midnight (0 .. 86400) of ``"HH:MM"`` or ``"HH:MM:SS"``; None for any
    other text. ``"24:00"`` is the end of the day; ``with_seconds=False`` refuses ``:SS``."""
    m = _HHMM.fullmatch(text)
    if m is None or (m[3] is not None and not with_seconds):
        return None
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if (h < 24 and mi < 60 and s < 60) or (h == 24 and mi == 0 and s == 0):
        return h * 3600 + mi * 60 + s
    return None


def clock_seconds(text: str) -> int:
    """Seconds since midnight of ``"HH:MM"`` (``"24:00"`` allowed); ``ValueError`` otherwise."""
    seconds = wall_seconds(text, with_seconds=False)
    if seconds is None:
        raise ValueError(f"{text!r} is not a clock time, use HH:MM (00:00 .. 24:00)")
    return seconds


def wall_text(seconds: int) -> str:
    """``"HH:MM"`` (``"HH:MM:SS"`` when not on a whole minute) for ``seconds`` since
    midnight, 0 .. 86400 (``"24:00"``); what :func:`wall_seconds` reads back."""
    if not 0 <= seconds <= 86_400:
        raise ValueError(f"{seconds} s is not a time of one day (0 .. 86400 s)")
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


def parse_clock(text: str) -> int | dt.datetime:
    """Wall-clock seconds (0..86400) for ``HH:MM[:SS]``, else the ISO 8601 date-time.

    Raises ``ValueError`` (:data:`NOT_A_TIME`) when ``text`` is neither.
    """
    seconds = wall_seconds(text)
    if seconds is not None:
        return seconds
    if _ISO_DATETIME.match(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(NOT_A_TIME)


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(name) from e


def minutes_to_seconds(minutes: float) -> int:
    """Minutes (possibly fractional) to whole seconds, halves rounded up."""
    return math.floor(minutes * 60 + 0.5)


def seconds_to_minutes(seconds: int) -> int | float:
    """Whole seconds to minutes: an int when exact, else a float that rounds back exactly."""
    return seconds // 60 if seconds % 60 == 0 else seconds / 60


class DayClock:
    """Converts clock times to seconds since local midnight of ``date`` and back.

    With ``tz`` the conversion is a difference of aware instants (DST-correct). Without it,
    times are plain wall-clock times; the first UTC offset met is remembered and any other
    offset is refused.
    """

    def __init__(self, date: dt.date, tz: ZoneInfo | None) -> None:
        self.date = date
        self.tz = tz
        self._naive_midnight = dt.datetime.combine(date, dt.time())
        self._midnight_utc = (
            dt.datetime.combine(date, dt.time(), tzinfo=tz).astimezone(_UTC) if tz else None
        )
        self._offset: dt.timedelta | None = None
        self._offset_source = ""

    def seconds(self, text: str, where: str = "") -> int:
        """Seconds since local midnight for a clock ``text``; ``ValueError`` says why not.

        ``where`` names the field, to point at it should a later offset disagree.
        """
        try:
            return self._seconds(text, where)
        except OverflowError:
            raise ValueError("is out of the range of dates that can be handled") from None

    def _seconds(self, text: str, where: str) -> int:
        value = parse_clock(text)
        if isinstance(value, int):
            local = self._naive_midnight + dt.timedelta(seconds=value)
            return self._local_seconds(local)
        if value.tzinfo is None:
            return self._local_seconds(value)
        if self._midnight_utc is not None:
            return _whole_seconds(value.astimezone(_UTC) - self._midnight_utc)
        offset = value.utcoffset()
        if self._offset is None:
            self._offset, self._offset_source = offset, where
        elif offset != self._offset:
            raise ValueError(
                f"UTC offset {_fmt_offset(offset)} differs from {_fmt_offset(self._offset)} "
                f"used by {self._offset_source}; without a timezone all offsets must be equal "
                "(or give the problem a timezone)"
            )
        return _whole_seconds(value.replace(tzinfo=None) - self._naive_midnight)

    def _local_seconds(self, local: dt.datetime) -> int:
        if self.tz is None or self._midnight_utc is None:
            return _whole_seconds(local - self._naive_midnight)
        aware = local.replace(tzinfo=self.tz)
        utc = aware.astimezone(_UTC)
        if utc.astimezone(self.tz).replace(tzinfo=None) != local:
            raise ValueError(f"does not exist in {self.tz.key} (the clocks skip it that day)")
        return _whole_seconds(utc - self._midnight_utc)

    def _datetime(self, seconds: int) -> dt.datetime:
        if self.tz is None or self._midnight_utc is None:
            return self._naive_midnight + dt.timedelta(seconds=seconds)
        return (self._midnight_utc + dt.timedelta(seconds=seconds)).astimezone(self.tz)

    def iso(self, seconds: int) -> str:
        """ISO 8601 date-time with seconds (and the UTC offset when there is a timezone)."""
        return self._datetime(seconds).isoformat(timespec="seconds")

    def compact(self, seconds: int) -> str:
        """``HH:MM`` / ``HH:MM:SS`` when that reads back as ``seconds``, else ISO 8601."""
        local = self._datetime(seconds)
        tomorrow = self.date + dt.timedelta(days=1)
        at_next_midnight = (local.date(), local.time()) == (tomorrow, dt.time())
        if at_next_midnight and self.seconds("24:00") == seconds:
            return "24:00"
        if local.date() == self.date:
            text = local.strftime("%H:%M" if local.second == 0 else "%H:%M:%S")
            try:
                if self.seconds(text) == seconds:
                    return text
            except ValueError:
                pass
        return self.iso(seconds)


def clock_for(problem: Problem) -> DayClock:
    """The clock of ``problem``'s date, in its timezone (wall clock without one)."""
    return DayClock(problem.date, zone(problem.timezone) if problem.timezone else None)


def _whole_seconds(delta: dt.timedelta) -> int:
    """A timedelta rounded to whole seconds (halves up)."""
    return math.floor(delta / dt.timedelta(seconds=1) + 0.5)


def _fmt_offset(offset: dt.timedelta | None) -> str:
    if offset is None:
        return "none"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(offset) // dt.timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
