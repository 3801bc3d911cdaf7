"""Ruin-and-recreate search over plain routes, compiled with numba (arrays in, arrays out).

The search is SISR (Christiaens and Vanden Berghe, "Slack induction by string removals for
vehicle routing problems", Transportation Science 2020): each iteration removes a few strings
of consecutive visits from routes that pass near a random visit, puts the removed visits (and
any left out) back at their cheapest feasible places, skipping a place now and then ("blinks"),
and keeps the result by simulated annealing. It knows only the rules of a *plain* day (see
``scheduler.solver.plain``): one hard window per visit (on the service start), shifts, load,
maximum route duration, which engineers may serve a visit; driving and fixed costs and a
penalty per visit left out.

Feasibility and the shortest route duration are checked in constant time per place from
route prefix and suffix summaries (duration, earliest and latest start), as in Vidal et al.,
"A unified solution framework for multi-attribute vehicle routing problems" (EJOR 2014).

Times are integer seconds; costs integer cost units. No domain types and no OR-Tools here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NOTHING = 1 << 60  # an objective worse than any solution
_BIG = np.int64(NOTHING)
_F = TypeVar("_F", bound=Callable[..., object])


def _compiled(fn: _F) -> _F:
    """``fn`` compiled by numba, cached on disk beside this module (compiling takes ~10 s)."""
    return cast(_F, numba.njit(cache=True)(fn))


@_compiled
def _join(
    d1: int, e1: int, l1: int, t: int, d2: int, e2: int, l2: int
) -> tuple[int, int, int, bool]:
    """Two segments joined by a drive of ``t`` seconds: (duration, earliest and latest start
    of the first visit, feasible). A segment is (shortest duration, earliest, latest start)."""
    delta = d1 + t
    wait = max(e2 - delta - l1, 0)
    late = max(e1 + delta - l2, 0)
    return d1 + d2 + t + wait, max(e2 - delta, e1) - wait, min(l2 - delta, l1), late == 0


@_compiled
def _refresh(
    r: int,
    seq: IntArray,
    size: IntArray,
    locs: IntArray,
    fwd: IntArray,
    bwd: IntArray,
    dist: IntArray,
    loc: IntArray,
    service: IntArray,
    open_: IntArray,
    close: IntArray,
    start_loc: IntArray,
    end_loc: IntArray,
    shift_open: IntArray,
    shift_close: IntArray,
    route_of: IntArray,
    pos_of: IntArray,
) -> tuple[int, bool, int]:
    """Recompute route ``r``'s summaries; return (driving seconds, feasible, duration)."""
    n = size[r]
    locs[r, 0] = start_loc[r]
    for i in range(n):
        c = seq[r, i]
        locs[r, i + 1] = loc[c]
        route_of[c] = r
        pos_of[c] = i
    locs[r, n + 1] = end_loc[r]
    fwd[r, 0, 0] = 0
    fwd[r, 0, 1] = shift_open[r]
    fwd[r, 0, 2] = shift_close[r]
    ok = True
    driving = 0
    for i in range(1, n + 2):
        if i <= n:
            c = seq[r, i - 1]
            s, a, b = service[c], open_[c], close[c]
        else:
            s, a, b = 0, shift_open[r], shift_close[r]
        t = dist[locs[r, i - 1], locs[r, i]]
        driving += t
        d, e, lt, fits = _join(fwd[r, i - 1, 0], fwd[r, i - 1, 1], fwd[r, i - 1, 2], t, s, a, b)
        ok = ok and fits
        fwd[r, i, 0], fwd[r, i, 1], fwd[r, i, 2] = d, e, lt
    bwd[r, n + 1, 0] = 0
    bwd[r, n + 1, 1] = shift_open[r]
    bwd[r, n + 1, 2] = shift_close[r]
    for i in range(n, -1, -1):
        if i >= 1:
            c = seq[r, i - 1]
            s, a, b = service[c], open_[c], close[c]
        else:
            s, a, b = 0, shift_open[r], shift_close[r]
        t = dist[locs[r, i], locs[r, i + 1]]
        d, e, lt, _ = _join(s, a, b, t, bwd[r, i + 1, 0], bwd[r, i + 1, 1], bwd[r, i + 1, 2])
        bwd[r, i, 0], bwd[r, i, 1], bwd[r, i, 2] = d, e, lt
    return driving, ok, fwd[r, n + 1, 0]


@_compiled
def _keep(seq: IntArray, size: IntArray, best_seq: IntArray, best_size: IntArray) -> None:
    """Copy the routes into the best ones (only the visits, not the whole width)."""
    for r in range(seq.shape[0]):
        best_seq[r, : size[r]] = seq[r, : size[r]]
        best_size[r] = size[r]


@_compiled
def seed(seed: int) -> None:
    """Seed the search's random numbers (numba keeps its own generator)."""
    np.random.seed(seed)


@_compiled
def _cheapest(
    c: int,
    r: int,
    best_delta: int,
    size: IntArray,
    locs: IntArray,
    fwd: IntArray,
    bwd: IntArray,
    dist: IntArray,
    loc: IntArray,
    service: IntArray,
    open_: IntArray,
    close: IntArray,
    max_duration: IntArray,
    travel_cost: int,
    fixed_cost: int,
) -> tuple[int, int]:
    """The cheapest feasible place for visit ``c`` in route ``r`` if it costs less than
    ``best_delta`` (cost units), skipping 1% of places (SISR's blinks): (cost, position), or
    (``best_delta``, -1) when there is none."""
    n = size[r]
    lc = loc[c]
    extra = fixed_cost if n == 0 else 0
    found = -1
    for p in range(n + 1):
        a, b = locs[r, p], locs[r, p + 1]
        delta = (dist[a, lc] + dist[lc, b] - dist[a, b]) * travel_cost + extra
        if delta >= best_delta or np.random.random() < 0.01:
            continue
        d, e, lt, fits = _join(
            fwd[r, p, 0], fwd[r, p, 1], fwd[r, p, 2], dist[a, lc], service[c], open_[c], close[c]
        )
        if not fits:
            continue
        d, e, lt, fits = _join(
            d, e, lt, dist[lc, b], bwd[r, p + 1, 0], bwd[r, p + 1, 1], bwd[r, p + 1, 2]
        )
        if fits and d <= max_duration[r]:
            best_delta, found = delta, p
    return best_delta, found


@_compiled
def search(
    dist: IntArray,
    loc: IntArray,
    service: IntArray,
    open_: IntArray,
    close: IntArray,
    demand: IntArray,
    penalty: IntArray,
    allowed: BoolArray,
    start_loc: IntArray,
    end_loc: IntArray,
    shift_open: IntArray,
    shift_close: IntArray,
    max_duration: IntArray,
    capacity: IntArray,
    kind: IntArray,
    travel_cost: int,
    fixed_cost: int,
    near: IntArray,
    granular: int,
    seq: IntArray,
    size: IntArray,
    best_seq: IntArray,
    best_size: IntArray,
    best_cost: int,
    iterations: int,
    temperature: float,
    cooling: float,
    removals: float,
    max_string: int,
) -> tuple[int, int, float]:
    """Run ``iterations`` SISR iterations from the routes ``seq``/``size`` (changed in place:
    the current solution) and keep the best in ``best_seq``/``best_size``.

    Route ``r`` serves ``seq[r, :size[r]]`` (visit indices); ``near[c]`` lists visits by
    distance from ``c``. The temperature (cost units) is multiplied by ``cooling`` after each
    iteration. ``best_cost`` is the objective of ``best_seq`` (cost units; ``NOTHING`` when
    there is none yet), which is overwritten only by a better solution. Returns (current
    objective, best objective, final temperature).
    """
    m = loc.shape[0]
    k = start_loc.shape[0]
    width = seq.shape[1]
    # The current solution (seq/size) and a candidate worked on in place.
    cand = seq.copy()
    cand_size = size.copy()
    locs = np.zeros((k, width + 2), dtype=np.int64)
    fwd = np.zeros((k, width + 2, 3), dtype=np.int64)
    bwd = np.zeros((k, width + 2, 3), dtype=np.int64)
    route_of = -np.ones(m, dtype=np.int64)
    pos_of = -np.ones(m, dtype=np.int64)
    cur_route_of = -np.ones(m, dtype=np.int64)
    drive = np.zeros(k, dtype=np.int64)
    load = np.zeros(k, dtype=np.int64)
    for r in range(k):
        dr, _, _ = _refresh(
            r, cand, cand_size, locs, fwd, bwd, dist, loc, service, open_, close,
            start_loc, end_loc, shift_open, shift_close, route_of, pos_of,
        )  # fmt: skip
        drive[r] = dr
        total_load = 0
        for i in range(cand_size[r]):
            total_load += demand[cand[r, i]]
        load[r] = total_load
    cur_route_of[:] = route_of

    used = 0
    for r in range(k):
        if cand_size[r] > 0:
            used += 1
    current = drive.sum() * travel_cost + used * fixed_cost
    for c in range(m):
        if route_of[c] < 0:
            current += penalty[c]
    best = best_cost
    if current < best:
        best = current
        _keep(seq, size, best_seq, best_size)
    cur_drive = drive.copy()
    cur_load = load.copy()
    touched = np.zeros(k, dtype=np.bool_)
    touched_list = np.empty(k, dtype=np.int64)
    removed = np.empty(m, dtype=np.int64)
    keys = np.empty(m, dtype=np.float64)
    seen = np.zeros(k, dtype=np.int64)  # == stamp: route already listed for this visit
    kind_seen = np.zeros(k, dtype=np.int64)
    scan = np.empty(k, dtype=np.int64)
    stamp = 0
    served_count = 0
    for r in range(k):
        served_count += cand_size[r]
    avg_len = max(1.0, served_count / max(1, used))
    string_max = min(float(max_string), avg_len)
    routes_max = 4.0 * removals / (1.0 + string_max) - 1.0
    neighbours = near.shape[1]
    temp = temperature
    for _ in range(iterations):
        n_touched = 0
        n_removed = 0
        # Ruin: strings from routes that pass near a random served visit.
        if served_count > 0:
            start = np.random.randint(m)
            while route_of[start] < 0:
                start = np.random.randint(m)
            ruin_routes = int(np.random.uniform(1.0, routes_max + 1.0))
            ruined = 0
            for j in range(-1, neighbours):
                c = start if j < 0 else near[start, j]
                r = route_of[c]
                if r < 0 or touched[r]:
                    continue
                n = cand_size[r]
                length = int(np.random.uniform(1.0, min(float(n), string_max) + 1.0))
                length = min(length, n)
                p = pos_of[c]
                first = p - np.random.randint(length)
                first = max(0, min(first, n - length))
                for i in range(first, first + length):
                    removed[n_removed] = cand[r, i]
                    route_of[cand[r, i]] = -1
                    load[r] -= demand[cand[r, i]]
                    n_removed += 1
                for i in range(first + length, n):
                    cand[r, i - length] = cand[r, i]
                cand_size[r] = n - length
                touched[r] = True
                touched_list[n_touched] = r
                n_touched += 1
                ruined += 1
                if ruined >= ruin_routes:
                    break
        for t in range(n_touched):
            r = touched_list[t]
            drive[r], _, _ = _refresh(
                r, cand, cand_size, locs, fwd, bwd, dist, loc, service, open_, close,
                start_loc, end_loc, shift_open, shift_close, route_of, pos_of,
            )  # fmt: skip
        # Visits left out before are tried again every iteration.
        for c in range(m):
            if route_of[c] < 0 and cur_route_of[c] < 0:
                removed[n_removed] = c
                n_removed += 1
        # Recreate: in a random one of SISR's orders, each at its cheapest place.
        order = np.random.randint(11)
        for i in range(n_removed):
            c = removed[i]
            if order < 4:
                keys[i] = np.random.random()
            elif order < 8:
                keys[i] = -float(demand[c]) - np.random.random() * 1e-3
            elif order < 10:
                keys[i] = -float(dist[start_loc[0], loc[c]]) - np.random.random() * 1e-3
            else:
                keys[i] = float(dist[start_loc[0], loc[c]]) + np.random.random() * 1e-3
        ranked = np.argsort(keys[:n_removed])
        for i in range(n_removed):
            c = removed[ranked[i]]
            # Routes passing near the visit, and one empty route of each kind; all routes
            # only when none of those has a place.
            stamp += 1
            n_scan = 0
            for j in range(min(granular, neighbours)):
                r = route_of[near[c, j]]
                if r >= 0 and seen[r] != stamp:
                    seen[r] = stamp
                    scan[n_scan] = r
                    n_scan += 1
            for r in range(k):
                empty = cand_size[r] == 0 and allowed[c, r]
                if empty and seen[r] != stamp and kind_seen[kind[r]] != stamp:
                    kind_seen[kind[r]] = stamp
                    seen[r] = stamp
                    scan[n_scan] = r
                    n_scan += 1
            best_delta, best_r, best_p = NOTHING, -1, -1
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
                    if not allowed[c, r] or load[r] + demand[c] > capacity[r]:
                        continue
                    best_delta, p = _cheapest(
                        c, r, best_delta, cand_size, locs, fwd, bwd, dist, loc, service,
                        open_, close, max_duration, travel_cost, fixed_cost,
                    )  # fmt: skip
                    if p >= 0:
                        best_r, best_p = r, p
            if best_r < 0:
                continue  # left out
            r, n = best_r, cand_size[best_r]
            for q in range(n, best_p, -1):
                cand[r, q] = cand[r, q - 1]
            cand[r, best_p] = c
            cand_size[r] = n + 1
            load[r] += demand[c]
            drive[r], _, _ = _refresh(
                r, cand, cand_size, locs, fwd, bwd, dist, loc, service, open_, close,
                start_loc, end_loc, shift_open, shift_close, route_of, pos_of,
            )  # fmt: skip
            if not touched[r]:
                touched[r] = True
                touched_list[n_touched] = r
                n_touched += 1
        # Price the candidate; a ruined route that no longer fits (a road matrix need not
        # obey the triangle inequality) rejects it.
        feasible = True
        new = current
        for t in range(n_touched):
            r = touched_list[t]
            _, fits, dur = _refresh(
                r, cand, cand_size, locs, fwd, bwd, dist, loc, service, open_, close,
                start_loc, end_loc, shift_open, shift_close, route_of, pos_of,
            )  # fmt: skip
            if not fits or dur > max_duration[r]:
                feasible = False
            new += (drive[r] - cur_drive[r]) * travel_cost
        # Fixed costs and penalties: recount (cheap next to the insertions).
        used_before = 0
        used_after = 0
        for t in range(n_touched):
            r = touched_list[t]
            used_before += size[r] > 0
            used_after += cand_size[r] > 0
        new += (used_after - used_before) * fixed_cost
        for i in range(n_removed):
            c = removed[i]
            if route_of[c] < 0:
                new += penalty[c]
            if cur_route_of[c] < 0:
                new -= penalty[c]
        threshold = current - temp * np.log(np.random.random() + 1e-300)
        if feasible and new < threshold:
            for t in range(n_touched):
                r = touched_list[t]
                n = cand_size[r]
                seq[r, :n] = cand[r, :n]
                size[r] = n
                cur_drive[r] = drive[r]
                cur_load[r] = load[r]
            for i in range(n_removed):
                cur_route_of[removed[i]] = route_of[removed[i]]
            current = new
            served_count = 0
            for c in range(m):
                served_count += cur_route_of[c] >= 0
            if current < best:
                best = current
                _keep(seq, size, best_seq, best_size)
        else:
            for t in range(n_touched):
                r = touched_list[t]
                n = size[r]
                cand[r, :n] = seq[r, :n]
                cand_size[r] = n
                drive[r] = cur_drive[r]
                load[r] = cur_load[r]
            for i in range(n_removed):
                route_of[removed[i]] = cur_route_of[removed[i]]
            for t in range(n_touched):
                r = touched_list[t]
                _refresh(
                    r, cand, cand_size, locs, fwd, bwd, dist, loc, service, open_, close,
                    start_loc, end_loc, shift_open, shift_close, route_of, pos_of,
                )  # fmt: skip
        for t in range(n_touched):
            touched[touched_list[t]] = False
        temp *= cooling
    return current, best, temp
