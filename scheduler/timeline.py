"""Timing of one engineer's route in a given order: service starts, breaks, shortfall.

All times are integer seconds since local midnight; durations are integer seconds. The rules
are the ones the solver and the validator share:

* the engineer leaves ``start_location`` at ``departure >= shift_start``, serves the visits in
  order and is back at ``end_location`` by ``shift_end + overtime_max`` (hard);
* each service *start* lies in one of the visit's windows, or, with ``soft_windows``, after
  the last window's end (soft lateness); waiting before a start is allowed;
* with at least one stop, every ``engineer.required_breaks()`` break is taken wholly inside
  ``[earliest_start, latest_end]``, never during a drive or a service: in a gap between two
  activities, before departure, or after the return (at the centre).

:func:`schedule_route` finds the earliest timing of the order; when the order cannot be
timed within the hard limits it keeps going with late times and reports the *shortfall*, the
least total of hard violations in seconds, i.e. how much more room the order would need.

No OR-Tools here: the explanations use this module independently of the solver.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduler.domain import Break, BreakTaken, Engineer, Problem, Route, Stop, Visit, Weights
from scheduler.travel import Matrix

# Above this many (time, shortfall) trade-offs per state the search keeps the best ones only;
# the timing is then a heuristic, never reached with the usual 0-2 breaks and short routes.
_FRONT_MAX = 32

_BREAK, _DRIVE, _SERVE = 0, 1, 2
_NO_CAP = 1 << 62


@dataclass(frozen=True, slots=True)
class RouteSchedule:
    """The timing of one engineer's route (times in seconds since midnight).

    ``shortfall`` is the least total of hard violations in seconds (starts after a hard
    window's end, return after ``shift_end + overtime_max``, breaks ending after their
    ``latest_end``): 0 when the order is feasible. ``lateness`` is the total seconds of
    soft-window starts after the last window's end (allowed, at a cost).
    """

    engineer_id: str
    departure: int
    return_: int
    stops: tuple[Stop, ...]
    breaks: tuple[BreakTaken, ...]
    shortfall: int
    lateness: int = 0

    @property
    def feasible(self) -> bool:
        """Whether the order fits every hard rule (``shortfall == 0``)."""
        return self.shortfall == 0

    def to_route(self) -> Route:
        """The schedule as a plan :class:`~scheduler.domain.Route`."""
        return Route(self.engineer_id, self.departure, self.return_, self.stops, self.breaks)


def schedule_route(
    problem: Problem,
    engineer: Engineer,
    visit_ids: Sequence[str],
    matrix: Matrix,
    *,
    fixed_starts: Mapping[str, int] | None = None,
) -> RouteSchedule:
    """Earliest timing of ``engineer`` serving ``visit_ids`` in this order.

    Service starts are as early as possible; departure is as late as possible without
    delaying the first start; each required break goes to the gap (before departure, between
    two activities, after the return) that minimises the shortfall, then the cost of soft
    lateness and overtime (``problem.options.weights``), then the return time, then the
    service starts, and is placed as early as possible inside its gap. ``fixed_starts``
    (seconds) forces a visit's start, e.g. a community event whose start is shared; arriving
    after it counts as shortfall. Exact for one visit; for longer orders exact unless more
    than a few dozen time/shortfall trade-offs arise.
    """
    by_id = {v.id: v for v in problem.visits}
    visits = [by_id[i] for i in visit_ids]
    return schedule_visits(
        engineer,
        visits,
        matrix,
        problem.location_index(),
        fixed_starts=fixed_starts,
        weights=problem.options.weights,
    )


def schedule_visits(
    engineer: Engineer,
    visits: Sequence[Visit],
    matrix: Matrix,
    location_index: Mapping[str, int],
    *,
    fixed_starts: Mapping[str, int] | None = None,
    weights: Weights | None = None,
) -> RouteSchedule:
    """:func:`schedule_route` on already looked-up visits (for callers timing many orders).

    ``location_index`` is ``problem.location_index()``; times in seconds since midnight;
    ``weights`` (default ``Weights()``) price overtime against soft lateness.
    """
    if not visits:
        return RouteSchedule(engineer.id, engineer.shift_start, engineer.shift_start, (), (), 0)
    taus, breaks, fixed_of = _prepare(engineer, visits, matrix, location_index, fixed_starts)
    overtime = (weights or Weights()).overtime_per_second
    best = _search(engineer, visits, fixed_of, taus, breaks, _NO_CAP, overtime_cost=overtime)
    assert best is not None
    return _lay_out(engineer, visits, taus, breaks, best)


def route_shortfall(
    engineer: Engineer,
    visits: Sequence[Visit],
    matrix: Matrix,
    location_index: Mapping[str, int],
    *,
    fixed_starts: Mapping[str, int] | None = None,
    at_most: int | None = None,
) -> int | None:
    """The ``shortfall`` (seconds) of :func:`schedule_visits`, computed faster: None when it
    exceeds ``at_most`` (``at_most=0`` asks only whether the order is feasible)."""
    if not visits:
        return 0
    taus, breaks, fixed_of = _prepare(engineer, visits, matrix, location_index, fixed_starts)
    cap = _NO_CAP if at_most is None else at_most
    best = _search(engineer, visits, fixed_of, taus, breaks, cap, shortfall_only=True)
    return None if best is None else best.s


class InsertionTimer:
    """Shortfalls (seconds) of one engineer's planned order with one more visit inserted.

    Times the planned order once and reuses the timing of the stops before the insertion
    point, so trying every position costs about half of timing each order afresh.
    ``fixed_starts`` (seconds) keep planned visits' starts, e.g. events shared with others.
    """

    def __init__(
        self,
        engineer: Engineer,
        visits: Sequence[Visit],
        matrix: Matrix,
        location_index: Mapping[str, int],
        *,
        fixed_starts: Mapping[str, int] | None = None,
    ) -> None:
        self.engineer = engineer
        self.visits = tuple(visits)
        self._matrix = matrix
        self._loc = location_index
        self.fixed_starts = dict(fixed_starts or {})
        self._prefix: list[_Front] = []
        if visits:
            taus, breaks, fixed_of = _prepare(
                engineer, visits, matrix, location_index, self.fixed_starts
            )
            best = _search(
                engineer,
                visits,
                fixed_of,
                taus,
                breaks,
                _NO_CAP,
                shortfall_only=True,
                keep=self._prefix,
            )
            assert best is not None
            self.shortfall = best.s
        else:
            self._prefix.append(_initial(engineer))
            self.shortfall = 0

    def shortfall_with(
        self, visit: Visit, position: int, *, start: int | None = None, at_most: int | None = None
    ) -> int | None:
        """Shortfall with ``visit`` inserted before planned stop ``position`` (0 = first),
        its start fixed at ``start`` when given; None when over ``at_most``."""
        visits = [*self.visits[:position], visit, *self.visits[position:]]
        fixed = self.fixed_starts if start is None else {**self.fixed_starts, visit.id: start}
        taus, breaks, fixed_of = _prepare(self.engineer, visits, self._matrix, self._loc, fixed)
        cap = _NO_CAP if at_most is None else at_most
        resume = (position, self._prefix[position])
        best = _search(
            self.engineer, visits, fixed_of, taus, breaks, cap, shortfall_only=True, resume=resume
        )
        return None if best is None else best.s


def _prepare(
    engineer: Engineer,
    visits: Sequence[Visit],
    matrix: Matrix,
    location_index: Mapping[str, int],
    fixed_starts: Mapping[str, int] | None,
) -> tuple[list[int], tuple[Break, ...], list[int | None]]:
    """Drive seconds (out, between stops, home), required breaks, fixed starts per stop."""
    rows = [location_index[engineer.start_location]]
    rows += [location_index[v.location] for v in visits]
    rows.append(location_index[engineer.end_location])
    taus = [int(matrix[a, b]) for a, b in itertools.pairwise(rows)]
    fixed = fixed_starts or {}
    return taus, engineer.required_breaks(), [fixed.get(v.id) for v in visits]


def feasible_start_intervals(
    engineer: Engineer, visit: Visit, matrix: Matrix, location_index: Mapping[str, int]
) -> tuple[tuple[int, int], ...]:
    """Every start ``t`` (seconds) at which ``engineer`` could serve ``visit`` alone.

    Sorted, disjoint, inclusive integer intervals ``(lo, hi)``: ``t`` is in one of them iff
    ``schedule_visits(engineer, [visit], ..., fixed_starts={visit.id: t})`` is feasible.
    """
    a = location_index[engineer.start_location]
    b = location_index[visit.location]
    c = location_index[engineer.end_location]
    tau_out, tau_back = int(matrix[a, b]), int(matrix[b, c])
    breaks = engineer.required_breaks()
    day_end = engineer.working_day.end
    spans: list[tuple[int, int]] = []
    # Each break goes to one of four slots: before departure, after arriving, after the
    # service, after the return; within a slot, breaks follow the permutation.
    for perm in itertools.permutations(range(len(breaks))):
        for slots in itertools.product(range(4), repeat=len(breaks)):
            order = sorted(range(len(perm)), key=slots.__getitem__)  # stable: perm order
            seq = [(slots[j], breaks[perm[j]]) for j in order]
            lo = _earliest_arrival(engineer.shift_start, tau_out, [(s, b) for s, b in seq if s < 2])
            hi = _latest_end(day_end, tau_back, [(s, b) for s, b in seq if s >= 2])
            if lo is None or hi is None:
                continue
            hi -= visit.duration
            spans.extend(
                (max(lo, w_lo), min(hi, w_hi))
                for w_lo, w_hi in _allowed_spans(visit, hi)
                if max(lo, w_lo) <= min(hi, w_hi)
            )
    return _merge(spans)


# --- the search --------------------------------------------------------------------------


class _Label:
    """A partial timing: engineer free at ``t`` with hard violations ``s`` (seconds) so far,
    ``cost`` of soft lateness and overtime (cost units), return time ``ret`` (0 until back)
    and sum of service starts ``ss``. When only the shortfall is wanted, ``cost``, ``ret``
    and ``ss`` stay 0."""

    __slots__ = ("act", "cost", "mask", "parent", "ret", "s", "ss", "t")

    def __init__(
        self,
        t: int,
        s: int,
        cost: float,
        ret: int,
        ss: int,
        mask: int,
        parent: _Label | None,
        act: tuple[int, int, int, int],
    ) -> None:
        self.t = t
        self.s = s
        self.cost = cost
        self.ret = ret
        self.ss = ss
        self.mask = mask
        self.parent = parent
        self.act = act


_Front = dict[int, list[_Label]]


def _insert(front: _Front, lab: _Label, cap: int) -> bool:
    """Add ``lab`` unless its shortfall exceeds ``cap`` or a label of its mask is no worse
    in every respect (every later quantity only grows with each of them)."""
    t, s, cost, ret, ss = lab.t, lab.s, lab.cost, lab.ret, lab.ss
    if s > cap:
        return False
    same = front.get(lab.mask)
    if same is None:
        front[lab.mask] = [lab]
        return True
    for o in same:
        if o.t <= t and o.s <= s and o.cost <= cost and o.ret <= ret and o.ss <= ss:
            return False
    same[:] = [
        o
        for o in same
        if not (t <= o.t and s <= o.s and cost <= o.cost and ret <= o.ret and ss <= o.ss)
    ]
    same.append(lab)
    if len(same) > _FRONT_MAX:
        same.sort(key=_rank)
        del same[_FRONT_MAX:]
    return True


def _rank(o: _Label) -> tuple[int, float, int, int, int]:
    """Preference among timings: shortfall, lateness + overtime cost, return, starts, then
    free time."""
    return (o.s, o.cost, o.ret, o.ss, o.t)


def _take_breaks(front: _Front, breaks: Sequence[Break], cap: int) -> None:
    """Let every label take any number of its remaining breaks here (as early as possible)."""
    todo = [lab for same in front.values() for lab in same]
    while todo:
        grown = []
        for lab in todo:
            for i, b in enumerate(breaks):
                if lab.mask >> i & 1:
                    continue
                bs = max(lab.t, b.earliest_start)
                end = bs + b.duration
                s = lab.s + max(0, end - b.latest_end)
                mask = lab.mask | 1 << i
                new = _Label(end, s, lab.cost, lab.ret, lab.ss, mask, lab, (_BREAK, i, bs, 0))
                if _insert(front, new, cap):
                    grown.append(new)
        todo = grown


def _passed_end(visit: Visit, t: int) -> int | None:
    """End of the last window that closed before ``t`` (None when none has)."""
    ends = [w.end for w in visit.time_windows if w.end < t]
    return ends[-1] if ends else None


def _misfit(visit: Visit, t: int) -> int:
    """Seconds ``t`` lies outside the allowed starts of ``visit`` (0 when allowed)."""
    if visit.start_allowed(t):
        return 0
    passed = _passed_end(visit, t)
    return t - passed if passed is not None else visit.time_windows[0].start - t


def _soft_late(visit: Visit, t: int) -> int:
    return visit.lateness(t) if visit.soft_windows else 0


def _start_options(visit: Visit, ready: int, fixed: int | None) -> list[tuple[int, int, int]]:
    """Possible ``(start, hard violation, soft lateness)`` for a visit reached at ``ready``."""
    if fixed is not None:
        start = max(ready, fixed)
        return [(start, start - fixed + _misfit(visit, fixed), _soft_late(visit, fixed))]
    nat = visit.earliest_start_from(ready)
    if nat is None:  # hard windows, all closed: start late and count it
        return [(ready, ready - visit.time_windows[-1].end, 0)]
    options = [(nat, 0, _soft_late(visit, nat))]
    if nat != ready:
        passed = _passed_end(visit, ready)
        if passed is not None:  # starting late in a closed window may cost less than waiting
            options.append((ready, ready - passed, 0))
    return options


def _search(
    engineer: Engineer,
    visits: Sequence[Visit],
    fixed_of: Sequence[int | None],
    taus: Sequence[int],
    breaks: Sequence[Break],
    cap: int,
    *,
    shortfall_only: bool = False,
    overtime_cost: float = 0.0,
    resume: tuple[int, _Front] | None = None,
    keep: list[_Front] | None = None,
) -> _Label | None:
    """Label-setting over drives, services and breaks: the best complete label (by
    :func:`_rank`), or None when every timing's shortfall exceeds ``cap`` seconds.

    ``overtime_cost`` is per second back after ``shift_end``. ``resume=(g, front)`` starts
    from the labels free after the first ``g`` stops (as kept by an earlier search of the
    same first ``g`` stops in ``keep``)."""
    day_end = engineer.working_day.end
    track = 0 if shortfall_only else 1
    n = len(visits)
    g0, front = (0, _initial(engineer)) if resume is None else resume
    front = {mask: list(same) for mask, same in front.items()}
    for g in range(g0, n + 1):
        if keep is not None:
            keep.append({mask: list(same) for mask, same in front.items()})
        _take_breaks(front, breaks, cap)
        driven: _Front = {}
        for same in front.values():
            for lab in same:
                t = lab.t + taus[g]
                s, ret, cost = lab.s, lab.ret, lab.cost
                if g == n:
                    s, ret = s + max(0, t - day_end), t * track
                    cost += overtime_cost * max(0, t - engineer.shift_end) * track
                new = _Label(t, s, cost, ret, lab.ss, lab.mask, lab, (_DRIVE, g, 0, 0))
                _insert(driven, new, cap)
        front = driven
        _take_breaks(front, breaks, cap)
        if g == n:
            break
        served: _Front = {}
        visit = visits[g]
        for same in front.values():
            for lab in same:
                for start, viol, late in _start_options(visit, lab.t, fixed_of[g]):
                    new = _Label(
                        start + visit.duration,
                        lab.s + viol,
                        lab.cost + late * visit.lateness_cost * track,
                        lab.ret,
                        lab.ss + start * track,
                        lab.mask,
                        lab,
                        (_SERVE, g, start, viol),
                    )
                    _insert(served, new, cap)
        front = served
    done = front.get((1 << len(breaks)) - 1)
    return min(done, key=_rank) if done else None


def _initial(engineer: Engineer) -> _Front:
    return {0: [_Label(engineer.shift_start, 0, 0, 0, 0, 0, None, (-1, 0, 0, 0))]}


# --- laying the chosen timing out ---------------------------------------------------------


def _asap(t: int, seq: Sequence[Break]) -> tuple[int, int, list[BreakTaken]]:
    """Take ``seq`` in order as early as possible from ``t``: (end, violation, placed)."""
    viol = 0
    placed = []
    for b in seq:
        bs = max(t, b.earliest_start)
        t = bs + b.duration
        viol += max(0, t - b.latest_end)
        placed.append(BreakTaken(bs, t))
    return t, viol, placed


def _lay_out(
    engineer: Engineer,
    visits: Sequence[Visit],
    taus: Sequence[int],
    breaks: Sequence[Break],
    best: _Label,
) -> RouteSchedule:
    n = len(visits)
    acts: list[tuple[int, int, int, int]] = []
    lab: _Label | None = best
    while lab is not None and lab.act[0] >= 0:
        acts.append(lab.act)
        lab = lab.parent
    acts.reverse()
    # slot 2g: before drive g; slot 2g + 1: after drive g (drive n goes home).
    slots: list[list[Break]] = [[] for _ in range(2 * n + 2)]
    starts = [0] * n
    service_viol = 0
    slot = 0
    for kind, i, value, viol in acts:
        if kind == _BREAK:
            slots[slot].append(breaks[i])
        elif kind == _DRIVE:
            slot = 2 * i + 1
        else:
            starts[i], slot = value, 2 * i + 2
            service_viol += viol
    lateness = sum(_soft_late(v, s) for v, s in zip(visits, starts, strict=True))
    taken: list[BreakTaken] = []
    arrivals = [0] * n
    gap_viol = 0

    # Before the first service: breaks as early as possible, departure as late as possible.
    s1 = starts[0]
    own = slots[0] + slots[1]
    own_end, own_v0, _ = _asap(engineer.shift_start, slots[0])
    _, own_v1, _ = _asap(own_end + taus[0], slots[1])
    budget = own_v0 + own_v1
    chosen: tuple[int, int, list[BreakTaken]] | None = None
    for p in range(len(own), -1, -1):
        pre_end, pre_v, pre_placed = _asap(engineer.shift_start, own[:p])
        latest = s1
        for b in reversed(own[p:]):
            latest = min(latest, b.latest_end) - b.duration
            if b.earliest_start > latest:
                break
        else:
            dep = latest - taus[0]
            if dep >= pre_end:
                post_end, post_v, post_placed = _asap(dep + taus[0], own[p:])
                if post_end <= s1 and pre_v + post_v <= budget:
                    chosen = (dep, pre_v + post_v, pre_placed + post_placed)
                    break
    if chosen is None:  # keep the search's own placement
        pre_end, pre_v, pre_placed = _asap(engineer.shift_start, slots[0])
        _, post_v, post_placed = _asap(pre_end + taus[0], slots[1])
        chosen = (pre_end, pre_v + post_v, pre_placed + post_placed)
    departure, v, placed = chosen
    gap_viol += v
    taken += placed
    arrivals[0] = departure + taus[0]

    # Between services: each gap's breaks as early as possible without delaying the next.
    for g in range(1, n):
        end_prev = starts[g - 1] + visits[g - 1].duration
        own = slots[2 * g] + slots[2 * g + 1]
        mid, v_a, _ = _asap(end_prev, slots[2 * g])
        _, v_b, _ = _asap(mid + taus[g], slots[2 * g + 1])
        budget = v_a + v_b
        for p in range(len(own), -1, -1):
            mid, v_a, placed_a = _asap(end_prev, own[:p])
            end, v_b, placed_b = _asap(mid + taus[g], own[p:])
            if end <= starts[g] and v_a + v_b <= budget:
                break
        gap_viol += v_a + v_b
        taken += placed_a + placed_b
        arrivals[g] = mid + taus[g]

    # After the last service: back as early as the search found, breaks as early as possible.
    end_last = starts[-1] + visits[-1].duration
    day_end = engineer.working_day.end
    own = slots[2 * n] + slots[2 * n + 1]
    mid, v_a, _ = _asap(end_last, slots[2 * n])
    ret_own = mid + taus[n]
    _, v_b, _ = _asap(ret_own, slots[2 * n + 1])
    budget = v_a + v_b + max(0, ret_own - day_end)
    for p in range(len(own), -1, -1):
        mid, v_a, placed_a = _asap(end_last, own[:p])
        ret = mid + taus[n]
        _, v_b, placed_b = _asap(ret, own[p:])
        v_total = v_a + v_b + max(0, ret - day_end)
        if ret <= ret_own and v_total <= budget:
            break
    gap_viol += v_total
    taken += placed_a + placed_b

    stops = tuple(
        Stop(v.id, arrivals[i], starts[i], starts[i] + v.duration) for i, v in enumerate(visits)
    )
    return RouteSchedule(
        engineer.id,
        departure,
        ret,
        stops,
        tuple(sorted(taken, key=lambda b: b.start)),
        service_viol + gap_viol,
        lateness,
    )


# --- single-visit intervals ---------------------------------------------------------------


def _earliest_arrival(shift_start: int, tau: int, seq: Sequence[tuple[int, Break]]) -> int | None:
    """Earliest arrival at the visit with ``seq`` (slot 0 before, 1 after the drive) taken
    within their windows; None when one cannot be."""
    t = shift_start
    driven = False
    for slot, b in seq:
        if slot == 1 and not driven:
            t, driven = t + tau, True
        t = max(t, b.earliest_start) + b.duration
        if t > b.latest_end:
            return None
    return t if driven else t + tau


def _latest_end(day_end: int, tau: int, seq: Sequence[tuple[int, Break]]) -> int | None:
    """Latest service end from which ``seq`` (slot 2 before, 3 after the drive home) and the
    return by ``day_end`` still fit; None when no end does."""
    lim = _NO_CAP  # after the return only the breaks' own windows bind
    home_done = False
    for slot, b in reversed(seq):
        if slot == 2 and not home_done:
            lim, home_done = min(lim, day_end) - tau, True
        lim = min(lim, b.latest_end) - b.duration
        if b.earliest_start > lim:
            return None
    return lim if home_done else min(lim, day_end) - tau


def _allowed_spans(visit: Visit, hi: int) -> list[tuple[int, int]]:
    """The visit's allowed starts up to ``hi`` as inclusive intervals."""
    ws = visit.time_windows
    if not ws:
        return [(-_NO_CAP, hi)]
    spans = [(w.start, w.end) for w in ws]
    if visit.soft_windows:
        spans[-1] = (ws[-1].start, max(hi, ws[-1].end))
    return spans


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def arrival_on_site(prev_end: int, travel: int, start: int, breaks: Sequence[BreakTaken]) -> int:
    """Arrival on site (seconds): breaks in the gap that begin before the engineer would
    otherwise have arrived are taken on the way (delaying arrival); later ones on site."""
    arrival = prev_end + travel
    for b in breaks:
        if prev_end <= b.start and b.end <= start and b.start < arrival:
            arrival += b.end - b.start
    return min(arrival, start)
