"""A day (or part of one) as the compiled search's arrays, and its answers back as routes.

``CompiledDay.of`` lays out the visits as jobs of tasks (one task per engineer a visit
needs), the engineers' breaks as nodes and the routes' shifts, priced as
``scheduler.objective`` prices them; ``CompiledDay.improve`` runs the search of
``scheduler.solver.ruin_recreate`` from given routes for some iterations (repeatable) or
seconds and returns the best routes found; ``CompiledDay.timed`` times them for a plan.

Routes travel between days and processes as *sequences*: per engineer, visit ids in order
with the positions of the engineer's breaks as integers (the k-th required break, in order of
their windows), and the engineer and start of each crew member of each visit needing several
engineers.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scheduler.domain import (
    Break,
    BreakTaken,
    Engineer,
    Previous,
    Problem,
    Route,
    SearchParams,
    Stop,
    Visit,
    Weights,
)
from scheduler.objective import penalty_units
from scheduler.solver import ruin_recreate as kernel
from scheduler.timeline import arrival_on_site
from scheduler.travel import Matrix

_OPEN = 1 << 50  # seconds: bounds of a task without windows (far beyond any day)
CHUNK = 500  # iterations between looks at the clock

Token = str | int  # a visit id, or the index of one of the engineer's breaks
Sequences = Mapping[str, Sequence[Token]]
# Per visit needing several engineers: (engineer id, start) of each crew member, in order.
Starts = Mapping[str, Sequence[tuple[str, int]]]


@dataclass(frozen=True, slots=True)
class Found:
    """Routes of a search: the sequence of each engineer, the engineer and start (seconds) of
    each crew member of every visit needing several engineers, and the objective as
    (penalty units, cost)."""

    sequences: dict[str, list[Token]]
    starts: dict[str, tuple[tuple[str, int], ...]]
    objective: tuple[int, int]
    start_objective: tuple[int, int] = (0, 0)
    iterations: int = 0
    process: int = field(default_factory=os.getpid)  # the process that searched

    def visit_routes(self) -> dict[str, list[str]]:
        """Visit ids per engineer, in order (breaks left out)."""
        return {e: [t for t in seq if isinstance(t, str)] for e, seq in self.sequences.items()}


def breaks_in_order(engineer: Engineer) -> list[Break]:
    """The engineer's required breaks in the order the search keeps them."""
    return sorted(engineer.required_breaks(), key=lambda b: (b.earliest_start, b.latest_end))


@dataclass(frozen=True)
class CompiledDay:
    """The compiled search's view of some engineers and visits of a day."""

    problem: Problem
    matrix: Matrix
    engineers: tuple[Engineer, ...]
    visits: tuple[Visit, ...]
    weights: Weights
    params: SearchParams
    day: tuple[Any, ...]
    width: int
    task_of: dict[str, int] = field(repr=False)  # first task of each visit
    breaks: tuple[tuple[int, int, int], ...] = field(repr=False)  # length, earliest, latest start

    @classmethod
    def of(
        cls,
        problem: Problem,
        matrix: Matrix,
        visits: Sequence[Visit],
        able: Mapping[str, Sequence[str]],
        weights: Weights,
        radices: Mapping[int, int],
        params: SearchParams,
        *,
        engineers: Sequence[Engineer] | None = None,
    ) -> CompiledDay:
        """The arrays for ``visits`` and ``engineers`` (default: all the problem's);
        ``able`` lists who may serve each visit (skills, pins and reach already checked);
        ``radices`` price leaving a visit out (``scheduler.objective.priority_radices`` of
        the whole day, so that parts of a day price alike)."""
        team = tuple(engineers if engineers is not None else problem.engineers)
        index = problem.location_index()
        k = len(team)
        crew = {e.id: r for r, e in enumerate(team)}
        n_tasks = sum(v.engineers_required for v in visits)
        breaks = [breaks_in_order(e) for e in team]
        n = n_tasks + sum(len(b) for b in breaks)
        node = np.zeros((n, kernel.NODE_FIELDS), dtype=np.int64)
        node[:, kernel.N_LOC] = -1
        node[:, kernel.N_JOB] = -1
        node[:, kernel.N_DUE] = kernel.INF
        node[:, kernel.N_PROMISE] = kernel.INF
        windows: list[tuple[int, int]] = []
        flags = np.zeros((max(1, n_tasks), max(1, k)), dtype=np.int8)
        jobs = np.zeros((len(visits), 6), dtype=np.int64)
        by_id = {e.id: e for e in team}
        task_of: dict[str, int] = {}
        # The stop an engineer is driving to stays their first (re-planning).
        locked = {e.next_visit: e.id for e in team if e.next_visit is not None}
        t = 0
        for j, v in enumerate(visits):
            before = v.previous
            drop_planned = weights.drop_planned if before is not None else 0
            gap = v.crew_timing
            jobs[j] = (
                t, v.engineers_required, penalty_units(v, radices), drop_planned,
                0 if gap is None else gap.min_gap, 0 if gap is None else gap.max_gap,
            )  # fmt: skip
            task_of[v.id] = t
            spans = [(w.start, w.end) for w in v.time_windows] or [(-_OPEN, _OPEN)]
            for member in v.members():
                rows = [
                    crew[e]
                    for e in able.get(v.id, ())
                    if e in crew and member.skills <= by_id[e].skills
                ]
                node[t, kernel.N_LOC] = index[v.location]
                node[t, kernel.N_DUR] = member.duration
                node[t, kernel.N_W0] = len(windows)
                windows.extend(spans)
                node[t, kernel.N_W1] = len(windows)
                node[t, kernel.N_SOFT] = v.soft_windows and bool(v.time_windows)
                node[t, kernel.N_LATE] = v.lateness_cost
                node[t, kernel.N_LOAD] = v.load
                node[t, kernel.N_JOB] = j
                flags[t, rows] |= kernel.ALLOWED
                if v.preferred_engineers and weights.non_preferred_engineer:
                    node[t, kernel.N_PREF] = 1
                    for r, e in enumerate(team):
                        if e.id not in v.preferred_engineers:
                            flags[t, r] |= kernel.NONPREF
                if before is not None:
                    _churn(node, flags, t, before, weights, crew)
                if v.id in locked:
                    node[t, kernel.N_FROZEN] = 1
                t += 1
        route = np.zeros((k, kernel.ROUTE_FIELDS), dtype=np.int64)
        kinds: dict[tuple[object, ...], int] = {}
        break_info = []
        b = n_tasks
        for r, e in enumerate(team):
            route[r] = (
                index[e.start_location],
                index[e.end_location],
                e.shift_start,
                e.shift_end,
                e.working_day.end,
                kernel.INF if e.max_route_duration is None else e.max_route_duration,
                kernel.INF if e.load_capacity is None else e.load_capacity,
                kinds.setdefault(_kind(e), r),
                b,
                b + len(breaks[r]),
                1 if e.next_visit is not None and e.next_visit in task_of else 0,
            )
            for brk in breaks[r]:
                node[b, kernel.N_DUR] = brk.duration
                node[b, kernel.N_W0] = len(windows)
                windows.append((brk.earliest_start, brk.latest_end - brk.duration))
                node[b, kernel.N_W1] = len(windows)
                break_info.append((brk.duration, brk.earliest_start, brk.latest_end - brk.duration))
                b += 1
        dist = np.ascontiguousarray(matrix, dtype=np.int64)
        locs = node[:n_tasks, kernel.N_LOC]
        near = _nearest(dist, locs, node[:n_tasks, kernel.N_JOB], params.neighbours)
        day = (
            n_tasks,
            dist,
            node,
            np.array(windows or [(0, 0)], dtype=np.int64).reshape(-1, 2),
            flags,
            jobs,
            route,
            near,
            np.array(
                [
                    weights.travel_per_second,
                    weights.overtime_per_second,
                    weights.fixed_per_engineer,
                    weights.non_preferred_engineer,
                    weights.balance_per_second,
                    weights.drop_base,
                    weights.max_lateness_per_second,
                ],
                dtype=np.int64,
            ),
        )
        width = n_tasks + max((len(b) for b in breaks), default=0) + 2
        return cls(
            problem, matrix, team, tuple(visits), weights, params, day, width, task_of,
            tuple(break_info),
        )  # fmt: skip

    # ---------------------------------------------------------------------------------

    def new_state(self) -> tuple[Any, ...]:
        """Empty routes (one row per engineer and a scratch row), nothing placed."""
        k = len(self.engineers) + 1
        w = self.width
        n = len(self.day[2])
        return (
            np.zeros((k, w), dtype=np.int64),
            np.zeros(k, dtype=np.int64),
            np.full(n, kernel.NONE, dtype=np.int64),
            np.zeros((k, kernel.STATE_FIELDS, w + 1), dtype=np.int64),
            np.full((n, 2), -1, dtype=np.int64),
            np.zeros((k, kernel.INFO), dtype=np.int64),
        )

    def load(self, sequences: Sequences, starts: Starts | None = None) -> tuple[Any, ...]:
        """A refreshed state holding ``sequences`` (engineer id -> visit ids in order, with
        break indices where breaks go; a route given without its breaks gets them where they
        delay it least). A visit needing several engineers keeps its members' engineers and
        starts from ``starts`` and is left out when it has none or lacks engineers. A route
        that still breaks a rule is emptied, its visits left out, so the search starts
        feasible."""
        st = self.new_state()
        seq, size, fix = st[0], st[1], st[2]
        tasks = self.day[0]
        b0 = self.day[6][:, kernel.R_B0]
        by_id = {v.id: v for v in self.visits}
        starts = starts or {}
        copies: dict[str, int] = {}
        rows: list[list[int]] = []
        for r, e in enumerate(self.engineers):
            row: list[int] = []
            for token in sequences.get(e.id, ()):
                if isinstance(token, int):
                    if 0 <= token < self.day[6][r, kernel.R_B1] - b0[r]:
                        row.append(int(b0[r]) + token)
                    continue
                visit = by_id.get(token)
                if visit is None or (visit.engineers_required > 1 and token not in starts):
                    continue
                copy = copies.get(token, 0)
                if copy >= visit.engineers_required:
                    continue
                if visit.engineers_required > 1:
                    member = next(
                        (q for q, (eid, _) in enumerate(starts[token]) if eid == e.id), None
                    )
                    if member is None or member >= visit.engineers_required:
                        continue
                else:
                    member = 0
                copies[token] = copy + 1
                task = self.task_of[token] + member
                row.append(task)
                if visit.engineers_required > 1:
                    fix[task] = starts[token][member][1]
            locked = e.next_visit
            if locked is not None and locked in self.task_of:
                task = self.task_of[locked]
                row = [task] + [x for x in row if x != task]  # it stays the first stop
            rows.append(row)
        # A team visit is held whole or not at all.
        partial = {vid for vid, c in copies.items() if c < by_id[vid].engineers_required}
        dropped_tasks = {
            self.task_of[vid] + c for vid in partial for c in range(by_id[vid].engineers_required)
        }
        for r, row in enumerate(rows):
            row = [x for x in row if x not in dropped_tasks]
            has_tasks = any(x < tasks for x in row)
            whole = sum(1 for x in row if x >= tasks) == len(breaks_in_order(self.engineers[r]))
            if not has_tasks:
                row = []
            elif not whole:
                row = [x for x in row if x < tasks]
            seq[r, : len(row)] = row
            size[r] = len(row)
            if has_tasks and not whole:
                kernel.place_breaks(self.day, st, r)
        for vid in partial:
            first = self.task_of[vid]
            fix[first : first + by_id[vid].engineers_required] = kernel.NONE
        kernel.refresh_all(self.day, st)
        while True:
            bad = [r for r in range(len(self.engineers)) if st[5][r, kernel.I_OK] != 1]
            if not bad:
                return st
            self._leave_out(st, bad[0])

    def _leave_out(self, st: tuple[Any, ...], r: int) -> None:
        """Leave out every visit of route ``r`` (a team visit from all its routes)."""
        seq, size, fix = st[0], st[1], st[2]
        tasks, job = self.day[0], self.day[2][:, kernel.N_JOB]
        gone = {int(job[t]) for t in seq[r, : size[r]] if t < tasks}
        for q in range(len(self.engineers)):
            row = [int(t) for t in seq[q, : size[q]]]
            keep = [t for t in row if t >= tasks or int(job[t]) not in gone]
            if keep == row:
                continue
            if not any(t < tasks for t in keep):
                keep = []
            size[q] = len(keep)
            seq[q, : len(keep)] = keep
        for j in gone:
            first = int(self.day[5][j, kernel.J_FIRST])
            fix[first : first + int(self.day[5][j, kernel.J_COUNT])] = kernel.NONE
        kernel.refresh_all(self.day, st)

    def objective(self, st: tuple[Any, ...]) -> tuple[bool, int, int]:
        """(feasible, penalty units, cost) of a refreshed state."""
        ok, pen, cost = kernel.evaluate(self.day, st)
        return bool(ok), int(pen), int(cost)

    def improve(
        self,
        sequences: Sequences,
        starts: Starts | None = None,
        *,
        seconds: float | None = None,
        iterations: int | None = None,
        seed: int = 0,
        scale: float | None = None,
        cooling: tuple[float, float] = (0.0, 1.0),
        progress: Callable[[int, tuple[int, int]], None] | None = None,
    ) -> Found:
        """Search from ``sequences`` for ``iterations`` (repeatable) or ``seconds``; the best
        routes found, or the start when nothing beat it. ``progress`` hears the iterations
        done and the best objective (penalty units, cost) when the best improves.

        The temperature falls from ``params.start_temperature`` to ``end_temperature`` times
        ``scale`` (cost units; default: the start's average drive between stops) over a whole
        search; ``cooling`` says which part of it this call covers, so that searches run in
        rounds cool as one.
        """
        if (seconds is None) == (iterations is None):
            raise ValueError("give seconds or iterations")
        began = time.monotonic()  # compiling on first use counts against the time
        kernel.seed(seed)
        st = self.load(sequences, starts)
        _, pen, cost = self.objective(st)
        k = len(self.engineers) + 1
        cur = (
            np.zeros((k, self.width), dtype=np.int64),
            np.zeros(k, dtype=np.int64),
            np.zeros(len(self.day[2]), dtype=np.int64),
            np.zeros_like(st[3]),
            np.zeros_like(st[5]),
        )
        best = (
            st[0].copy(),
            st[1].copy(),
            st[2].copy(),
            np.array([kernel.NOTHING, kernel.NOTHING], dtype=np.int64),
        )
        p = self.params
        done = 0
        if scale is None and not st[1][:-1].any():
            # Nothing planned yet: one iteration inserts every visit, then the scale is known.
            self._run(st, cur, best, 1, 0.0)
            done = 1
        if scale is None:
            scale = self.average_drive(st)
        low, high = p.start_temperature * scale, p.end_temperature * scale

        def temperature_at(share: float) -> float:
            f = cooling[0] + (cooling[1] - cooling[0]) * min(1.0, max(0.0, share))
            return float(low * (high / low) ** f) if low > 0 else 0.0

        while True:
            if iterations is not None:
                share = done / max(1, iterations)
                chunk = min(CHUNK, iterations - done)
            else:
                assert seconds is not None
                share = (time.monotonic() - began) / seconds if seconds > 0 else 1.0
                chunk = CHUNK
            if share >= 1.0 or chunk <= 0:
                break
            before = (int(best[3][0]), int(best[3][1]))
            self._run(st, cur, best, chunk, temperature_at(share))
            done += chunk
            after = (int(best[3][0]), int(best[3][1]))
            if progress is not None and after != before:
                progress(done, after)
        if best[3][0] == kernel.NOTHING:
            self._run(st, cur, best, 0, 0.0)
        return self._found(best, (pen, cost), done)

    def _run(
        self,
        st: tuple[Any, ...],
        cur: tuple[Any, ...],
        best: tuple[Any, ...],
        iterations: int,
        temperature: float,
    ) -> None:
        p = self.params
        kernel.search(
            self.day, st, cur, best, iterations, temperature, 1.0, p.removals, p.max_string,
            p.granular,
        )  # fmt: skip

    def _found(self, best: tuple[Any, ...], start: tuple[int, int], done: int) -> Found:
        seq, size, fix, obj = best
        tasks, job = self.day[0], self.day[2][:, kernel.N_JOB]
        b0 = self.day[6][:, kernel.R_B0]
        sequences: dict[str, list[Token]] = {}
        members: dict[str, dict[int, tuple[str, int]]] = {}
        for r, e in enumerate(self.engineers):
            tokens: list[Token] = []
            for t in seq[r, : size[r]]:
                if t < tasks:
                    visit = self.visits[int(job[t])]
                    tokens.append(visit.id)
                    if visit.engineers_required > 1:
                        q = int(t) - self.task_of[visit.id]
                        members.setdefault(visit.id, {})[q] = (e.id, int(fix[t]))
                else:
                    tokens.append(int(t - b0[r]))
            sequences[e.id] = tokens
        starts = {vid: tuple(m[q] for q in sorted(m)) for vid, m in members.items()}
        return Found(sequences, starts, (int(obj[0]), int(obj[1])), start, done)

    def average_drive(self, st: tuple[Any, ...]) -> float:
        """The routes' average drive between two stops (cost units)."""
        info = st[5][:-1]
        drive = int(info[:, kernel.I_DRIVE].sum())
        arcs = int((info[:, kernel.I_TASKS] + (info[:, kernel.I_TASKS] > 0)).sum())
        return drive * self.weights.travel_per_second / max(1, arcs)

    def timed(self, found: Found) -> dict[str, Route]:
        """The routes of ``found`` timed (engineers without stops are left out): every stop
        as early as allowed, the departure as late as no cost changes, and each break where
        the search put it (during a drive when its window closes before the drive ends)."""
        st = self.load(found.sequences, found.starts)
        seq, size = st[0], st[1]
        tasks, job = self.day[0], self.day[2][:, kernel.N_JOB]
        index = self.problem.location_index()
        out: dict[str, Route] = {}
        times = np.zeros((self.width, 2), dtype=np.int64)
        for r, e in enumerate(self.engineers):
            n = int(size[r])
            if not n or not int(st[5][r, kernel.I_TASKS]):
                continue
            departure, ret = kernel.timetable(self.day, st, r, times)
            taken = []
            for i in range(n):
                b = int(seq[r, i])
                if b >= tasks:
                    length, _, latest = self.breaks[b - tasks]
                    begin = min(int(times[i, 1]), latest)
                    taken.append(BreakTaken(begin, begin + length))
            taken.sort(key=lambda x: x.start)
            stops = []
            prev_end, prev_row = int(departure), index[e.start_location]
            for i in range(n):
                t = int(seq[r, i])
                if t >= tasks:
                    continue
                visit = self.visits[int(job[t])]
                start = int(times[i, 1])
                here = index[visit.location]
                arrival = arrival_on_site(prev_end, int(self.matrix[prev_row, here]), start, taken)
                member = int(t) - self.task_of[visit.id]
                end = start + int(self.day[2][t, kernel.N_DUR])
                stops.append(Stop(visit.id, arrival, start, end, member))
                prev_end, prev_row = end, here
            out[e.id] = Route(e.id, int(departure), int(ret), tuple(stops), tuple(taken))
        return out


def _churn(
    node: np.ndarray,
    flags: np.ndarray,
    t: int,
    before: Previous,
    weights: Weights,
    crew: Mapping[str, int],
) -> None:
    """Task ``t``'s prices for moving from where a re-plan found it (``objective``)."""
    for eid in before.engineers:
        if eid in crew:
            flags[t, crew[eid]] |= kernel.PREVIOUS
    node[t, kernel.N_REASSIGN] = weights.reassign
    if weights.move_per_second:
        node[t, kernel.N_DUE] = before.start + weights.move_tolerance
        node[t, kernel.N_DUE_W] = weights.move_per_second
    if before.promise is not None and weights.broken_promise:
        node[t, kernel.N_PROMISE] = before.promise.end
        node[t, kernel.N_PROMISE_W] = weights.broken_promise


def _kind(e: Engineer) -> tuple[object, ...]:
    """What makes two engineers' empty routes alike for every visit they may both serve."""
    return (
        e.start_location,
        e.end_location,
        e.shift_start,
        e.shift_end,
        e.overtime_max,
        e.max_route_duration,
        e.load_capacity,
        tuple(breaks_in_order(e)),
        e.skills,
    )


def _nearest(dist: np.ndarray, loc: np.ndarray, job: np.ndarray, count: int) -> np.ndarray:
    """Per task, the ``count`` tasks of other jobs nearest by the drive both ways (tasks of
    the same job last)."""
    m = len(loc)
    if m == 0:
        return np.zeros((1, 0), dtype=np.int64)
    both = dist[np.ix_(loc, loc)] + dist[np.ix_(loc, loc)].T
    same = job[:, None] == job[None, :]
    both = np.where(same, np.iinfo(np.int64).max, both)
    count = min(count, max(0, m - 1))
    order = np.argsort(both, axis=1, kind="stable")[:, :count]
    return np.ascontiguousarray(order.astype(np.int64))


def warm_up() -> float:
    """Compile the search (numba caches it on disk beside its module: about half a minute the
    first time, a second after) by planning a tiny day; the seconds it took."""
    from scheduler.domain import Location, SolveOptions, TimeWindow, VisitKind

    began = time.monotonic()
    at = tuple(Location(f"w{i}", 60.0, 24.0 + i / 100) for i in range(4))
    team = tuple(
        Engineer(f"e{i}", "w0", "w0", 8 * 3600, 16 * 3600, breaks=(Break(1800, 11 * 3600,
                 14 * 3600),), overtime_max=3600, max_route_duration=9 * 3600)
        for i in range(2)
    )  # fmt: skip
    jobs = (
        Visit("a", "w1", 1800, time_windows=(TimeWindow(9 * 3600, 10 * 3600),), soft_windows=True),
        Visit("b", "w2", 1800, time_windows=(TimeWindow(8 * 3600, 9 * 3600),
              TimeWindow(13 * 3600, 14 * 3600))),
        Visit("c", "w3", 3600, kind=VisitKind.COMMUNITY_EVENT, engineers_required=2,
              time_windows=(TimeWindow(10 * 3600, 12 * 3600),)),
    )  # fmt: skip
    problem = Problem(dt.date(2026, 1, 1), at, team, jobs, options=SolveOptions())
    matrix = np.full((4, 4), 600, dtype=np.int64)
    np.fill_diagonal(matrix, 0)
    able = {v.id: [e.id for e in team] for v in jobs}
    day = CompiledDay.of(problem, matrix, jobs, able, Weights(balance_per_second=1),
                         {p: 1 for p in range(1, 6)}, SearchParams())  # fmt: skip
    day.timed(day.improve({}, iterations=50))
    return time.monotonic() - began
