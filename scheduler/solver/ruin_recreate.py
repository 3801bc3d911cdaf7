"""Ruin-and-recreate search over field-service routes, compiled with numba (arrays in,
arrays out; no domain types and no OR-Tools here).

The search is SISR (Christiaens and Vanden Berghe, "Slack induction by string removals for
vehicle routing problems", Transportation Science 2020): each iteration removes strings of
consecutive visits from routes that pass near a random visit, puts the removed visits (and
any left out) back at their cheapest feasible places, skipping a place now and then
("blinks"), and keeps the result by simulated annealing on the exact objective.

Every rule of the problem contract is known here:

* **Tasks and jobs.** A task is what one engineer does on site. A job (a visit) has one task,
  or ``k`` for a visit needing ``k`` engineers (a community event): those are removed and
  inserted as a whole, into ``k`` different routes, all starting at one moment chosen in the
  job's windows (``fix``, seconds). So the search itself decides which events are held and by
  whom, against the home visits they displace.
* **Windows** bound a task's start: several per task (the gaps are closed), hard or soft (a
  start after the last window's end costs ``late_w`` per second).
* **Breaks** are nodes of their engineer's route, with a window for their start. In the gap
  between two activities a break may pause the drive: it is timed as if taken after the drive,
  its latest start extended by the gap's drive, which admits exactly the schedules the
  validator accepts (``timetable`` places it for real). Breaks after the last task are taken
  after the return. A route with tasks holds all its engineer's breaks, in their order; an
  empty route holds none.
* **Shifts and overtime.** A route leaves at ``shift0`` at the earliest and is back by
  ``day_end`` (shift end plus the most overtime, hard); each second back after ``shift1``
  costs ``overtime_w``. ``max_duration`` bounds departure to return, ``cap`` the load.
* **Costs**: driving, overtime, lateness, a fixed cost per engineer sent out, a cost per task
  served by an engineer the job does not prefer, and the longest working time (drive plus
  service) priced by ``balance_w``.

A route's timing in a given order is its *earliest schedule* (every start as early as
allowed), which minimises every lateness and the return at once; the departure is then put
off as long as no cost changes (``timetable``). Each element of a route has a drive into it
(``tin``: the gap's drive goes into the first element after it) and a window. A place for a
task is checked in constant time from the earliest starts of the elements before it and the
latest feasible starts of those after it (exact for several windows, soft windows, fixed
starts and breaks); the duration limit uses the route summaries of Vidal et al. (EJOR 2014)
where they are exact (single hard windows) and a timing of the whole route otherwise. Costs
that depend on time (lateness, overtime) are priced by pushing the new times forward until
they meet the old ones.

The objective is a pair ``(pen, cost)``: ``pen`` counts the drop penalties of jobs left out in
units of ``drop_base`` (a mixed-radix count: see ``scheduler.objective``), ``cost`` is
everything else in cost units; the total ``drop_base * pen + cost`` is compared exactly
without overflowing 64 bits (``_less``).

The day travels as the tuple ``day`` = (tasks, dist, node, win, flags, jobs, route, near,
weights) and a solution as ``st`` = (seq, size, fix, rs, where, info); the columns of each
table are the ``N_``, ``R_``, ``J_``, ``W_``, ``S_`` and ``I_`` constants below. Few, wide
arrays keep calls cheap (numba passes every array of a tuple as separate arguments), and
the helpers called per place take only the arrays they read. Times are integer seconds;
costs integer cost units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
ByteArray = npt.NDArray[np.int8]

NONE = -(1 << 60)  # no fixed start
INF = 1 << 55  # later than any time
NOTHING = 1 << 60  # a cost or penalty worse than any plan's
_F = TypeVar("_F", bound=Callable[..., Any])

# node[N, NODE_FIELDS]: tasks 0..tasks-1, then breaks (loc -1, job -1). N_PREF: the task's
# job prefers some engineers (others cost extra). Re-planning: a start after N_DUE costs
# N_DUE_W per second, after N_PROMISE N_PROMISE_W once (INF: none), and serving the task on a
# route other than its previous one (flag PREVIOUS) costs N_REASSIGN.
N_LOC, N_DUR, N_W0, N_W1, N_SOFT, N_LATE, N_LOAD, N_JOB, N_FROZEN, N_PREF = range(10)
N_DUE, N_DUE_W, N_PROMISE, N_PROMISE_W, N_REASSIGN = range(10, 15)
NODE_FIELDS = 15
# win[W, 2]: earliest and latest start of each window (a soft window's end).
# flags[T, K]: bits per task and route.
ALLOWED, NONPREF, PREVIOUS = 1, 2, 4
# jobs[J, 6]: first task, tasks (engineers needed), drop penalty units, a cost (cost units)
# of leaving it out on top (re-planning: a visit planned before), and the least and most
# seconds between the starts of consecutive tasks (a crew in sequence; 0, 0: together).
J_FIRST, J_COUNT, J_PEN, J_DROP, J_GAP0, J_GAP1 = range(6)
# route[K, ROUTE_FIELDS]: start and end location rows, earliest departure, shift end, latest
# return, most seconds out, most load, the first route alike (kind), break nodes b0..b1, and
# how many leading elements are locked (re-planning: the stop an engineer is driving to): no
# task or break goes before them.
R_START, R_END, R_SHIFT0, R_SHIFT1, R_DAY_END, R_MAXDUR, R_CAP, R_KIND, R_B0, R_B1 = range(10)
R_LOCKED = 10
ROUTE_FIELDS = 11
# weights[7]: per second driving, per second overtime, per engineer out, per non-preferred
# stop, per second of the longest working time, drop_base (cost of one penalty unit), and
# per second of the largest lateness of any task.
W_TRAVEL, W_OVERTIME, W_FIXED, W_NONPREF, W_BALANCE, W_BASE, W_MAXLATE = range(7)
# rs[K + 1, STATE_FIELDS, width + 1] per route row, field and element (an element's positions
# contiguous, for the scans over places): earliest and latest start, drive into it, last task
# before / first task at or after the position, waiting after it until the return, tasks with
# soft or several windows from it on, Vidal summaries from the start through it (3) and from
# it to the end (3). Row K is scratch for trials.
S_EST, S_LST, S_TIN, S_PTASK, S_NTASK, S_WAIT, S_CPLX, S_VF, S_VB = 0, 1, 2, 3, 4, 5, 6, 7, 10
# Per position, for the scans over places: the location row of the last task before it (or
# the start), of the first task at or after it (or the end), and when the engineer is free
# after the last task before it.
S_LX, S_LY, S_FREE = 13, 14, 15
STATE_FIELDS = 16
# where[N, 2]: route (-1: left out) and position of each node.
# info[K + 1, INFO] per route row:
I_OK, I_DRIVE, I_BUSY, I_LOAD, I_RET, I_LATE, I_ASSIGN, I_TASKS, I_DUR, I_COMPLEX, I_COST = range(
    11
)
I_MAXLATE = 11  # the largest lateness (seconds after a soft window) of one task
INFO = 12
_TOP = 4  # starts of a job needing several engineers priced exactly per insertion


def _compiled(fn: _F) -> _F:
    """``fn`` compiled by numba, cached on disk beside this module (compiling takes a while)."""
    return cast(_F, numba.njit(cache=True)(fn))


@_compiled
def seed(value: int) -> None:
    """Seed the search's random numbers (numba keeps its own generator)."""
    np.random.seed(value)


@_compiled
def _less(pen_a: int, cost_a: int, pen_b: int, cost_b: int, base: int) -> bool:
    """Whether ``base * pen_a + cost_a < base * pen_b + cost_b``, exactly."""
    dp = pen_a - pen_b
    dc = cost_a - cost_b
    if dp == 0:
        return dc < 0
    # |dc| < 2**62: once base * |dp| exceeds it the sign of dp decides.
    limit = (1 << 62) // base + 1
    if dp >= limit:
        return False
    if dp <= -limit:
        return True
    return dp * base + dc < 0


@_compiled
def _gap(pen_a: int, cost_a: int, pen_b: int, cost_b: int, base: int) -> float:
    """``(base * pen_a + cost_a) - (base * pen_b + cost_b)`` as a float (for annealing)."""
    return float(pen_a - pen_b) * float(base) + float(cost_a - cost_b)


@_compiled
def _join(
    d1: int, e1: int, l1: int, t: int, d2: int, e2: int, l2: int
) -> tuple[int, int, int, bool]:
    """Two segments joined by a drive of ``t`` seconds: (shortest duration, earliest and
    latest start of the first, feasible); a segment is (duration, earliest, latest start)."""
    delta = d1 + t
    wait = max(e2 - delta - l1, 0)
    late = max(e1 + delta - l2, 0)
    return d1 + d2 + t + wait, max(e2 - delta, e1) - wait, min(l2 - delta, l1), late == 0


# --------------------------------------------------------------------------------------------
# One node
# --------------------------------------------------------------------------------------------


@_compiled
def _earliest(node: IntArray, win: IntArray, fix: IntArray, c: int, t: int) -> int:
    """Earliest allowed start of task ``c`` at or after ``t``; INF when there is none."""
    f = fix[c]
    if f != NONE:
        return int(f) if t <= f else INF
    for w in range(node[c, N_W0], node[c, N_W1]):
        if t <= win[w, 1]:
            return int(max(t, win[w, 0]))
    if node[c, N_SOFT]:
        return t
    return INF


@_compiled
def _latest(node: IntArray, win: IntArray, fix: IntArray, c: int, x: int) -> int:
    """Latest allowed start of task ``c`` at or before ``x``; -INF when there is none."""
    f = fix[c]
    if f != NONE:
        return int(f) if f <= x else -INF
    last = node[c, N_W1] - 1
    if node[c, N_SOFT] and x > win[last, 1]:
        return x
    for w in range(last, node[c, N_W0] - 1, -1):
        if x >= win[w, 0]:
            return int(min(x, win[w, 1]))
    return -INF


@_compiled
def _late_cost(node: IntArray, win: IntArray, c: int, s: int) -> int:
    """What task ``c`` starting at ``s`` costs for its time (never less for a later start):
    after its last soft window, after its due time, after its promise."""
    cost = 0
    if node[c, N_SOFT]:
        cost += node[c, N_LATE] * max(0, s - win[node[c, N_W1] - 1, 1])
    if s > node[c, N_DUE]:
        cost += node[c, N_DUE_W] * (s - node[c, N_DUE])
    if s > node[c, N_PROMISE]:
        cost += node[c, N_PROMISE_W]
    return int(cost)


@_compiled
def _assign_cost(node: IntArray, flags: ByteArray, weights: IntArray, c: int, r: int) -> int:
    """What serving task ``c`` on route ``r`` costs: a non-preferred engineer, another
    engineer than the one it was planned with."""
    cost = weights[W_NONPREF] if flags[c, r] & NONPREF else 0
    if node[c, N_REASSIGN] and not flags[c, r] & PREVIOUS:
        cost += node[c, N_REASSIGN]
    return int(cost)


@_compiled
def _hull(node: IntArray, win: IntArray, fix: IntArray, c: int) -> tuple[int, int]:
    """A task's earliest and latest start ignoring gaps between windows (Vidal summary)."""
    if fix[c] != NONE:
        return fix[c], fix[c]
    hi = INF if node[c, N_SOFT] else win[node[c, N_W1] - 1, 1]
    return win[node[c, N_W0], 0], hi


@_compiled
def _is_complex(node: IntArray, fix: IntArray, c: int) -> bool:
    """Whether a task's time is priced (soft windows, due time, promise) or its Vidal summary
    is not exact (several windows): the route is then timed whole for its duration, and a
    push is priced task by task."""
    return bool(
        fix[c] == NONE
        and (
            node[c, N_SOFT] != 0
            or node[c, N_W1] - node[c, N_W0] > 1
            or node[c, N_DUE] < INF
            or node[c, N_PROMISE] < INF
        )
    )


@_compiled
def _slack(node: IntArray, win: IntArray, fix: IntArray, c: int, s: int) -> int:
    """How much later task ``c`` starting at ``s`` may start at no cost, in its window."""
    if fix[c] != NONE:
        return 0
    cap = INF
    if s <= node[c, N_DUE]:
        cap = node[c, N_DUE] - s
    elif node[c, N_DUE_W]:
        return 0
    if s <= node[c, N_PROMISE]:
        cap = min(cap, node[c, N_PROMISE] - s)
    for w in range(node[c, N_W0], node[c, N_W1]):
        if win[w, 0] <= s <= win[w, 1]:
            return int(min(cap, win[w, 1] - s))
    return 0  # late at a soft window: a later start costs more


# --------------------------------------------------------------------------------------------
# Gaps: the breaks between two tasks
# --------------------------------------------------------------------------------------------


@_compiled
def _through(
    node: IntArray,
    win: IntArray,
    row: IntArray,
    i0: int,
    i1: int,
    free: int,
    tau: int,
    final: bool,
    extra_at: int,
    extra: int,
) -> tuple[int, bool]:
    """Time the breaks ``row[i0:i1]`` of one gap (and break node ``extra`` before index
    ``extra_at``, when ``extra >= 0``), the engineer free at ``free`` and the gap's drive
    ``tau``: (ready time for what follows the gap, feasible). In the last gap (``final``)
    the breaks follow the return, which is ``free + tau`` and is what is returned."""
    t = free + tau
    if i0 >= i1 and extra < 0:
        return t, True  # no break in the gap (the usual case)
    ok = True
    first = True
    for k in range(i0, i1 + 1):
        for pick in range(2):
            if pick == 0:
                if k != extra_at or extra < 0:
                    continue
                b = extra
            else:
                if k >= i1:
                    continue
                b = row[k]
            w = node[b, N_W0]
            ext = tau if (first and not final) else 0
            first = False
            s = max(t, win[w, 0])
            if s > win[w, 1] + ext:
                ok = False
            t = s + node[b, N_DUR]
    return (free + tau if final else t), ok


@_compiled
def _latest_before_gap(
    node: IntArray,
    win: IntArray,
    row: IntArray,
    i0: int,
    i1: int,
    after: int,
    tau: int,
    final: bool,
) -> int:
    """The latest time the engineer may be free before the gap ``row[i0:i1]`` (drive
    ``tau``) so that its breaks fit and what follows may start by ``after`` (in the last
    gap: the latest return); -INF when none."""
    latest = after if not final else INF
    for k in range(i1 - 1, i0 - 1, -1):
        b = row[k]
        w = node[b, N_W0]
        ext = tau if (k == i0 and not final) else 0
        latest = min(win[w, 1] + ext, latest - node[b, N_DUR])
        if latest < win[w, 0]:
            return -INF
    if final:
        latest = min(after, latest)
    return latest - tau


# --------------------------------------------------------------------------------------------
# One route's summaries
# --------------------------------------------------------------------------------------------


@_compiled
def _refresh_as(day: Any, st: Any, q: int, r: int) -> None:
    """Recompute the summaries of state row ``q`` holding a route of ``r``'s engineer (``q``
    is ``r``, or the scratch row for a trial); ``where`` is updated only when ``q == r``.
    Vidal summaries are kept only for an engineer with a duration limit."""
    tasks, dist, node, win, flags, _, route, _, weights = day
    seq, size, fix, rs, where, info = st
    n = size[q]
    row = seq[q]
    start_loc, end_loc = route[r, R_START], route[r, R_END]
    shift0, day_end = route[r, R_SHIFT0], route[r, R_DAY_END]
    limited = route[r, R_MAXDUR] < INF
    # The first task at or after each position (and the drive-in target of a gap's breaks).
    nxt = n
    rs[q, S_NTASK, n] = n
    for i in range(n - 1, -1, -1):
        if row[i] < tasks:
            nxt = i
        rs[q, S_NTASK, i] = nxt
    # Forward: the last task before each position, drives in, earliest starts and costs.
    ok = True
    busy = 0
    total_load = 0
    lateness = 0
    worst = 0
    assign = 0
    count = 0
    complex_ = 0
    free = shift0
    d0, e0, l0 = 0, shift0, day_end
    drive = 0
    prev = -1
    lx = start_loc
    t = shift0
    ret_at = shift0
    last_end = shift0
    for i in range(n):
        c = row[i]
        rs[q, S_PTASK, i] = prev
        rs[q, S_LX, i] = lx
        rs[q, S_FREE, i] = last_end
        y = rs[q, S_NTASK, i]
        rs[q, S_LY, i] = end_loc if y >= n else node[row[y], N_LOC]
        if q == r:
            where[c, 0] = r
            where[c, 1] = i
        if prev == i - 1:
            y = i if c < tasks else rs[q, S_NTASK, i]
            tin = dist[lx, end_loc if y >= n else node[row[y], N_LOC]]
        else:
            tin = 0
        rs[q, S_TIN, i] = tin
        if c < tasks:
            t = free + tin
            s = _earliest(node, win, fix, c, t)
            if s >= INF:
                ok = False
                s = t
            count += 1
            total_load += node[c, N_LOAD]
            busy += node[c, N_DUR]
            assign += _assign_cost(node, flags, weights, c, r)
            lateness += _late_cost(node, win, c, s)
            if node[c, N_SOFT]:
                worst = max(worst, s - win[node[c, N_W1] - 1, 1])
            if _is_complex(node, fix, c):
                complex_ += 1
            drive += dist[lx, node[c, N_LOC]]
            lx = node[c, N_LOC]
            prev = i
            last_end = s + node[c, N_DUR]
            if limited:
                lo, hi = _hull(node, win, fix, c)
                d0, e0, l0, fits = _join(d0, e0, l0, tin, node[c, N_DUR], lo, hi)
                rs[q, S_VF, i], rs[q, S_VF + 1, i], rs[q, S_VF + 2, i] = d0, e0, l0
        elif rs[q, S_NTASK, i] < n:
            # A break between two activities: after the drive, its latest start extended.
            t = free + tin
            w = node[c, N_W0]
            hi = win[w, 1] + tin
            s = max(t, win[w, 0])
            if s > hi:
                ok = False
            if limited:
                d0, e0, l0, fits = _join(d0, e0, l0, tin, node[c, N_DUR], win[w, 0], hi)
                rs[q, S_VF, i], rs[q, S_VF + 1, i], rs[q, S_VF + 2, i] = d0, e0, l0
        else:
            # After the last task: the return comes first, the break after it.
            if prev == i - 1:
                free = free + tin  # the return
                ret_at = free
            w = node[c, N_W0]
            s = max(free if prev == i - 1 else t, win[w, 0])
            if s > win[w, 1]:
                ok = False
        rs[q, S_EST, i] = s
        t = s + node[c, N_DUR]
        if rs[q, S_NTASK, i] < n or c < tasks:
            free = t
    rs[q, S_PTASK, n] = prev
    last = prev
    lx_last = start_loc if last < 0 else node[row[last], N_LOC]
    rs[q, S_TIN, n] = dist[lx_last, end_loc]
    if n > 0:
        drive += dist[lx, end_loc]
        # A route with tasks holds every break of its engineer.
        if n - count != route[r, R_B1] - route[r, R_B0]:
            ok = False
    busy += drive
    if n == 0:
        ret = shift0
    elif last == n - 1:
        ret = free + rs[q, S_TIN, n]
    else:
        ret = ret_at
    if ret > day_end:
        ok = False
    # Backward: latest starts (trailing breaks first), waits, Vidal summaries to the end.
    nxt_latest = INF
    for i in range(n - 1, last, -1):
        w = node[row[i], N_W0]
        nxt_latest = min(win[w, 1], nxt_latest - node[row[i], N_DUR])
        rs[q, S_LST, i] = nxt_latest
        if nxt_latest < win[w, 0]:
            ok = False
        rs[q, S_WAIT, i] = 0
        rs[q, S_CPLX, i] = 0
    ret_latest = min(day_end, nxt_latest)
    after = ret_latest - rs[q, S_TIN, n]  # latest end of the element before the end
    bd, be, bl = 0, shift0, ret_latest
    if limited:
        rs[q, S_VB, last + 1], rs[q, S_VB + 1, last + 1], rs[q, S_VB + 2, last + 1] = bd, be, bl
    rs[q, S_CPLX, last + 1] = 0
    rs[q, S_CPLX, n] = 0
    waits = 0
    cplx = 0
    into_next = rs[q, S_TIN, n]
    for i in range(last, -1, -1):
        c = row[i]
        tin = rs[q, S_TIN, i]
        if c < tasks:
            latest = _latest(node, win, fix, c, after - node[c, N_DUR])
            if _is_complex(node, fix, c):
                cplx += 1
            if limited:
                lo, hi = _hull(node, win, fix, c)
        else:
            w = node[c, N_W0]
            lo = win[w, 0]
            hi = win[w, 1] + (tin if rs[q, S_PTASK, i] == i - 1 else 0)
            latest = min(hi, after - node[c, N_DUR])
        rs[q, S_LST, i] = latest
        est = rs[q, S_EST, i]
        if latest < est:
            ok = False
        if limited:
            bd, be, bl, fits = _join(node[c, N_DUR], lo, hi, into_next, bd, be, bl)
            rs[q, S_VB, i], rs[q, S_VB + 1, i], rs[q, S_VB + 2, i] = bd, be, bl
        rs[q, S_WAIT, i] = waits
        prev_free = shift0 if i == 0 else rs[q, S_EST, i - 1] + node[row[i - 1], N_DUR]
        waits += est - (prev_free + tin)
        rs[q, S_CPLX, i] = cplx
        after = latest - tin
        into_next = tin
    # Duration: exact from the summaries when no soft or several windows, else timed.
    duration = 0
    if n > 0 and limited:
        if complex_ == 0:
            duration, _, _, fits = _join(0, shift0, day_end, rs[q, S_TIN, 0], bd, be, bl)
            if not fits:
                ok = False
        else:
            delay = _departure_delay(node, win, fix, seq, size, rs, q, shift0, tasks)
            duration = ret - (shift0 + delay)
        if duration > route[r, R_MAXDUR]:
            ok = False
    rs[q, S_LX, n] = lx
    rs[q, S_LY, n] = end_loc
    rs[q, S_FREE, n] = last_end
    used = 1 if count > 0 else 0
    cost = (
        drive * weights[W_TRAVEL]
        + max(0, ret - route[r, R_SHIFT1]) * weights[W_OVERTIME] * used
        + used * weights[W_FIXED]
        + assign
        + lateness
    )
    info[q, I_OK] = 1 if ok else 0
    info[q, I_DRIVE] = drive
    info[q, I_BUSY] = busy
    info[q, I_LOAD] = total_load
    info[q, I_RET] = ret
    info[q, I_LATE] = lateness
    info[q, I_ASSIGN] = assign
    info[q, I_TASKS] = count
    info[q, I_DUR] = duration
    info[q, I_COMPLEX] = complex_
    info[q, I_COST] = cost
    info[q, I_MAXLATE] = worst


@_compiled
def _refresh(day: Any, st: Any, r: int) -> None:
    """Recompute route ``r``'s summaries."""
    _refresh_as(day, st, r, r)


@_compiled
def _departure_delay(
    node: IntArray,
    win: IntArray,
    fix: IntArray,
    seq: IntArray,
    size: IntArray,
    rs: IntArray,
    q: int,
    shift0: int,
    tasks: int,
) -> int:
    """How long row ``q`` may leave after ``shift0`` with every cost unchanged: the push is
    absorbed by waiting, and may not move a start out of its window, add lateness, or move
    the return (seconds; from the earliest schedule in ``rs``)."""
    row = seq[q]
    last = rs[q, S_PTASK, size[q]]
    waits = 0
    best = INF
    free = shift0
    for i in range(last + 1):
        c = row[i]
        s = rs[q, S_EST, i]
        waits += s - (free + rs[q, S_TIN, i])
        if c < tasks:
            slack = _slack(node, win, fix, c, s)
        else:
            ext = rs[q, S_TIN, i] if rs[q, S_PTASK, i] == i - 1 else 0
            slack = win[node[c, N_W0], 1] + ext - s
        best = min(best, waits + slack)
        free = s + node[c, N_DUR]
    return max(0, min(best, waits))


# --------------------------------------------------------------------------------------------
# Pricing a place for a task
# --------------------------------------------------------------------------------------------


@_compiled
def _push(
    node: IntArray,
    win: IntArray,
    fix: IntArray,
    rs: IntArray,
    row: IntArray,
    n: int,
    r: int,
    y: int,
    sy: int,
    ret_old: int,
    shift1: int,
    overtime: bool,
    w_overtime: int,
    tasks: int,
) -> int:
    """Change of lateness and overtime cost when element ``y`` of route ``r`` (a task)
    starts at ``sy`` instead of its earliest start, the rest of the route in place."""
    old = rs[r, S_EST, y]
    c = row[y]
    cost = _late_cost(node, win, c, sy) - _late_cost(node, win, c, old)
    simple = rs[r, S_CPLX, y] - (1 if _is_complex(node, fix, c) else 0) == 0
    if simple and not overtime:
        return cost
    if simple and sy > old:
        ret_new = ret_old + max(0, sy - old - rs[r, S_WAIT, y])
    else:
        last = rs[r, S_PTASK, n]
        free = sy + node[c, N_DUR]
        ret_new = -1
        for i in range(y + 1, last + 1):
            b = row[i]
            t = free + rs[r, S_TIN, i]
            s = _earliest(node, win, fix, b, t) if b < tasks else max(t, win[node[b, N_W0], 0])
            if s == rs[r, S_EST, i]:
                ret_new = ret_old
                break
            if b < tasks:
                cost += _late_cost(node, win, b, s) - _late_cost(node, win, b, rs[r, S_EST, i])
            free = s + node[b, N_DUR]
        if ret_new < 0:
            ret_new = free + rs[r, S_TIN, n]
    if overtime:
        cost += w_overtime * (max(0, ret_new - shift1) - max(0, ret_old - shift1))
    return cost


@_compiled
def _vidal_duration(
    node: IntArray,
    win: IntArray,
    fix: IntArray,
    rs: IntArray,
    row: IntArray,
    n: int,
    r: int,
    shift0: int,
    day_end: int,
    t_xc: int,
    t_cy: int,
    c: int,
    p: int,
    sc: int,
    fixed: bool,
) -> int:
    """Shortest duration of route ``r`` with task ``c`` inserted before element ``p`` (single
    hard windows only); INF when the summaries find it infeasible."""
    x = rs[r, S_PTASK, p]
    y = rs[r, S_NTASK, p]
    if x < 0:
        d, e, lt = 0, shift0, day_end
    else:
        d, e, lt = rs[r, S_VF, x], rs[r, S_VF + 1, x], rs[r, S_VF + 2, x]
    ok = True
    for k in range(x + 1, p):
        w = node[row[k], N_W0]
        ext = t_xc if k == x + 1 else 0
        d, e, lt, fits = _join(d, e, lt, ext, node[row[k], N_DUR], win[w, 0], win[w, 1] + ext)
        ok = ok and fits
    if fixed:
        lo, hi = sc, sc
    else:
        lo, hi = _hull(node, win, fix, c)
    d, e, lt, fits = _join(d, e, lt, t_xc if p == x + 1 else 0, node[c, N_DUR], lo, hi)
    ok = ok and fits
    if y < n:
        for k in range(p, y):
            w = node[row[k], N_W0]
            ext = t_cy if k == p else 0
            d, e, lt, fits = _join(d, e, lt, ext, node[row[k], N_DUR], win[w, 0], win[w, 1] + ext)
            ok = ok and fits
        d, e, lt, fits = _join(
            d, e, lt, t_cy if p == y else 0, rs[r, S_VB, y], rs[r, S_VB + 1, y], rs[r, S_VB + 2, y]
        )
    else:
        trail = rs[r, S_LST, p] if p < n else INF
        d, e, lt, fits = _join(d, e, lt, t_cy, 0, shift0, min(day_end, trail))
    ok = ok and fits
    return d if ok else INF


@_compiled
def _best_in_route(
    day: Any,
    st: Any,
    c: int,
    r: int,
    t_fix: int,
    bound: int,
    blink: bool,
    other_max: int,
    top: int,
) -> tuple[int, int, int]:
    """The cheapest feasible place for task ``c`` in non-empty route ``r`` if it costs less
    than ``bound`` (cost units, the balance term included given the longest working time
    ``top`` and the longest of the other routes ``other_max``), started at ``t_fix`` unless
    NONE; skips 1% of places when ``blink`` (SISR's blinks). (cost, position, start), or
    (``bound``, -1, 0) when none."""
    tasks, dist, node, win, flags, _, route, _, weights = day
    seq, size, fix, rs, _, info = st
    row = seq[r]
    n = size[r]
    lc = node[c, N_LOC]
    dc = node[c, N_DUR]
    _start_loc, _end_loc = route[r, R_START], route[r, R_END]
    shift0, shift1, day_end = route[r, R_SHIFT0], route[r, R_SHIFT1], route[r, R_DAY_END]
    maxdur = route[r, R_MAXDUR]
    pref = _assign_cost(node, flags, weights, c, r)
    overtime = weights[W_OVERTIME] > 0 and day_end > shift1
    balance = weights[W_BALANCE]
    busy = info[r, I_BUSY]
    ret_old = info[r, I_RET]
    best_cost, best_p, best_start = bound, -1, 0
    for p in range(route[r, R_LOCKED], n + 1):
        lx = rs[r, S_LX, p]
        ly = rs[r, S_LY, p]
        t_xc = dist[lx, lc]
        t_cy = dist[lc, ly]
        dd = t_xc + t_cy - dist[lx, ly]
        cost = dd * weights[W_TRAVEL] + pref
        if balance > 0:
            cost += balance * (max(other_max, busy + dd + dc) - top)
        if cost >= best_cost:
            continue
        if blink and np.random.random() < 0.01:
            continue
        x = rs[r, S_PTASK, p]
        y = rs[r, S_NTASK, p]
        free = rs[r, S_FREE, p]
        ready, ok = _through(node, win, row, x + 1, p, free, t_xc, False, -1, -1)
        if not ok:
            continue
        if t_fix != NONE:
            sc = t_fix if ready <= t_fix else INF
        else:
            sc = _earliest(node, win, fix, c, ready)
        if sc >= INF:
            continue
        cost += _late_cost(node, win, c, sc)
        ec = sc + dc
        if y < n:
            ty, ok = _through(node, win, row, p, y, ec, t_cy, False, -1, -1)
            if not ok or ty > rs[r, S_LST, y]:
                continue
            sy = _earliest(node, win, fix, row[y], ty)
            if sy != rs[r, S_EST, y]:
                cost += _push(
                    node, win, fix, rs, row, n, r, y, sy, ret_old, shift1, overtime,
                    weights[W_OVERTIME], tasks,
                )  # fmt: skip
        else:
            ret, ok = _through(node, win, row, p, n, ec, t_cy, True, -1, -1)
            if not ok or ret > day_end:
                continue
            if overtime:
                cost += weights[W_OVERTIME] * (max(0, ret - shift1) - max(0, ret_old - shift1))
        if cost >= best_cost:
            continue
        if maxdur < INF:
            if info[r, I_COMPLEX] == 0 and (t_fix != NONE or not _is_complex(node, fix, c)):
                length = _vidal_duration(
                    node, win, fix, rs, row, n, r, shift0, day_end, t_xc, t_cy, c, p, sc,
                    t_fix != NONE,
                )  # fmt: skip
                if length > maxdur:
                    continue
            else:
                ok, exact = _scratch_cost(day, st, c, r, p, t_fix)
                if not ok:
                    continue
                if balance > 0:
                    exact += balance * (max(other_max, busy + dd + dc) - top)
                if exact >= best_cost:
                    continue
                cost = exact
        best_cost, best_p, best_start = cost, p, sc
    return best_cost, best_p, best_start


@_compiled
def _scratch_cost(day: Any, st: Any, c: int, r: int, p: int, t_fix: int) -> tuple[bool, int]:
    """Route ``r`` with task ``c`` inserted before element ``p`` timed whole in the scratch
    row: (feasible, cost change without the balance term)."""
    seq, size, fix, _, _, info = st
    q = seq.shape[0] - 1
    n = size[r]
    seq[q, :p] = seq[r, :p]
    seq[q, p] = c
    seq[q, p + 1 : n + 1] = seq[r, p:n]
    size[q] = n + 1
    old_fix = fix[c]
    if t_fix != NONE:
        fix[c] = t_fix
    _refresh_as(day, st, q, r)
    fix[c] = old_fix
    return info[q, I_OK] == 1, info[q, I_COST] - info[r, I_COST]


@_compiled
def _through_ids(
    node: IntArray, win: IntArray, b_lo: int, b_hi: int, free: int, tau: int, final: bool
) -> tuple[int, bool]:
    """:func:`_through` for the break nodes ``b_lo..b_hi-1`` (an empty route's breaks)."""
    t = free + tau
    ok = True
    for b in range(b_lo, b_hi):
        w = node[b, N_W0]
        ext = tau if (b == b_lo and not final) else 0
        s = max(t, win[w, 0])
        if s > win[w, 1] + ext:
            ok = False
        t = s + node[b, N_DUR]
    return (free + tau if final else t), ok


@_compiled
def _latest_return_ids(node: IntArray, win: IntArray, b_lo: int, b_hi: int, day_end: int) -> int:
    """The latest return before the break nodes ``b_lo..b_hi-1`` taken after it; -INF."""
    latest = INF
    for b in range(b_hi - 1, b_lo - 1, -1):
        w = node[b, N_W0]
        latest = min(win[w, 1], latest - node[b, N_DUR])
        if latest < win[w, 0]:
            return -INF
    return min(day_end, latest)


@_compiled
def _empty_cost(day: Any, st: Any, c: int, r: int, t_fix: int) -> tuple[bool, int, int, int]:
    """Task ``c`` alone in empty route ``r`` with the engineer's breaks, ``j`` of them before
    it and the rest after the return (the best ``j``): (feasible, cost change without the
    balance term, start, ``j``)."""
    _, dist, node, win, flags, _, route, _, weights = day
    seq, size, fix, _, _, info = st
    lc = node[c, N_LOC]
    tau1 = dist[route[r, R_START], lc]
    tau2 = dist[lc, route[r, R_END]]
    b0, b1 = route[r, R_B0], route[r, R_B1]
    shift0, shift1, day_end = route[r, R_SHIFT0], route[r, R_SHIFT1], route[r, R_DAY_END]
    base = (tau1 + tau2) * weights[W_TRAVEL] + weights[W_FIXED]
    base += _assign_cost(node, flags, weights, c, r)
    best_ok, best_cost, best_start, best_j = False, NOTHING, 0, -1
    for j in range(b1 - b0 + 1):
        ready, ok = _through_ids(node, win, b0, b0 + j, shift0, tau1, False)
        if not ok:
            continue
        if t_fix != NONE:
            sc = t_fix if ready <= t_fix else INF
        else:
            sc = _earliest(node, win, fix, c, ready)
        if sc >= INF:
            continue
        ret, ok = _through_ids(node, win, b0 + j, b1, sc + node[c, N_DUR], tau2, True)
        if not ok or ret > day_end:
            continue
        cost = base + _late_cost(node, win, c, sc) + weights[W_OVERTIME] * max(0, ret - shift1)
        if route[r, R_MAXDUR] < INF:
            q = seq.shape[0] - 1
            m = b1 - b0
            for k in range(j):
                seq[q, k] = b0 + k
            seq[q, j] = c
            for k in range(j, m):
                seq[q, k + 1] = b0 + k
            size[q] = m + 1
            old_fix = fix[c]
            if t_fix != NONE:
                fix[c] = t_fix
            _refresh_as(day, st, q, r)
            fix[c] = old_fix
            if info[q, I_OK] != 1:
                continue
            cost = info[q, I_COST]
        if cost < best_cost or (cost == best_cost and sc < best_start):
            best_ok, best_cost, best_start, best_j = True, cost, sc, j
    return best_ok, best_cost, best_start, best_j


@_compiled
def _empty_intervals(day: Any, c: int, r: int, out_lo: IntArray, out_hi: IntArray, at: int) -> int:
    """Intervals of starts at which task ``c`` fits alone into empty route ``r``, one per
    split of the engineer's breaks, written at ``out[at:]``; how many."""
    _, dist, node, win, _, _, route, _, _ = day
    lc = node[c, N_LOC]
    tau1 = dist[route[r, R_START], lc]
    tau2 = dist[lc, route[r, R_END]]
    b0, b1 = route[r, R_B0], route[r, R_B1]
    count = 0
    for j in range(b1 - b0 + 1):
        ready, ok = _through_ids(node, win, b0, b0 + j, route[r, R_SHIFT0], tau1, False)
        if not ok:
            continue
        latest_end = _latest_return_ids(node, win, b0 + j, b1, route[r, R_DAY_END]) - tau2
        if ready <= latest_end - node[c, N_DUR]:
            out_lo[at + count] = ready
            out_hi[at + count] = latest_end - node[c, N_DUR]
            count += 1
    return count


# --------------------------------------------------------------------------------------------
# Changing a route
# --------------------------------------------------------------------------------------------


@_compiled
def _insert(day: Any, st: Any, c: int, r: int, p: int, t_fix: int, j: int) -> None:
    """Put task ``c`` into route ``r`` before element ``p`` (an empty route gets its breaks:
    ``j`` before the task, the rest after), started at ``t_fix`` unless NONE; refresh it."""
    route = day[6]
    seq, size, fix = st[0], st[1], st[2]
    n = size[r]
    if n == 0:
        b0, b1 = route[r, R_B0], route[r, R_B1]
        m = b1 - b0
        for k in range(j):
            seq[r, k] = b0 + k
        seq[r, j] = c
        for k in range(j, m):
            seq[r, k + 1] = b0 + k
        size[r] = m + 1
    else:
        for k in range(n, p, -1):
            seq[r, k] = seq[r, k - 1]
        seq[r, p] = c
        size[r] = n + 1
    if t_fix != NONE:
        fix[c] = t_fix
    _refresh(day, st, r)


@_compiled
def _strip(tasks: int, node: IntArray, seq: IntArray, size: IntArray, where: IntArray,
           r: int, gone: np.ndarray) -> None:  # fmt: skip
    """Remove from route ``r`` every break and every task of a job marked in ``gone``
    (no refresh); they are left out."""
    n = size[r]
    w = 0
    for i in range(n):
        c = seq[r, i]
        if c >= tasks or gone[node[c, N_JOB]]:
            where[c, 0] = -1
        else:
            seq[r, w] = c
            w += 1
    size[r] = w


@_compiled
def _place_breaks(day: Any, st: Any, r: int) -> bool:
    """Put route ``r``'s breaks (it has no breaks) back in order, each where it delays the
    next task least (after the return when it fits there; ties at random); refresh the
    route. False when a break fits nowhere. A route without tasks gets none."""
    tasks, dist, node, win, _, _, route, _, _ = day
    seq, size, fix, rs, _, _ = st
    _refresh(day, st, r)
    if size[r] == 0:
        return True
    lo = route[r, R_LOCKED]
    start_loc, end_loc, shift0 = route[r, R_START], route[r, R_END], route[r, R_SHIFT0]
    for b in range(route[r, R_B0], route[r, R_B1]):
        n = size[r]
        row = seq[r]
        best_p, best_push, best_key = -1, INF, 2.0
        for p in range(lo, n + 1):
            x = rs[r, S_PTASK, p]
            y = rs[r, S_NTASK, p]
            lx = start_loc if x < 0 else node[row[x], N_LOC]
            ly = end_loc if y >= n else node[row[y], N_LOC]
            free = shift0 if x < 0 else rs[r, S_EST, x] + node[row[x], N_DUR]
            ready, ok = _through(node, win, row, x + 1, y, free, dist[lx, ly], y >= n, p, b)
            if not ok:
                continue
            if y < n:
                if ready > rs[r, S_LST, y]:
                    continue
                push = _earliest(node, win, fix, row[y], ready) - rs[r, S_EST, y]
            else:
                push = 0
            key = np.random.random()
            if push < best_push or (push == best_push and key < best_key):
                best_p, best_push, best_key = p, push, key
        if best_p < 0:
            return False
        for k in range(n, best_p, -1):
            seq[r, k] = seq[r, k - 1]
        seq[r, best_p] = b
        size[r] = n + 1
        _refresh(day, st, r)
        lo = best_p + 1
    _ = tasks
    return True


# --------------------------------------------------------------------------------------------
# Jobs needing several engineers: k routes and one start
# --------------------------------------------------------------------------------------------


@_compiled
def _start_interval(day: Any, st: Any, c: int, r: int, p: int) -> tuple[int, int]:
    """The starts ``[lo, hi]`` at which task ``c`` (ignoring its own windows) fits into
    non-empty route ``r`` before element ``p``; lo > hi when none."""
    _, dist, node, win, _, _, route, _, _ = day
    seq, size, _, rs, _, _ = st
    row = seq[r]
    n = size[r]
    x = rs[r, S_PTASK, p]
    y = rs[r, S_NTASK, p]
    lx = route[r, R_START] if x < 0 else node[row[x], N_LOC]
    free = route[r, R_SHIFT0] if x < 0 else rs[r, S_EST, x] + node[row[x], N_DUR]
    ly = route[r, R_END] if y >= n else node[row[y], N_LOC]
    t_xc = dist[lx, node[c, N_LOC]]
    t_cy = dist[node[c, N_LOC], ly]
    ready, ok = _through(node, win, row, x + 1, p, free, t_xc, False, -1, -1)
    if not ok:
        return 1, 0
    if y < n:
        latest_end = _latest_before_gap(node, win, row, p, y, rs[r, S_LST, y], t_cy, False)
    else:
        latest_end = _latest_before_gap(node, win, row, p, n, route[r, R_DAY_END], t_cy, True)
    return ready, latest_end - node[c, N_DUR]


@_compiled
def _clip_to_windows(
    node: IntArray, win: IntArray, c: int, lo: int, hi: int, out_lo: IntArray,
    out_hi: IntArray, at: int,
) -> int:  # fmt: skip
    """Write the parts of ``[lo, hi]`` inside task ``c``'s windows at ``out[at:]``; how many."""
    count = 0
    last = node[c, N_W1] - 1
    for w in range(node[c, N_W0], node[c, N_W1]):
        a = max(lo, win[w, 0])
        b = min(hi, INF if (node[c, N_SOFT] and w == last) else win[w, 1])
        if a <= b:
            out_lo[at + count] = a
            out_hi[at + count] = b
            count += 1
    return count


@_compiled
def _chain(
    node: IntArray, win: IntArray, c0: int, k: int, gap0: int, gap1: int, t0: int, m: int,
    cand_q: IntArray, cand_r: IntArray, cand_lo: IntArray, cand_hi: IntArray,
    cand_cost: IntArray, out_b: IntArray, out_s: IntArray,
) -> int:  # fmt: skip
    """The tasks of a job placed one after the other from task 0 starting at ``t0``: each
    task ``q > 0`` starts ``gap0..gap1`` after task ``q - 1`` (0, 0: together), at the
    cheapest candidate place (cost independent of the start, plus the task's own lateness at
    its start) on a route no earlier task took, as early as that place allows. Writes the
    candidate and start per task into ``out_b``, ``out_s``; the total, or NOTHING."""
    total = 0
    prev = t0
    for q in range(k):
        lo = t0 if q == 0 else prev + gap0
        hi = t0 if q == 0 else prev + gap1
        best_b, best_c, best_s = -1, NOTHING, INF
        for b in range(m):
            if cand_q[b] != q or cand_lo[b] > hi or cand_hi[b] < lo:
                continue
            r = cand_r[b]
            clash = False
            for u in range(q):
                if cand_r[out_b[u]] == r:
                    clash = True
                    break
            if clash:
                continue
            s = max(cand_lo[b], lo)
            cost = cand_cost[b] + _late_cost(node, win, c0 + q, s)
            if cost < best_c or (cost == best_c and s < best_s):
                best_b, best_c, best_s = b, cost, s
        if best_b < 0:
            return NOTHING
        out_b[q] = best_b
        out_s[q] = best_s
        total += best_c
        prev = best_s
    return total


@_compiled
def _exact_chain(
    day: Any, st: Any, c0: int, k: int, gap0: int, gap1: int, t0: int, m: int,
    cand_q: IntArray, cand_r: IntArray, cand_lo: IntArray, cand_hi: IntArray,
    cand_cost: IntArray, out: IntArray,
) -> int:  # fmt: skip
    """``_chain`` priced exactly: per task, the ``_TOP`` cheapest candidate places by the
    estimate are priced at their start (what the fixed start pushes later in the route
    included) and the cheapest taken. Writes (route, position, empty-route split, start)
    per task into ``out``; the exact total, or NOTHING when none fits."""
    size = st[1]
    node, win = day[2], day[3]
    top_b = np.empty(_TOP, dtype=np.int64)
    top_c = np.empty(_TOP, dtype=np.int64)
    total = 0
    prev = t0
    for q in range(k):
        lo = t0 if q == 0 else prev + gap0
        hi = t0 if q == 0 else prev + gap1
        top_b[:] = -1
        top_c[:] = NOTHING
        for b in range(m):
            if cand_q[b] != q or cand_lo[b] > hi or cand_hi[b] < lo:
                continue
            r = cand_r[b]
            clash = False
            for u in range(q):
                if out[4 * u] == r:
                    clash = True
                    break
            if clash:
                continue
            cost = cand_cost[b] + _late_cost(node, win, c0 + q, max(cand_lo[b], lo))
            worst = 0
            for u in range(1, _TOP):
                if top_c[u] > top_c[worst]:
                    worst = u
            if cost < top_c[worst]:
                top_c[worst], top_b[worst] = cost, b
        best_c = NOTHING
        for u in range(_TOP):
            b = top_b[u]
            if b < 0:
                continue
            r = cand_r[b]
            t = max(cand_lo[b], lo)
            if size[r] == 0:
                ok, cost, _, split = _empty_cost(day, st, c0 + q, r, t)
                pos = 0
            else:
                cost, pos, _ = _best_in_route(day, st, c0 + q, r, t, NOTHING, False, 0, 0)
                ok = pos >= 0
                split = -1
            if ok and (cost < best_c or (cost == best_c and t < out[4 * q + 3])):
                best_c = cost
                out[4 * q] = r
                out[4 * q + 1] = pos
                out[4 * q + 2] = split
                out[4 * q + 3] = t
        if best_c >= NOTHING:
            return NOTHING
        total += best_c
        prev = out[4 * q + 3]
    return total


@_compiled
def _place_job(
    day: Any,
    st: Any,
    j: int,
    routes: IntArray,
    n_routes: int,
    scratch: IntArray,
    chosen: IntArray,
) -> bool:
    """The cheapest starts and routes for job ``j`` (one task per engineer, each with its
    own duration and engineers; started together or in sequence) among
    ``routes[:n_routes]``: writes (route, position, empty-route break split, start) per task
    into ``chosen``; whether one was found.

    Each route's places give, per task, intervals of feasible starts. Candidate starts of
    task 0 are every interval's earliest start (of task 0, and of later tasks moved back by
    the gaps); from each, the tasks are placed in order (``_chain``), each at its cheapest
    place on a route of its own by the costs that do not depend on the start (driving,
    preference, fixed cost) and its own lateness. The ``_TOP`` best starts are then placed
    again with every place priced exactly (``_exact_chain``: what a fixed start pushes later
    in its route counts), and the cheapest taken."""
    _, dist, node, win, flags, jobs, route, _, weights = day
    seq, size, _, rs, _, info = st
    k = jobs[j, J_COUNT]
    c0 = jobs[j, J_FIRST]
    gap0, gap1 = jobs[j, J_GAP0], jobs[j, J_GAP1]
    cand_r, cand_p, cand_lo, cand_hi, cand_cost = (
        scratch[0], scratch[1], scratch[2], scratch[3], scratch[4],
    )  # fmt: skip
    tmp_lo, tmp_hi, out_b, out_s, cand_q = (
        scratch[5],
        scratch[6],
        scratch[7],
        scratch[9],
        scratch[8],
    )
    m = 0
    limit = cand_r.shape[0] - 8
    for q in range(k):
        c = c0 + q
        for t in range(n_routes):
            r = routes[t]
            if not flags[c, r] & ALLOWED or info[r, I_LOAD] + node[c, N_LOAD] > route[r, R_CAP]:
                continue
            n = size[r]
            row = seq[r]
            pref = _assign_cost(node, flags, weights, c, r)
            if n == 0:
                lc = node[c, N_LOC]
                tau = dist[route[r, R_START], lc] + dist[lc, route[r, R_END]]
                const = tau * weights[W_TRAVEL] + weights[W_FIXED] + pref
                got = _empty_intervals(day, c, r, tmp_lo, tmp_hi, 0)
                for g in range(got):
                    if m >= limit:
                        break
                    cnt = _clip_to_windows(node, win, c, tmp_lo[g], tmp_hi[g], cand_lo, cand_hi, m)
                    for h in range(cnt):
                        cand_r[m + h] = r
                        cand_p[m + h] = 0
                        cand_cost[m + h] = const
                        cand_q[m + h] = q
                    m += cnt
                continue
            for p in range(route[r, R_LOCKED], n + 1):
                if m >= limit:
                    break
                lo, hi = _start_interval(day, st, c, r, p)
                if lo > hi:
                    continue
                x = rs[r, S_PTASK, p]
                y = rs[r, S_NTASK, p]
                lx = route[r, R_START] if x < 0 else node[row[x], N_LOC]
                ly = route[r, R_END] if y >= n else node[row[y], N_LOC]
                lc = node[c, N_LOC]
                const = (dist[lx, lc] + dist[lc, ly] - dist[lx, ly]) * weights[W_TRAVEL] + pref
                cnt = _clip_to_windows(node, win, c, lo, hi, cand_lo, cand_hi, m)
                for h in range(cnt):
                    cand_r[m + h] = r
                    cand_p[m + h] = p
                    cand_cost[m + h] = const
                    cand_q[m + h] = q
                m += cnt
    if m == 0:
        return False
    # The few best starts of task 0 by the start-independent costs, then priced exactly
    # (what a fixed start pushes later on each route counts too).
    top_t = np.full(_TOP, INF, dtype=np.int64)
    top_c = np.full(_TOP, NOTHING, dtype=np.int64)
    tries = 1 if gap1 == gap0 else 2
    for a in range(m):
        for back in range(tries):
            t0 = cand_lo[a] - cand_q[a] * (gap1 if back == 0 else gap0)
            dup = False
            for u in range(_TOP):
                if top_t[u] == t0:
                    dup = True
                    break
            if dup:
                continue
            total = _chain(node, win, c0, k, gap0, gap1, t0, m, cand_q, cand_r, cand_lo,
                           cand_hi, cand_cost, out_b, out_s)  # fmt: skip
            if total >= NOTHING:
                continue
            worst = 0
            for u in range(1, _TOP):
                if top_c[u] > top_c[worst] or (
                    top_c[u] == top_c[worst] and top_t[u] > top_t[worst]
                ):
                    worst = u
            if total < top_c[worst] or (total == top_c[worst] and t0 < top_t[worst]):
                top_c[worst], top_t[worst] = total, t0
    best_total = NOTHING
    trial = np.empty(4 * k, dtype=np.int64)
    for u in range(_TOP):
        t0 = top_t[u]
        if t0 >= INF:
            continue
        exact = _exact_chain(day, st, c0, k, gap0, gap1, t0, m, cand_q, cand_r, cand_lo,
                             cand_hi, cand_cost, trial)  # fmt: skip
        if exact < best_total:
            best_total = exact
            chosen[: 4 * k] = trial
    return best_total < NOTHING


# --------------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------------


@_compiled
def _balance(info: IntArray, k: int) -> tuple[int, int, int]:
    """The longest working time of the routes with tasks (seconds), its route, and the
    second longest."""
    top, top_r, second = 0, -1, 0
    for r in range(k):
        if info[r, I_TASKS] == 0:
            continue
        b = info[r, I_BUSY]
        if b > top:
            second = top
            top, top_r = b, r
        elif b > second:
            second = b
    return top, top_r, second


@_compiled
def _worst_late(info: IntArray, k: int) -> int:
    """The largest lateness (seconds) of any task on the routes."""
    worst = 0
    for r in range(k):
        if info[r, I_TASKS] > 0:
            worst = max(worst, info[r, I_MAXLATE])
    return int(worst)


@_compiled
def _insert_single(
    day: Any,
    st: Any,
    c: int,
    granular: int,
    seen: IntArray,
    kind_seen: IntArray,
    stamp: int,
    scan: IntArray,
    bal: IntArray,
) -> int:
    """Put task ``c`` (a job of its own) at its cheapest place: first among the routes of its
    nearest tasks and one empty route of each kind (and every empty route it prefers), then
    among all routes when none of those fits. The route used, or -1 (left out)."""
    _, dist, node, _, flags, _, route, near, weights = day
    _seq, size, _, _, where, info = st
    k = route.shape[0]
    n_scan = 0
    for jn in range(min(granular, near.shape[1])):
        r = where[near[c, jn], 0]
        if r >= 0 and seen[r] != stamp:
            seen[r] = stamp
            scan[n_scan] = r
            n_scan += 1
    for r in range(k):
        if size[r] != 0 or not flags[c, r] & ALLOWED or seen[r] == stamp:
            continue
        kd = route[r, R_KIND]
        preferred = (node[c, N_PREF] != 0 and not flags[c, r] & NONPREF) or (
            node[c, N_REASSIGN] != 0 and flags[c, r] & PREVIOUS
        )
        if kind_seen[kd] != stamp or preferred:
            kind_seen[kd] = stamp
            seen[r] = stamp
            scan[n_scan] = r
            n_scan += 1
    best_cost, best_r, best_p, best_split = NOTHING, -1, -1, -1
    for wide in range(2):
        if wide == 1:
            if best_r >= 0:
                break
            n_scan = 0
            for r in range(k):
                if seen[r] != stamp:
                    scan[n_scan] = r
                    n_scan += 1
        for t in range(n_scan):
            r = scan[t]
            if not flags[c, r] & ALLOWED or info[r, I_LOAD] + node[c, N_LOAD] > route[r, R_CAP]:
                continue
            other = bal[2] if bal[1] == r else bal[0]
            if size[r] == 0:
                ok, cost, _, split = _empty_cost(day, st, c, r, NONE)
                if not ok or np.random.random() < 0.01:
                    continue
                if weights[W_BALANCE] > 0:
                    lc = node[c, N_LOC]
                    tau = dist[route[r, R_START], lc] + dist[lc, route[r, R_END]]
                    cost += weights[W_BALANCE] * (max(other, tau + node[c, N_DUR]) - bal[0])
                if cost < best_cost:
                    best_cost, best_r, best_p, best_split = cost, r, 0, split
            else:
                cost, p, _ = _best_in_route(day, st, c, r, NONE, best_cost, True, other, bal[0])
                if p >= 0:
                    best_cost, best_r, best_p, best_split = cost, r, p, -1
    if best_r < 0:
        return -1
    _insert(day, st, c, best_r, best_p, NONE, best_split)
    return best_r


@_compiled
def _insert_job(
    day: Any,
    st: Any,
    j: int,
    granular: int,
    seen: IntArray,
    kind_seen: IntArray,
    stamp: int,
    scan: IntArray,
    scratch: IntArray,
    chosen: IntArray,
) -> bool:
    """Put job ``j`` needing several engineers where its tasks cost least together: among
    the routes of its nearest tasks and up to ``k`` empty routes of each kind, then among
    all routes."""
    _, _, _, _, _, jobs, route, near, _ = day
    size, where = st[1], st[4]
    k = route.shape[0]
    c = jobs[j, J_FIRST]
    need = jobs[j, J_COUNT]
    n_scan = 0
    for jn in range(min(granular, near.shape[1])):
        r = where[near[c, jn], 0]
        if r >= 0 and seen[r] != stamp:
            seen[r] = stamp
            scan[n_scan] = r
            n_scan += 1
    for r in range(k):
        kind_seen[r] = 0
    for r in range(k):
        kd = route[r, R_KIND]
        if size[r] == 0 and seen[r] != stamp and kind_seen[kd] < need:
            kind_seen[kd] += 1
            seen[r] = stamp
            scan[n_scan] = r
            n_scan += 1
    found = _place_job(day, st, j, scan, n_scan, scratch, chosen)
    if not found:
        for r in range(k):
            scan[r] = r
        found = _place_job(day, st, j, scan, k, scratch, chosen)
    if not found:
        return False
    for q in range(need):
        _insert(day, st, c + q, chosen[4 * q], chosen[4 * q + 1], chosen[4 * q + 3],
                chosen[4 * q + 2])  # fmt: skip
    return True


@_compiled
def _keep(
    seq: IntArray,
    size: IntArray,
    fix: IntArray,
    best_seq: IntArray,
    best_size: IntArray,
    best_fix: IntArray,
    k: int,
) -> None:
    """Copy the routes (their elements only, not the whole width) into the best ones."""
    for r in range(k):
        best_seq[r, : size[r]] = seq[r, : size[r]]
        best_size[r] = size[r]
    best_fix[:] = fix


@_compiled
def search(
    day: Any,
    st: Any,
    cur: Any,
    best: Any,
    iterations: int,
    temperature: float,
    cooling: float,
    removals: float,
    max_string: int,
    granular: int,
) -> tuple[int, int, float]:
    """Run ``iterations`` SISR iterations from the solution in ``st`` (refreshed) and return
    (penalty units, cost) of the current solution and the final temperature. The best
    solution found goes to ``best`` = (seq, size, fix, objective) whenever it beats
    ``best``'s objective ([penalty units, cost]); ``cur`` = (seq, size, fix, rs, info) is
    room for the current solution and its summaries. The temperature (cost units) is
    multiplied by ``cooling`` after each iteration.
    """
    tasks, dist, node, _, _, jobs, route, near, weights = day
    seq, size, fix, _, where, info = st
    cur_seq, cur_size, cur_fix, cur_rs, cur_info = cur
    best_seq, best_size, best_fix, best_obj = best
    base = weights[W_BASE]
    k = route.shape[0]
    n_jobs = jobs.shape[0]
    _keep(seq, size, fix, cur_seq, cur_size, cur_fix, k)
    rs = st[3]
    for r in range(k):
        cur_rs[r, :, : size[r] + 1] = rs[r, :, : size[r] + 1]
    cur_info[:, :] = info
    route_cost = np.zeros(k, dtype=np.int64)
    for r in range(k):
        route_cost[r] = info[r, I_COST]
    total_routes = route_cost.sum()
    pen = 0
    dropped = 0  # cost units of jobs left out on top of their penalty units
    served = np.zeros(n_jobs, dtype=np.bool_)
    for j in range(n_jobs):
        served[j] = where[jobs[j, J_FIRST], 0] >= 0
        if not served[j]:
            pen += jobs[j, J_PEN]
            dropped += jobs[j, J_DROP]
    bal = np.zeros(3, dtype=np.int64)
    top, _, _ = _balance(info, k)
    cost = total_routes + dropped + weights[W_BALANCE] * top
    cost += weights[W_MAXLATE] * _worst_late(info, k)
    if _less(pen, cost, best_obj[0], best_obj[1], base):
        best_obj[0], best_obj[1] = pen, cost
        _keep(seq, size, fix, best_seq, best_size, best_fix, k)
    touched = np.zeros(k, dtype=np.bool_)
    touched_list = np.empty(k, dtype=np.int64)
    gone = np.zeros(max(1, n_jobs), dtype=np.bool_)
    todo = np.empty(max(1, n_jobs), dtype=np.int64)
    keys = np.empty(max(1, n_jobs), dtype=np.float64)
    seen = np.zeros(k + 1, dtype=np.int64)
    kind_seen = np.zeros(k + 1, dtype=np.int64)
    scan = np.empty(k + 1, dtype=np.int64)
    most_windows = 1
    for c in range(tasks):
        most_windows = max(most_windows, node[c, N_W1] - node[c, N_W0])
    most = 1
    for j in range(n_jobs):
        most = max(most, jobs[j, J_COUNT])
    room = (int(size.sum()) + 2 * k + 8) * (most_windows + 2) + (node.shape[0] + 8) * 2
    scratch = np.empty((10, room * most), dtype=np.int64)
    chosen = np.empty(4 * most + 4, dtype=np.int64)
    stamp = 0
    served_tasks = 0
    used = 0
    for r in range(k):
        served_tasks += info[r, I_TASKS]
        used += 1 if info[r, I_TASKS] > 0 else 0
    avg_len = max(1.0, served_tasks / max(1, used))
    string_max = min(float(max_string), avg_len)
    routes_max = 4.0 * removals / (1.0 + string_max) - 1.0
    temp = temperature
    for _ in range(iterations):
        n_touched = 0
        n_todo = 0
        # Ruin: strings from routes that pass near a random served task.
        start = -1
        if served_tasks > 0:
            for _try in range(64):
                s0 = np.random.randint(tasks)
                if where[s0, 0] >= 0 and not node[s0, N_FROZEN]:
                    start = s0
                    break
        if start >= 0:
            ruin_routes = int(np.random.uniform(1.0, routes_max + 1.0))
            ruined = 0
            for jn in range(-1, near.shape[1]):
                c = start if jn < 0 else near[start, jn]
                r = where[c, 0]
                if r < 0 or touched[r] or node[c, N_FROZEN]:
                    continue
                tasks_r = info[r, I_TASKS]
                length = int(np.random.uniform(1.0, min(float(tasks_r), string_max) + 1.0))
                length = min(length, tasks_r)
                rank = 0
                for i in range(where[c, 1]):
                    if seq[r, i] < tasks:
                        rank += 1
                first = rank - np.random.randint(length)
                first = max(0, min(first, tasks_r - length))
                rank = 0
                for i in range(size[r]):
                    b = seq[r, i]
                    if b >= tasks:
                        continue
                    if first <= rank < first + length and not node[b, N_FROZEN]:
                        jj = node[b, N_JOB]
                        if not gone[jj]:
                            gone[jj] = True
                            todo[n_todo] = jj
                            n_todo += 1
                    rank += 1
                touched[r] = True
                touched_list[n_touched] = r
                n_touched += 1
                ruined += 1
                if ruined >= ruin_routes:
                    break
        # Take the jobs out of every route holding one of their tasks; put breaks back.
        for q in range(n_todo):
            jj = todo[q]
            for t in range(jobs[jj, J_FIRST], jobs[jj, J_FIRST] + jobs[jj, J_COUNT]):
                r = where[t, 0]
                if r >= 0 and not touched[r]:
                    touched[r] = True
                    touched_list[n_touched] = r
                    n_touched += 1
                if jobs[jj, J_COUNT] > 1:
                    fix[t] = NONE
        for q in range(n_touched):
            r = touched_list[q]
            _strip(tasks, node, seq, size, where, r, gone)
            if not _place_breaks(day, st, r):
                info[r, I_OK] = 0
        # Jobs left out before are tried again every iteration.
        for jj in range(n_jobs):
            if not served[jj] and not gone[jj]:
                gone[jj] = True
                todo[n_todo] = jj
                n_todo += 1
        # Recreate, in a random one of SISR's orders (the largest jobs first in one).
        order = np.random.randint(11)
        for q in range(n_todo):
            jj = todo[q]
            c = jobs[jj, J_FIRST]
            if order < 4:
                keys[q] = np.random.random()
            elif order < 8:
                keys[q] = -float(jobs[jj, J_COUNT] * node[c, N_DUR]) - np.random.random() * 1e-3
            elif order < 10:
                keys[q] = -float(dist[route[0, R_START], node[c, N_LOC]]) - np.random.random()
            else:
                keys[q] = float(dist[route[0, R_START], node[c, N_LOC]]) + np.random.random()
        ranked = np.argsort(keys[:n_todo])
        if weights[W_BALANCE] > 0:
            bal[0], bal[1], bal[2] = _balance(info, k)
        for q in range(n_todo):
            jj = todo[ranked[q]]
            stamp += 1
            if jobs[jj, J_COUNT] == 1:
                r = _insert_single(
                    day, st, jobs[jj, J_FIRST], granular, seen, kind_seen, stamp, scan, bal
                )
                if r >= 0 and not touched[r]:
                    touched[r] = True
                    touched_list[n_touched] = r
                    n_touched += 1
            elif _insert_job(day, st, jj, granular, seen, kind_seen, stamp, scan, scratch, chosen):
                for t in range(jobs[jj, J_FIRST], jobs[jj, J_FIRST] + jobs[jj, J_COUNT]):
                    r = where[t, 0]
                    if not touched[r]:
                        touched[r] = True
                        touched_list[n_touched] = r
                        n_touched += 1
            if weights[W_BALANCE] > 0:
                bal[0], bal[1], bal[2] = _balance(info, k)
        # Price the candidate.
        feasible = True
        new_routes = total_routes
        for q in range(n_touched):
            r = touched_list[q]
            if info[r, I_OK] != 1:
                feasible = False
            new_routes += info[r, I_COST] - route_cost[r]
        new_pen = pen
        new_dropped = dropped
        for q in range(n_todo):
            jj = todo[q]
            now = where[jobs[jj, J_FIRST], 0] >= 0
            if now and not served[jj]:
                new_pen -= jobs[jj, J_PEN]
                new_dropped -= jobs[jj, J_DROP]
            elif served[jj] and not now:
                new_pen += jobs[jj, J_PEN]
                new_dropped += jobs[jj, J_DROP]
        new_cost = new_routes + new_dropped
        if weights[W_BALANCE] > 0:
            top, _, _ = _balance(info, k)
            new_cost += weights[W_BALANCE] * top
        if weights[W_MAXLATE] > 0:
            new_cost += weights[W_MAXLATE] * _worst_late(info, k)
        threshold = -temp * np.log(np.random.random() + 1e-300)
        accept = feasible and (
            _less(new_pen, new_cost, pen, cost, base)
            or _gap(new_pen, new_cost, pen, cost, base) < threshold
        )
        if accept:
            for q in range(n_touched):
                r = touched_list[q]
                cur_seq[r, : size[r]] = seq[r, : size[r]]
                cur_size[r] = size[r]
                cur_rs[r, :, : size[r] + 1] = rs[r, :, : size[r] + 1]
                cur_info[r] = info[r]
                route_cost[r] = info[r, I_COST]
            for q in range(n_todo):
                jj = todo[q]
                served[jj] = where[jobs[jj, J_FIRST], 0] >= 0
                for t in range(jobs[jj, J_FIRST], jobs[jj, J_FIRST] + jobs[jj, J_COUNT]):
                    cur_fix[t] = fix[t]
            pen, cost, total_routes, dropped = new_pen, new_cost, new_routes, new_dropped
            served_tasks = 0
            for r in range(k):
                served_tasks += info[r, I_TASKS]
            if _less(pen, cost, best_obj[0], best_obj[1], base):
                best_obj[0], best_obj[1] = pen, cost
                _keep(seq, size, fix, best_seq, best_size, best_fix, k)
        else:
            for q in range(n_todo):
                jj = todo[q]
                for t in range(jobs[jj, J_FIRST], jobs[jj, J_FIRST] + jobs[jj, J_COUNT]):
                    where[t, 0] = -1
                    fix[t] = cur_fix[t]
            for q in range(n_touched):
                r = touched_list[q]
                for i in range(size[r]):
                    where[seq[r, i], 0] = -1
            # Back to the current routes: their summaries were kept (cheaper than a refresh).
            for q in range(n_touched):
                r = touched_list[q]
                n = cur_size[r]
                size[r] = n
                seq[r, :n] = cur_seq[r, :n]
                rs[r, :, : n + 1] = cur_rs[r, :, : n + 1]
                info[r] = cur_info[r]
                for i in range(n):
                    where[seq[r, i], 0] = r
                    where[seq[r, i], 1] = i
        for q in range(n_touched):
            touched[touched_list[q]] = False
        for q in range(n_todo):
            gone[todo[q]] = False
        temp *= cooling
    return pen, cost, temp


@_compiled
def refresh_all(day: Any, st: Any) -> None:
    """Recompute every route's summaries and where each node is (before a search)."""
    st[4][:, 0] = -1
    for r in range(day[6].shape[0]):
        _refresh(day, st, r)


@_compiled
def place_breaks(day: Any, st: Any, r: int) -> bool:
    """Put route ``r``'s breaks in (it has none yet); False when one fits nowhere."""
    return _place_breaks(day, st, r)


@_compiled
def evaluate(day: Any, st: Any) -> tuple[bool, int, int]:
    """The solution in ``st`` (refreshed): (every route feasible, penalty units, cost)."""
    jobs, route, weights = day[5], day[6], day[8]
    where, info = st[4], st[5]
    k = route.shape[0]
    ok = True
    total = 0
    for r in range(k):
        if info[r, I_OK] != 1:
            ok = False
        total += info[r, I_COST]
    pen = 0
    for j in range(jobs.shape[0]):
        if where[jobs[j, J_FIRST], 0] < 0:
            pen += jobs[j, J_PEN]
            total += jobs[j, J_DROP]
    top, _, _ = _balance(info, k)
    return ok, pen, total + weights[W_BALANCE] * top + weights[W_MAXLATE] * _worst_late(info, k)


@_compiled
def timetable(day: Any, st: Any, r: int, out: IntArray) -> tuple[int, int]:
    """Route ``r``'s schedule (refreshed): every start as early as allowed and the departure
    as late as that allows (the waiting before the first task); when that is longer than the
    engineer's duration limit, the departure as late as no cost changes (the shortest day,
    which may start tasks later in their windows). For each element its ready time and start
    in ``out[i, 0:2]``; returns (departure, return)."""
    tasks, _, node, win, _, _, route, _, _ = day
    seq, size, fix, rs, _, info = st
    n = size[r]
    row = seq[r]
    last = rs[r, S_PTASK, n]
    shift0 = route[r, R_SHIFT0]
    latest = _departure_delay(node, win, fix, seq, size, rs, r, shift0, tasks)
    first = n
    for i in range(n):
        if row[i] < tasks:
            first = i
            break
    early = 0
    free = shift0
    for i in range(min(first + 1, last + 1)):
        early += rs[r, S_EST, i] - (free + rs[r, S_TIN, i])
        free = rs[r, S_EST, i] + node[row[i], N_DUR]
    delay = min(latest, early)
    if info[r, I_RET] - (shift0 + delay) > route[r, R_MAXDUR]:
        delay = latest
    departure = shift0 + delay
    free = departure
    for i in range(last + 1):
        c = row[i]
        t = free + rs[r, S_TIN, i]
        s = _earliest(node, win, fix, c, t) if c < tasks else max(t, win[node[c, N_W0], 0])
        out[i, 0] = t
        out[i, 1] = s
        free = s + node[c, N_DUR]
    t = info[r, I_RET]
    for i in range(last + 1, n):
        out[i, 0] = t
        out[i, 1] = max(t, win[node[row[i], N_W0], 0])
        t = out[i, 1] + node[row[i], N_DUR]
    return departure, info[r, I_RET]
