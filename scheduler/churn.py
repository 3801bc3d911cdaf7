"""How much a plan changes another: the churn of a re-plan, measured against the plan it
replaces (no anchor publishes such a measure; these are ours).

For the visits both plans serve (``compared``), with ``d`` = new start - old start:

* ``reassigned``: visits served by another set of engineers;
* ``moved``: visits with ``|d| > tolerance``; ``minutes_moved``: the sum of ``|d|`` over all
  compared visits, in minutes;
* ``promises_broken``: visits whose new start lies outside the window the customer was told
  (``promises``; visits without one are not counted), ``later`` and ``earlier`` apart;
* ``sequence_change``: the share of compared visits whose predecessor on their engineer's
  route changed (the route's start counts as a predecessor), 0..1;

and ``dropped``: visits the old plan served and the new one does not (``cancelled``, those
no longer in the day, apart). A visit needing several engineers counts once, by its earliest
start and the set of its engineers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from scheduler.domain import Plan, TimeWindow


@dataclass(frozen=True, slots=True)
class Churn:
    """Changes of a plan against the plan it replaces (see the module text)."""

    compared: int
    reassigned: int
    moved: int
    minutes_moved: float
    promises_broken_later: int
    promises_broken_earlier: int
    dropped: int
    sequence_change: float

    @property
    def promises_broken(self) -> int:
        return self.promises_broken_later + self.promises_broken_earlier

    def as_dict(self) -> dict[str, float | int]:
        """The plan file's ``churn`` block."""
        return {
            "compared": self.compared,
            "reassigned": self.reassigned,
            "moved": self.moved,
            "minutes_moved": self.minutes_moved,
            "promises_broken": self.promises_broken,
            "promises_broken_later": self.promises_broken_later,
            "promises_broken_earlier": self.promises_broken_earlier,
            "dropped": self.dropped,
            "sequence_change": self.sequence_change,
        }


def _placed(plan: Plan) -> tuple[dict[str, frozenset[str]], dict[str, int], dict[str, set[str]]]:
    """Per visit: its engineers, its earliest start, and its predecessors on their routes."""
    who: dict[str, set[str]] = {}
    start: dict[str, int] = {}
    before: dict[str, set[str]] = {}
    for r in plan.routes:
        prev = f"start:{r.engineer_id}"
        for s in r.stops:
            who.setdefault(s.visit_id, set()).add(r.engineer_id)
            start[s.visit_id] = min(start.get(s.visit_id, s.start), s.start)
            before.setdefault(s.visit_id, set()).add(prev)
            prev = s.visit_id
    return {v: frozenset(e) for v, e in who.items()}, start, before


def churn_between(
    old: Plan,
    new: Plan,
    *,
    tolerance: int = 900,
    promises: Mapping[str, TimeWindow] | None = None,
    gone: Collection[str] = (),
) -> Churn:
    """The churn of ``new`` against ``old`` (``tolerance`` seconds; ``promises``: the window
    each customer was told; ``gone``: visits no longer to be served, not counted as
    dropped)."""
    promises = promises or {}
    old_who, old_start, old_before = _placed(old)
    new_who, new_start, new_before = _placed(new)
    compared = sorted(set(old_who) & set(new_who))
    reassigned = sum(1 for v in compared if old_who[v] != new_who[v])
    moves = [abs(new_start[v] - old_start[v]) for v in compared]
    later = earlier = 0
    for v in compared:
        window = promises.get(v)
        if window is None:
            continue
        if new_start[v] > window.end:
            later += 1
        elif new_start[v] < window.start:
            earlier += 1
    changed = sum(1 for v in compared if old_before[v] != new_before[v])
    dropped = sum(1 for v in old_who if v not in new_who and v not in gone)
    return Churn(
        compared=len(compared),
        reassigned=reassigned,
        moved=sum(1 for d in moves if d > tolerance),
        minutes_moved=round(sum(moves) / 60, 1),
        promises_broken_later=later,
        promises_broken_earlier=earlier,
        dropped=dropped,
        sequence_change=round(changed / len(compared), 4) if compared else 0.0,
    )
