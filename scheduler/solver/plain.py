"""Plain days: routes whose rules the compiled ruin-and-recreate search knows, and the
translation between them and its arrays.

A group of engineers and visits is *plain* when no rule beyond hard single windows, shifts,
load, maximum route duration and allowed engineers applies: no breaks, no overtime, no soft
windows, no several windows, no preferred engineers, no community events, no balancing. Its
objective is then driving plus fixed cost per engineer sent out plus a penalty per visit left
out, which the search prices exactly as the OR-Tools model does. Other days keep OR-Tools.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.domain import Engineer, Problem, Route, Stop, Visit, VisitKind
from scheduler.solver import ruin_recreate
from scheduler.solver.penalties import visit_penalty
from scheduler.travel import Matrix

_OPEN = 1 << 40  # seconds: a window's end when a visit has none (longer than any day)
NEIGHBOURS = 100  # nearest visits a ruin looks at around its random visit
REMOVALS = 10.0  # visits removed per iteration, on average (SISR's c-bar)
MAX_STRING = 10  # visits in one removed string, at most (SISR's L-max)
START_TEMPERATURE = 1.5  # of the average drive between stops, in cost units
END_TEMPERATURE = 0.01
# A visit is tried first in the routes of its GRANULAR nearest visits (and one empty route of
# each kind): on 1,000-visit benchmark days this gave 1.5% where scanning every route gave
# 4.4% at 60 s (docs/benchmarks.md).
GRANULAR = 40
CHUNK = 500  # iterations between looks at the clock


def plain_reason(
    problem: Problem, engineers: Sequence[Engineer], visits: Sequence[Visit]
) -> str | None:
    """Why these engineers and visits are not plain, or None when they are."""
    weights = problem.options.weights
    if weights.balance_per_second:
        return "the longest working day is priced (balance)"
    for e in engineers:
        if e.required_breaks():
            return f"engineer {e.id!r} takes breaks"
        if e.overtime_max:
            return f"engineer {e.id!r} may work overtime"
    for v in visits:
        if v.kind is not VisitKind.HOME_SERVICE or v.engineers_required != 1:
            return f"visit {v.id!r} is a community event"
        if len(v.time_windows) > 1:
            return f"visit {v.id!r} has several time windows"
        if v.soft_windows and v.time_windows:
            return f"visit {v.id!r} has a soft window"
        if v.preferred_engineers and weights.non_preferred_engineer:
            return f"visit {v.id!r} prefers some engineers"
    return None


@dataclass(frozen=True, slots=True)
class PlainDay:
    """A plain group as the search's arrays: visits and engineers in the given order."""

    engineers: tuple[Engineer, ...]
    visits: tuple[Visit, ...]
    arrays: tuple[np.ndarray, ...]  # the leading arguments of ``ruin_recreate.search``
    travel_cost: int
    fixed_cost: int
    near: np.ndarray

    @classmethod
    def of(
        cls,
        problem: Problem,
        matrix: Matrix,
        visits: Sequence[Visit],
        able: Mapping[str, Sequence[str]],
        penalties: Mapping[int, int],
    ) -> PlainDay:
        """The arrays for ``visits`` and all of ``problem``'s engineers; ``able`` lists the
        engineers able to serve each visit (skills, pins and reach already checked)."""
        engineers = problem.engineers
        index = problem.location_index()
        dist = np.ascontiguousarray(matrix, dtype=np.int64)
        loc = np.array([index[v.location] for v in visits], dtype=np.int64)
        service = np.array([v.duration for v in visits], dtype=np.int64)
        open_ = np.array([v.time_windows[0].start if v.time_windows else 0 for v in visits])
        close = np.array([v.time_windows[0].end if v.time_windows else _OPEN for v in visits])
        demand = np.array([v.load for v in visits], dtype=np.int64)
        penalty = np.array([visit_penalty(v, penalties) for v in visits], dtype=np.int64)
        crew = {e.id: r for r, e in enumerate(engineers)}
        allowed = np.zeros((len(visits), len(engineers)), dtype=np.bool_)
        for c, v in enumerate(visits):
            for eid in able.get(v.id, ()):
                if eid in crew:
                    allowed[c, crew[eid]] = True
        arrays = (
            dist,
            loc,
            service,
            open_.astype(np.int64),
            close.astype(np.int64),
            demand,
            penalty,
            allowed,
            np.array([index[e.start_location] for e in engineers], dtype=np.int64),
            np.array([index[e.end_location] for e in engineers], dtype=np.int64),
            np.array([e.shift_start for e in engineers], dtype=np.int64),
            np.array([e.shift_end for e in engineers], dtype=np.int64),
            np.array([e.max_route_duration or _OPEN for e in engineers], dtype=np.int64),
            np.array(
                [_OPEN if e.load_capacity is None else e.load_capacity for e in engineers],
                dtype=np.int64,
            ),
            _kinds(engineers),
        )
        # Nearest visits by the drive both ways, for the ruin's strings.
        both = dist[np.ix_(loc, loc)] + dist[np.ix_(loc, loc)].T
        np.fill_diagonal(both, np.iinfo(np.int64).max)
        count = min(NEIGHBOURS, max(0, len(visits) - 1))
        near = np.ascontiguousarray(np.argsort(both, axis=1, kind="stable")[:, :count])
        weights = problem.options.weights
        return cls(
            tuple(engineers),
            tuple(visits),
            arrays,
            weights.travel_per_second,
            weights.fixed_per_engineer,
            near.astype(np.int64),
        )

    def improve(
        self,
        routes: Mapping[str, Sequence[str]],
        seconds: float,
        *,
        seed: int = 0,
        scale: float | None = None,
        cooling: tuple[float, float] = (0.0, 1.0),
        iterations: int | None = None,
    ) -> tuple[dict[str, list[str]], int, int]:
        """Search from ``routes`` (engineer id -> visit ids in order) for ``seconds``, or for
        ``iterations`` when given (repeatable); return the best routes found, the objective of
        ``routes`` and that of the result (cost units).

        The temperature falls from ``START_TEMPERATURE`` to ``END_TEMPERATURE`` times
        ``scale`` (cost units; default: the start's average drive between stops) over a whole
        search; ``cooling`` says which part of it this call covers, so that searches run in
        rounds cool as one.
        """
        began = time.monotonic()  # compiling on first use counts against the time
        position = {v.id: c for c, v in enumerate(self.visits)}
        k, m = len(self.engineers), len(self.visits)
        seq = np.zeros((k, max(1, m)), dtype=np.int64)
        size = np.zeros(k, dtype=np.int64)
        for r, e in enumerate(self.engineers):
            ids = [position[vid] for vid in routes.get(e.id, ()) if vid in position]
            seq[r, : len(ids)] = ids
            size[r] = len(ids)
        best_seq, best_size = seq.copy(), size.copy()
        ruin_recreate.seed(seed)
        # No iterations: prices the start.
        nothing = ruin_recreate.NOTHING
        start, best, _ = self._run(seq, size, best_seq, best_size, nothing, 0, 0.0, 1.0)
        if scale is None and not size.any():
            # Nothing planned yet: one iteration inserts every visit, then the scale is known.
            _, best, _ = self._run(seq, size, best_seq, best_size, best, 1, 0.0, 1.0)
        if scale is None:
            scale = self.average_drive(seq, size)
        low, high = START_TEMPERATURE * scale, END_TEMPERATURE * scale
        done, chunk = 0, CHUNK

        def temperature_at(share: float) -> float:
            f = cooling[0] + (cooling[1] - cooling[0]) * min(1.0, max(0.0, share))
            return float(low * (high / low) ** f) if low > 0 else 0.0

        while True:
            if iterations is not None:
                share = done / max(1, iterations)
                chunk = min(CHUNK, iterations - done)
            else:
                share = (time.monotonic() - began) / seconds if seconds > 0 else 1.0
            if share >= 1.0 or chunk <= 0:
                break
            # Held for one short chunk: the cooling is a staircase of CHUNK iterations.
            _, best, _ = self._run(
                seq, size, best_seq, best_size, best, chunk, temperature_at(share), 1.0
            )
            done += chunk
        out = {
            e.id: [self.visits[c].id for c in best_seq[r, : best_size[r]]]
            for r, e in enumerate(self.engineers)
        }
        return out, start, best

    def average_drive_of(self, routes: Mapping[str, Sequence[str]]) -> float:
        """:meth:`average_drive` of routes given as engineer id -> visit ids."""
        position = {v.id: c for c, v in enumerate(self.visits)}
        seq = np.zeros((len(self.engineers), max(1, len(self.visits))), dtype=np.int64)
        size = np.zeros(len(self.engineers), dtype=np.int64)
        for r, e in enumerate(self.engineers):
            ids = [position[vid] for vid in routes.get(e.id, ())]
            seq[r, : len(ids)] = ids
            size[r] = len(ids)
        return self.average_drive(seq, size)

    def average_drive(self, seq: np.ndarray, size: np.ndarray) -> float:
        """The routes' average drive between two stops (cost units)."""
        dist, loc = self.arrays[0], self.arrays[1]
        start_loc, end_loc = self.arrays[8], self.arrays[9]
        total, arcs = 0, 0
        for r in range(len(self.engineers)):
            n = int(size[r])
            if not n:
                continue
            rows = [int(start_loc[r]), *(int(loc[c]) for c in seq[r, :n]), int(end_loc[r])]
            total += int(dist[rows[:-1], rows[1:]].sum())
            arcs += n + 1
        return total * self.travel_cost / max(1, arcs)

    def _run(
        self,
        seq: np.ndarray,
        size: np.ndarray,
        best_seq: np.ndarray,
        best_size: np.ndarray,
        best: int,
        iterations: int,
        temperature: float,
        cooling: float,
    ) -> tuple[int, int, float]:
        # The arrays are splatted: mypy cannot count a variable-length tuple's items.
        kernel: Callable[..., tuple[int, int, float]] = ruin_recreate.search
        current, best, temperature = kernel(
            *self.arrays,
            self.travel_cost,
            self.fixed_cost,
            self.near,
            GRANULAR,
            seq,
            size,
            best_seq,
            best_size,
            best,
            iterations,
            temperature,
            cooling,
            REMOVALS,
            MAX_STRING,
        )
        return int(current), int(best), float(temperature)


def _kinds(engineers: Sequence[Engineer]) -> np.ndarray:
    """Per engineer, the index of the first engineer alike for an empty route (same places,
    shift and limits): an empty route of each kind is enough to try."""
    first: dict[tuple[object, ...], int] = {}
    out = []
    for r, e in enumerate(engineers):
        key = (
            e.start_location,
            e.end_location,
            e.shift_start,
            e.shift_end,
            e.max_route_duration,
            e.load_capacity,
        )
        out.append(first.setdefault(key, r))
    return np.array(out, dtype=np.int64)


def timed_route(
    engineer: Engineer, visits: Sequence[Visit], matrix: Matrix, index: Mapping[str, int]
) -> Route:
    """The plain route in this order timed for its shortest duration: the latest departure
    that still returns at the earliest return, then every service as early as possible."""
    rows = [index[engineer.start_location]] + [index[v.location] for v in visits]
    rows.append(index[engineer.end_location])
    # Earliest return: leave at shift start, start each service as early as allowed.
    t = engineer.shift_start
    for i, v in enumerate(visits):
        t += int(matrix[rows[i], rows[i + 1]])
        t = max(t, v.time_windows[0].start if v.time_windows else t) + v.duration
    earliest_return = t + int(matrix[rows[-2], rows[-1]])
    # Latest departure with that return: latest starts, backwards.
    latest = earliest_return
    for i in range(len(visits) - 1, -1, -1):
        v = visits[i]
        latest -= int(matrix[rows[i + 1], rows[i + 2]]) + v.duration
        if v.time_windows:
            latest = min(latest, v.time_windows[0].end)
    departure = max(engineer.shift_start, latest - int(matrix[rows[0], rows[1]]))
    stops, t = [], departure
    for i, v in enumerate(visits):
        arrival = t + int(matrix[rows[i], rows[i + 1]])
        start = max(arrival, v.time_windows[0].start if v.time_windows else arrival)
        stops.append(Stop(v.id, arrival, start, start + v.duration))
        t = start + v.duration
    return_ = t + int(matrix[rows[-2], rows[-1]])
    return Route(engineer.id, departure, return_, tuple(stops), ())
