"""What changed between two plans of a day, visit by visit and engineer by engineer (the
figures of ``scheduler.churn`` add them up).

Per visit (served by either plan): ``added`` (only the new plan serves it), ``dropped``
(only the old one, and it is still to be served), ``left`` (only the old one, and it is no
longer to be served: done, cancelled, under way, deleted: the caller's ``gone``),
``reassigned`` (another set of engineers), ``moved`` (same engineers, the start more than
``tolerance`` seconds apart) or ``unchanged``. A visit several engineers serve counts once,
by its earliest start and its set of engineers. Per engineer: the visits they gained, lost
and kept but moved, and their departure and return in each plan.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from scheduler.domain import Plan

ADDED, DROPPED, LEFT = "added", "dropped", "left"
REASSIGNED, MOVED, UNCHANGED = "reassigned", "moved", "unchanged"


@dataclass(frozen=True, slots=True)
class VisitChange:
    """A visit in either plan: its engineers and start before and after (seconds; None
    where the plan does not serve it) and the kind of change."""

    visit_id: str
    change: str
    engineers_before: frozenset[str]
    engineers_after: frozenset[str]
    start_before: int | None
    start_after: int | None

    @property
    def seconds_moved(self) -> int | None:
        if self.start_before is None or self.start_after is None:
            return None
        return self.start_after - self.start_before


@dataclass(frozen=True, slots=True)
class EngineerChange:
    """An engineer's day in both plans: visits gained, lost, and kept but moved; number of
    stops, departure and return (None without a route)."""

    engineer_id: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[str, ...]
    stops_before: int
    stops_after: int
    departure_before: int | None
    departure_after: int | None
    return_before: int | None
    return_after: int | None


@dataclass(frozen=True, slots=True)
class PlanDiff:
    visits: tuple[VisitChange, ...]
    engineers: tuple[EngineerChange, ...]


def _placed(plan: Plan) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    who: dict[str, set[str]] = {}
    start: dict[str, int] = {}
    for r in plan.routes:
        for s in r.stops:
            who.setdefault(s.visit_id, set()).add(r.engineer_id)
            start[s.visit_id] = min(start.get(s.visit_id, s.start), s.start)
    return {v: frozenset(e) for v, e in who.items()}, start


def plan_diff(
    old: Plan, new: Plan, *, tolerance: int = 900, gone: Collection[str] = ()
) -> PlanDiff:
    """The changes from ``old`` to ``new`` (see the module text), visits by id."""
    old_who, old_start = _placed(old)
    new_who, new_start = _placed(new)
    visits = []
    for vid in sorted(set(old_who) | set(new_who)):
        before, after = old_who.get(vid, frozenset()), new_who.get(vid, frozenset())
        s0, s1 = old_start.get(vid), new_start.get(vid)
        if not before:
            change = ADDED
        elif not after:
            change = LEFT if vid in gone else DROPPED
        elif before != after:
            change = REASSIGNED
        elif s0 is not None and s1 is not None and abs(s1 - s0) > tolerance:
            change = MOVED
        else:
            change = UNCHANGED
        visits.append(VisitChange(vid, change, before, after, s0, s1))
    by_id = {c.visit_id: c for c in visits}
    engineers = []
    ids = sorted({r.engineer_id for r in old.routes} | {r.engineer_id for r in new.routes})
    for eid in ids:
        r0, r1 = old.route_of(eid), new.route_of(eid)
        had = [s.visit_id for s in r0.stops] if r0 else []
        has = [s.visit_id for s in r1.stops] if r1 else []
        kept = [v for v in has if v in had]
        engineers.append(
            EngineerChange(
                engineer_id=eid,
                added=tuple(v for v in has if v not in had),
                removed=tuple(v for v in had if v not in has),
                moved=tuple(v for v in kept if by_id[v].change == MOVED),
                stops_before=len(had),
                stops_after=len(has),
                departure_before=r0.departure if r0 else None,
                departure_after=r1.departure if r1 else None,
                return_before=r0.return_ if r0 else None,
                return_after=r1.return_ if r1 else None,
            )
        )
    return PlanDiff(tuple(visits), tuple(engineers))
