"""Regroup a day's routes into neighbourhoods for improvement rounds (route-based
decomposition).

After the territories are planned, each round groups the current routes by where they run:
a group starts from a random route and takes the routes whose centres lie nearest until it
holds about ``size`` visits. Every group also gets the unserved visits nearest to it, and the
groups are improved side by side. A different grouping each round lets work move across the
borders of the previous one, and lets an urgent visit left out in one territory displace a
less urgent one served next door. No OR-Tools here.

Guarantees, as for territories: the engineers sharing a community event are in one group (an
event is never split), and a visit goes only to a group holding an engineer able to serve it
(a pin is never broken).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scheduler.domain import Problem, Visit
from scheduler.solver.territories import Territory


@dataclass(frozen=True, slots=True)
class _Unit:
    """Engineers that must stay together (they share an event), their stops and centre."""

    engineers: tuple[str, ...]
    visits: tuple[str, ...]
    centre: npt.NDArray[np.float64]


def _plane(problem: Problem) -> dict[str, npt.NDArray[np.float64]]:
    """Each location on a local plane (longitude shrunk by cos(latitude)), by location id."""
    lat0 = math.radians(sum(loc.lat for loc in problem.locations) / len(problem.locations))
    return {
        loc.id: np.array([loc.lat, loc.lon * math.cos(lat0)], dtype=np.float64)
        for loc in problem.locations
    }


def _units(
    problem: Problem, routes: Mapping[str, Sequence[str]], at: Mapping[str, npt.NDArray[np.float64]]
) -> list[_Unit]:
    """Engineers joined by the events they serve together (union-find), in problem order."""
    parent = {e.id: e.id for e in problem.engineers}

    def root(e: str) -> str:
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    served_by: dict[str, str] = {}
    for eid, stops in routes.items():
        for vid in stops:
            if vid in served_by:
                parent[root(eid)] = root(served_by[vid])
            else:
                served_by[vid] = eid
    members: dict[str, list[str]] = {}
    for e in problem.engineers:
        members.setdefault(root(e.id), []).append(e.id)
    location = {v.id: v.location for v in problem.visits}
    start = {e.id: e.start_location for e in problem.engineers}
    units = []
    for crew in members.values():
        stops = [vid for e in crew for vid in routes.get(e, ())]
        where = [at[location[vid]] for vid in stops] or [at[start[e]] for e in crew]
        units.append(_Unit(tuple(crew), tuple(dict.fromkeys(stops)), np.mean(where, axis=0)))
    return units


def _idle_for_round(
    idle: Sequence[_Unit],
    unserved: Sequence[Visit],
    serviceable: Mapping[str, Sequence[str]],
    count: int,
    rng: random.Random,
) -> list[_Unit]:
    """``count`` of the ``idle`` units, at random, those able to serve a left-out visit
    first (a different draw each round, so no engineer sits out for good)."""
    wanted = {e for v in unserved for e in serviceable.get(v.id, ())}
    shuffled = list(idle)
    rng.shuffle(shuffled)
    shuffled.sort(key=lambda u: not wanted.intersection(u.engineers))
    return shuffled[:count]


def regroup(
    problem: Problem,
    routes: Mapping[str, Sequence[str]],
    unserved: Sequence[Visit],
    serviceable: Mapping[str, Sequence[str]],
    groups: int,
    rng: random.Random,
    workload: Mapping[str, int] | None = None,
    *,
    idle_per_group: int = 3,
    least_busy: float = 0.5,
) -> list[Territory]:
    """About ``groups`` groups of the current ``routes`` (engineer id -> visit ids in order).

    Groups hold similar numbers of served visits. Engineers without stops are spread evenly,
    each to the nearest group still short of its share, at most ``idle_per_group`` per group
    (those able to serve a left-out visit first; the others sit the round out: each is an
    empty route the search tries moves into, and a benchmark day has 200 idle vans). Each
    visit in ``unserved`` joins the nearest group with an engineer able to serve it
    (``serviceable``), or with probability ``least_busy`` the group of its least busy able
    engineer (``workload``: seconds out per engineer, 0 when idle).
    """
    workload = workload or {}
    at = _plane(problem)
    units = _units(problem, routes, at)
    busy = [u for u in units if u.visits]
    idle = [u for u in units if not u.visits]
    total = sum(len(u.visits) for u in busy)
    groups = max(1, min(groups, len(busy)))
    size = total / groups if groups else 0.0
    left = list(busy)
    chosen: list[list[_Unit]] = []
    while left:
        if len(chosen) == groups - 1:
            chosen.append(left)  # the last group takes what is left
            break
        seed = rng.choice(left)
        left.sort(key=lambda u: float(np.sum((u.centre - seed.centre) ** 2)))
        group: list[_Unit] = []
        count = 0
        while left and (count < size or not group):
            unit = left.pop(0)
            group.append(unit)
            count += len(unit.visits)
        chosen.append(group)
    if not chosen:
        chosen = [[]]
    centres = [
        np.mean([u.centre for u in g], axis=0) if g else np.zeros(2, dtype=np.float64)
        for g in chosen
    ]
    share = min(math.ceil(len(idle) / len(chosen)), idle_per_group)
    for unit in _idle_for_round(idle, unserved, serviceable, share * len(chosen), rng):
        near = sorted(
            range(len(chosen)), key=lambda j: float(np.sum((centres[j] - unit.centre) ** 2))
        )
        spare = [j for j in near if sum(1 for u in chosen[j] if not u.visits) < share]
        chosen[(spare or near)[0]].append(unit)
    crew_of = [{e for u in g for e in u.engineers} for g in chosen]
    extra: list[list[str]] = [[] for _ in chosen]
    group_of = {e: j for j, crew in enumerate(crew_of) for e in crew}
    for v in unserved:
        able = [e for e in serviceable.get(v.id, ()) if e in group_of]
        if not able:
            continue
        if rng.random() < least_busy:
            # The group of its least busy able engineer: the nearest ones may all be full.
            extra[group_of[min(able, key=lambda e: (workload.get(e, 0), rng.random()))]].append(
                v.id
            )
        else:
            p = at[v.location]
            fits = {group_of[e] for e in able}
            extra[min(fits, key=lambda j: float(np.sum((centres[j] - p) ** 2)))].append(v.id)
    return [
        Territory(
            tuple(e for u in g for e in u.engineers),
            tuple(vid for u in g for vid in u.visits) + tuple(extra[j]),
        )
        for j, g in enumerate(chosen)
        if g
    ]
