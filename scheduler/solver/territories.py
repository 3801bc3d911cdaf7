"""Split a large day into territories: groups of visits with the engineers who serve them.

Each territory is solved on its own (small models search far faster than one large one),
then the joined plan is improved across territory borders. No OR-Tools here.

Guarantees, whatever the geography:

* every visit's territory holds at least one engineer able to serve it (skills, pins,
  ``allowed_engineers``, shift) when the whole problem has one: a pin is never broken;
* a community event's territory holds at least ``engineers_required`` engineers able to
  serve it, so the event is never split across territories or starved by the split.

Visits are grouped by k-means on their coordinates; engineers go to territories in
proportion to each territory's work (service plus a driving estimate), nearest first, and
among equally near engineers by the skills each territory lacks (on days without events).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scheduler.domain import Problem, Visit
from scheduler.travel import Matrix

# Engineers whose reach to a territory differs by less than this fraction count as equally
# near (one service centre), and are shared out by the skills each territory needs.
REACH_TIE = 0.02


@dataclass(frozen=True, slots=True)
class Territory:
    """Engineer ids and visit ids solved together."""

    engineers: tuple[str, ...]
    visits: tuple[str, ...]


def territory_count(visits: int, engineers: int, size: int) -> int:
    """How many territories for ``visits`` visits: about ``size`` visits each, at most one
    per engineer."""
    return max(1, min(engineers, math.ceil(visits / size)))


def _points(problem: Problem, visits: Sequence[Visit]) -> npt.NDArray[np.float64]:
    """Visit coordinates on a local plane (longitude shrunk by cos(latitude))."""
    where = {loc.id: loc for loc in problem.locations}
    lat = np.array([where[v.location].lat for v in visits])
    lon = np.array([where[v.location].lon for v in visits])
    return np.column_stack([lat, lon * np.cos(np.radians(lat.mean()))])


def _kmeans(points: npt.NDArray[np.float64], k: int, rounds: int = 25) -> npt.NDArray[np.int64]:
    """Cluster label per point; deterministic farthest-point start."""
    centres = [points[int(np.argmin(points[:, 0] + points[:, 1]))]]
    for _ in range(1, k):
        d = np.min([np.sum((points - c) ** 2, axis=1) for c in centres], axis=0)
        centres.append(points[int(np.argmax(d))])
    c = np.array(centres)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(rounds):
        d = ((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        new = np.argmin(d, axis=1).astype(np.int64)
        for j in range(k):
            members = points[new == j]
            if len(members):
                c[j] = members.mean(axis=0)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _split_large(
    points: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], most: int
) -> npt.NDArray[np.int64]:
    """Clusters of more than ``most`` points split again by k-means (dense town centres
    otherwise make one territory too big to plan in its share of the time)."""
    out = labels.copy()
    top = int(labels.max()) + 1
    for j in range(top):
        members = np.flatnonzero(labels == j)
        if len(members) <= most:
            continue
        sub = _kmeans(points[members], math.ceil(len(members) / most * 1.5))
        for c in range(1, int(sub.max()) + 1):
            out[members[sub == c]] = top
            top += 1
    return out


def _quotas(work: Sequence[float], engineers: int) -> list[int]:
    """Engineers per territory in proportion to its work (largest remainders), >= 1 each."""
    k = len(work)
    total = sum(work) or 1.0
    raw = [engineers * w / total for w in work]
    quota = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(k), key=lambda j: raw[j] - math.floor(raw[j]), reverse=True)
    i = 0
    while sum(quota) < engineers:
        quota[order[i % k]] += 1
        i += 1
    while sum(quota) > engineers:
        j = max(range(k), key=lambda j: quota[j] - raw[j])
        quota[j] -= 1
    return quota


def _assign_engineers(
    pairs: Sequence[tuple[int, str, int]],
    quota: Sequence[int],
    demand: Sequence[Mapping[frozenset[str], float]],
) -> dict[str, int]:
    """Territory per engineer: nearest first (``pairs``: reach in seconds, engineer,
    territory, sorted), up to each territory's ``quota``. Among engineers about equally near
    (within ``REACH_TIE``), e.g. all those of one service centre, each place goes to the
    engineer whose skills the territory lacks most: the work its visits need (``demand``, per
    set of able engineers) shared among the able engineers it already has, per place of its
    quota, relative to the engineer's fair share of the whole day's work (so versatile
    engineers are not all taken by the first territory to choose). Without this, ties went
    by engineer id, and one territory took every engineer of one kind.
    """
    team: dict[str, int] = {}
    filled = [0] * len(quota)
    cover = [dict.fromkeys(d, 0) for d in demand]
    day: dict[frozenset[str], float] = {}
    for d in demand:
        for s, w in d.items():
            day[s] = day.get(s, 0.0) + w
    # An engineer's fair share of the day's work: each set's work split among its members.
    engineers = {eid for _, eid, _ in pairs}
    fair = {e: sum(w / len(s) for s, w in day.items() if e in s) or 1.0 for e in engineers}
    member: dict[tuple[str, int], list[frozenset[str]]] = {}
    start = 0
    while start < len(pairs):
        end = start
        while end < len(pairs) and pairs[end][0] <= pairs[start][0] * (1 + REACH_TIE):
            end += 1
        tied = [(eid, j) for _, eid, j in pairs[start:end]]
        start = end
        for eid, j in tied:
            if (eid, j) not in member:
                member[eid, j] = [s for s in demand[j] if eid in s]
        while True:
            open_ = [(eid, j) for eid, j in tied if eid not in team and filled[j] < quota[j]]
            if not open_:
                break

            def lack(pair: tuple[str, int]) -> float:
                eid, j = pair
                need = sum(demand[j][s] / (1 + cover[j][s]) for s in member[eid, j])
                return need / max(1, quota[j]) / fair[eid]

            eid, j = max(open_, key=lack)  # the first of equals: the nearest
            team[eid] = j
            filled[j] += 1
            for s in member[eid, j]:
                cover[j][s] += 1
    return team


def split_into_territories(
    problem: Problem,
    matrix: Matrix,
    visits: Sequence[Visit],
    serviceable: Mapping[str, Sequence[str]],
    k: int,
    size: int = 250,
) -> list[Territory]:
    """``k`` territories covering ``visits`` and every engineer of ``problem``, none above
    1.5 x ``size`` visits (OR-Tools' local search stays quick up to a few hundred).

    ``serviceable`` maps each visit id to the engineers able to serve it (see
    ``scheduler.explain.serviceable_engineers``); visits nobody can serve must be left out
    by the caller. Territories left without visits are dropped, their engineers spread.
    """
    engineers = list(problem.engineers)
    if k <= 1 or len(visits) < 2 or len(engineers) < 2:
        return [Territory(tuple(e.id for e in engineers), tuple(v.id for v in visits))]
    row = problem.location_index()
    vrow = np.array([row[v.location] for v in visits])
    labels = _kmeans(_points(problem, visits), k)
    labels = _split_large(_points(problem, visits), labels, int(1.5 * size))
    k = int(labels.max()) + 1
    # Work: service plus the drive to the nearest other visit (a per-stop driving estimate).
    sub = matrix[np.ix_(vrow, vrow)].astype(np.float64)
    np.fill_diagonal(sub, np.inf)
    nearest = np.where(np.isfinite(sub.min(axis=1)), sub.min(axis=1), 0.0)
    work = [0.0] * k
    # Per territory, the work each set of able engineers must cover (skills, pins, sites).
    demand: list[dict[frozenset[str], float]] = [{} for _ in range(k)]
    for i, v in enumerate(visits):
        w = (v.duration + nearest[i]) * v.engineers_required
        work[labels[i]] += w
        able_set = frozenset(serviceable.get(v.id, ()))
        demand[labels[i]][able_set] = demand[labels[i]].get(able_set, 0.0) + w
    quota = _quotas(work, len(engineers))
    # Each territory's hub: the visit closest to its members' mean position.
    hubs = []
    pts = _points(problem, visits)
    for j in range(k):
        members = np.flatnonzero(labels == j)
        if len(members) == 0:
            hubs.append(int(vrow[0]))
            continue
        centre = pts[members].mean(axis=0)
        hubs.append(int(vrow[members[np.argmin(((pts[members] - centre) ** 2).sum(axis=1))]]))
    home = {e.id: (row[e.start_location], row[e.end_location]) for e in engineers}

    def reach(eid: str, r: int) -> int:
        a, b = home[eid]
        return int(matrix[a, r]) + int(matrix[r, b])

    pairs = sorted((reach(e.id, hubs[j]), e.id, j) for e in engineers for j in range(k))
    # Days with community events keep the nearest-then-id order for now: events are decided
    # inside each territory, and on the generated city day the skill-aware crews left one
    # priority-2 event unheld at 60 s and at 10 minutes (docs/benchmarks.md).
    if any(v.is_event for v in visits):
        demand = [{} for _ in range(k)]
    team = _assign_engineers(pairs, quota, demand)
    where = {v.id: int(labels[i]) for i, v in enumerate(visits)}
    by_id = {v.id: v for v in visits}

    # Events first: an event stays in the territory around it, which takes the nearest
    # missing engineers from elsewhere; engineers an event relies on stay put. (Sending it
    # to the territory with most able engineers sent every event of a city day to one
    # territory, too big to plan in its time.)
    locked: set[str] = set()
    for ev in sorted((v for v in visits if v.is_event), key=lambda v: (v.priority, v.id)):
        able = [e for e in serviceable.get(ev.id, ()) if e in team]
        if len(able) < ev.engineers_required:
            continue  # nobody could staff it anyway; the solver will explain it
        j = where[ev.id]
        er = row[ev.location]
        here = [e for e in able if team[e] == j]
        for e in sorted(
            (e for e in able if team[e] != j and e not in locked), key=lambda e: reach(e, er)
        ):
            if len(here) >= ev.engineers_required:
                break
            team[e] = j
            here.append(e)
        locked.update(here[: ev.engineers_required])

    # Home visits whose territory has none of their engineers follow the nearest one.
    for v in visits:
        if v.is_event:
            continue
        able = [e for e in serviceable.get(v.id, ()) if e in team]
        if able and all(team[e] != where[v.id] for e in able):
            vr = row[v.location]
            where[v.id] = team[min(able, key=lambda e: reach(e, vr))]

    members_of: list[list[str]] = [[] for _ in range(k)]
    for vid, j in where.items():
        members_of[j].append(vid)
    crews: list[list[str]] = [[] for _ in range(k)]
    for eng in engineers:
        crews[team[eng.id]].append(eng.id)
    # A territory without visits lends its engineers to the nearest one with visits.
    busy = [j for j in range(k) if members_of[j]]
    for j in range(k):
        if not members_of[j]:
            for eid in crews[j]:
                crews[min(busy, key=lambda b: reach(eid, hubs[b]))].append(eid)
            crews[j] = []
    order = {v.id: i for i, v in enumerate(visits)}
    return [
        Territory(
            tuple(crews[j]), tuple(sorted(members_of[j], key=lambda vid: order[by_id[vid].id]))
        )
        for j in busy
    ]
