"""What a dispatcher's manual change would do to a plan, before anyone commits to it.

``preview(problem, matrix, plan, moves)`` moves each visit to the engineer a move names (at a
place in their order, at a start time, or at the engineer's cheapest place), re-times the
routes that changed, and answers the moved plan, the validator's violations, the objective
per term before and after, and the churn against the plan moved. Nothing is stored: applying
the moved plan is the caller's decision (the service refuses it when it breaks a hard rule).

Times are seconds since midnight of the problem's date; costs are the objective's units
(``scheduler.objective``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from scheduler.churn import Churn, churn_between
from scheduler.domain import Plan, Problem, Route, TimeWindow, Visit
from scheduler.errors import ProblemError
from scheduler.objective import TERMS, Breakdown, price
from scheduler.timeline import route_shortfall, schedule_route
from scheduler.travel import Matrix
from scheduler.validate import Violation, format_hms, validate

DEFAULT_TOLERANCE = 900  # seconds a start may move before churn counts it as moved
REQUESTED_START = "REQUESTED_START"  # a move's start the engineer cannot make


@dataclass(frozen=True, slots=True)
class Move:
    """Give ``visit_id`` to ``engineer_id``: before their planned stop ``position`` (0 =
    first; their number of stops = last), or in start order with its service starting at
    ``start`` (seconds), or, with neither, at their cheapest feasible place. For a visit
    several engineers serve together, ``replaces`` names which of them gives the place up."""

    visit_id: str
    engineer_id: str
    position: int | None = None
    start: int | None = None
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """A plan with the moves made (``plan``); what it breaks (``violations``: empty when
    every hard rule holds and every start a move asked for is met, else ``REQUESTED_START``);
    its objective before and after per term; its churn against the plan it came from."""

    plan: Plan
    violations: tuple[Violation, ...]
    before: Breakdown
    after: Breakdown
    churn: Churn

    @property
    def feasible(self) -> bool:
        return not self.violations

    def delta(self) -> dict[str, int]:
        """The objective's change per term and in total (after - before; cost units)."""
        out = {term: self.after[term] - self.before[term] for term in TERMS}
        out["total"] = self.after.total - self.before.total
        return out


def preview(
    problem: Problem,
    matrix: Matrix,
    plan: Plan,
    moves: Sequence[Move],
    *,
    frozen: Collection[str] = (),
    tolerance: int = DEFAULT_TOLERANCE,
    promises: Mapping[str, TimeWindow] | None = None,
) -> Preview:
    """``plan`` with ``moves`` made in order, re-timed, checked and priced.

    ``frozen``: visits that may not move (done, started ...). ``promises``: the window each
    customer was told, for the churn's broken promises.

    Raises
    ------
    ProblemError
        A move naming an unknown visit or engineer, a frozen visit, a position outside the
        engineer's order, an engineer the visit already has, or a shared visit without
        ``replaces`` (one of its engineers).
    """
    if not moves:
        raise ProblemError("preview", "moves", [], "must hold at least one move")
    visits = {v.id: v for v in problem.visits}
    engineers = {e.id for e in problem.engineers}
    orders: dict[str, list[str]] = {e.id: [] for e in problem.engineers} | {
        r.engineer_id: [s.visit_id for s in r.stops] for r in plan.routes
    }
    planned_start = {s.visit_id: s.start for r in plan.routes for s in r.stops}
    # A shared visit starts together for all of its engineers: keep its planned start.
    fixed = {vid: t for vid, t in planned_start.items() if visits[vid].is_event}
    touched: set[str] = set()
    left_out = {u.visit_id for u in plan.unassigned}
    for i, m in enumerate(moves):
        where = f"moves[{i}]"
        visit = visits.get(m.visit_id)
        if visit is None:
            raise ProblemError(where, "visit_id", m.visit_id, "is not a visit of the plan's day")
        if m.engineer_id not in engineers:
            raise ProblemError(where, "engineer_id", m.engineer_id, "is not an engineer of the day")
        if m.visit_id in frozen:
            raise ProblemError(
                where, "visit_id", m.visit_id, "is done or under way and cannot move"
            )
        holders = [e for e, order in orders.items() if m.visit_id in order]
        if m.engineer_id in holders:
            raise ProblemError(where, "engineer_id", m.engineer_id, "already serves this visit")
        giver = _giver(where, m, holders)
        if giver is not None:
            orders[giver].remove(m.visit_id)
            touched.add(giver)
        if visit.is_event and m.visit_id not in fixed:
            raise ProblemError(
                where, "visit_id", m.visit_id, "is a team visit the plan left out; re-plan instead"
            )
        if m.start is not None:
            fixed[m.visit_id] = m.start
            planned_start[m.visit_id] = m.start
        target = orders[m.engineer_id]
        position = _position(problem, matrix, where, m, visit, target, planned_start, fixed)
        target.insert(position, m.visit_id)
        touched.add(m.engineer_id)
        left_out.discard(m.visit_id)
    routes = []
    for r in _all_routes(problem, plan):
        if r.engineer_id in touched:
            order = orders[r.engineer_id]
            e = problem.engineer(r.engineer_id)
            r = schedule_route(problem, e, order, matrix, fixed_starts=fixed).to_route()
        routes.append(r)
    moved = Plan(
        tuple(routes), tuple(u for u in plan.unassigned if u.visit_id in left_out), plan.stats
    )
    missed = _missed_starts(moved, moves)
    weights = problem.options.weights
    before = price(problem, plan.routes, [u.visit_id for u in plan.unassigned], matrix, weights)
    after = price(problem, moved.routes, sorted(left_out), matrix, weights)
    return Preview(
        plan=moved,
        violations=(*validate(problem, moved, matrix), *missed),
        before=before,
        after=after,
        churn=churn_between(plan, moved, tolerance=tolerance, promises=promises or {}),
    )


def _missed_starts(plan: Plan, moves: Sequence[Move]) -> list[Violation]:
    """A violation per move whose start its engineer cannot make."""
    out = []
    for m in moves:
        route = plan.route_of(m.engineer_id)
        if m.start is None or route is None:
            continue
        for s in route.stops:
            if s.visit_id == m.visit_id and s.start != m.start:
                out.append(
                    Violation(
                        REQUESTED_START,
                        f"{m.engineer_id} cannot start {m.visit_id} at {format_hms(m.start)}: "
                        f"{format_hms(s.start)} at the earliest in this order",
                        m.engineer_id,
                        m.visit_id,
                    )
                )
    return out


def _giver(where: str, m: Move, holders: list[str]) -> str | None:
    """The engineer who gives the visit up (None when the plan left it out)."""
    if m.replaces is not None:
        if m.replaces not in holders:
            raise ProblemError(where, "replaces", m.replaces, f"does not serve {m.visit_id!r}")
        return m.replaces
    if len(holders) > 1:
        raise ProblemError(
            where, "replaces", None, f"must name which of {sorted(holders)} gives the visit up"
        )
    return holders[0] if holders else None


def _position(
    problem: Problem,
    matrix: Matrix,
    where: str,
    m: Move,
    visit: Visit,
    order: list[str],
    planned_start: Mapping[str, int],
    fixed: Mapping[str, int],
) -> int:
    """Where in ``order`` the visit goes: the move's position, its place by start time, or
    the place that leaves the route feasible (least shortfall), then drives least."""
    if m.position is not None:
        if not 0 <= m.position <= len(order):
            raise ProblemError(
                where, "position", m.position, f"must be 0..{len(order)} (the engineer's stops)"
            )
        return m.position
    if m.start is not None:
        return sum(1 for vid in order if planned_start.get(vid, -1) <= m.start)
    e = problem.engineer(m.engineer_id)
    by_id = {v.id: v for v in problem.visits}
    index = problem.location_index()
    stops = [index[e.start_location], *(index[by_id[v].location] for v in order)]
    stops.append(index[e.end_location])
    here = index[visit.location]

    def detour(p: int) -> int:
        a, b = stops[p], stops[p + 1]
        return int(matrix[a, here] + matrix[here, b] - matrix[a, b])

    best, best_key = len(order), (1 << 62, 1 << 62)
    for p in sorted(range(len(order) + 1), key=detour):
        trial = [by_id[v] for v in (*order[:p], visit.id, *order[p:])]
        shortfall = route_shortfall(e, trial, matrix, index, fixed_starts=fixed)
        key = (shortfall or 0, detour(p))
        if key < best_key:
            best, best_key = p, key
        if shortfall == 0:
            break  # the cheapest detour that fits
    return best


def _all_routes(problem: Problem, plan: Plan) -> list[Route]:
    """The plan's routes, with an empty one for each engineer it has none for."""
    have = {r.engineer_id for r in plan.routes}
    extra = [
        Route(e.id, e.shift_start, e.shift_start, ()) for e in problem.engineers if e.id not in have
    ]
    return [*plan.routes, *extra]
