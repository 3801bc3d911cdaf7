"""An engineer's schedules as an iCalendar file (RFC 5545), one event per stop and break:
one day for a download, today and the coming days for a subscribed feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from icalendar import Calendar, Event, vGeo

from api.schemas import ScheduleOut


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def schedule_ics(
    schedules: Sequence[ScheduleOut], *, stamp: dt.datetime, name: str | None = None
) -> bytes:
    """The schedules as iCalendar bytes; times in UTC so every calendar app places them
    right. ``name`` is the calendar's (default: the engineer and the one day)."""
    cal = Calendar()
    cal.add("prodid", "-//fieldroute//engineer schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name is None and schedules:
        first = schedules[0]
        name = f"{first.engineer_name or first.engineer_id} {first.date}"
    cal.add("x-wr-calname", name or "fieldroute")
    for schedule in schedules:
        _add_day(cal, schedule, stamp)
    ics: bytes = cal.to_ical()
    return ics


def _add_day(cal: Calendar, schedule: ScheduleOut, stamp: dt.datetime) -> None:
    for stop in schedule.stops:
        event = Event()
        # One UID per visit and day: a re-plan updates the entry (a higher SEQUENCE), never
        # duplicates it.
        event.add("uid", f"visit-{stop.visit_id}-{schedule.date}@fieldroute")
        event.add("sequence", schedule.plan_id)
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(stop.start))
        event.add("dtend", _utc(stop.end))
        title = " - ".join(x for x in (stop.job_type, stop.customer_name) if x) or stop.visit_id
        event.add("summary", f"{stop.order}. {title}")
        if stop.address:
            event.add("location", stop.address)
        event.add("geo", vGeo((stop.lat, stop.lon)))
        lines = [
            f"Visit {stop.visit_id} ({stop.kind.value})",
            f"Arrive {stop.arrival}",
            *([f"Customer phone: {stop.customer_phone}"] if stop.customer_phone else []),
            *([stop.notes] if stop.notes else []),
            f"Navigate: {stop.navigation_url}",
        ]
        event.add("description", "\n".join(lines))
        event.add("url", stop.navigation_url)
        cal.add_component(event)
    for i, b in enumerate(schedule.breaks):
        event = Event()
        event.add("uid", f"break-{i}-{schedule.engineer_id}-{schedule.date}@fieldroute")
        event.add("sequence", schedule.plan_id)
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(b.start))
        event.add("dtend", _utc(b.end))
        event.add("summary", "Break")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
