"""Residents within reach of community events, on the road network.

A resident is a residential building (optionally weighted, e.g. by households) snapped to its
nearest road node. An event *covers* a building when the building's node can reach the
event's node within ``minutes``:

* ``mode="drive"``: the fastest drive *from the building to the event* on the directed road
  network (one-way streets count), i.e. a bounded Dijkstra on the reversed graph from the
  event's node. The walk between building and road node is not added (it is the same kind
  of few tens of metres for every building).
* ``mode="walk"``: the same drivable roads treated as undirected, each edge's ``length``
  (metres) walked at ``walk_kph``; the building's and the event's distances to their road
  nodes are walked too. Footpaths that are not roads are not in the network, so walking
  reach is an underestimate where paths cut corners.

Each search is one ``scipy.sparse.csgraph.dijkstra`` call bounded by ``limit``, so its cost
grows with the area reached, not with the city. Derived from OpenStreetMap data:
© OpenStreetMap contributors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from scheduler.domain import Location
from scheduler.errors import NetworkError, ProblemError
from scheduler.network.graph import OSM_ATTRIBUTION, FloatArray, IntArray, Network
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M, snap_locations

BoolArray = npt.NDArray[np.bool_]

DEFAULT_WALK_KPH = 4.8
"""Walking speed (km/h) when none is given: about 1.33 m/s, a common planning figure."""


class Mode(StrEnum):
    DRIVE = "drive"
    WALK = "walk"


class PointLike(Protocol):
    """Anything with an id and WGS84 ``lat``/``lon`` (a Location, a scenario's event...)."""

    @property
    def id(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...


class PlaceLike(PointLike, Protocol):
    """A point with a ``weight`` (``scheduler.network.places.Place``)."""

    @property
    def weight(self) -> float: ...


@dataclass(frozen=True, eq=False)
class Residents:
    """Residential buildings as arrays: ``lon``/``lat`` in degrees, ``weight`` residents
    (or households) per building, 1.0 each when unweighted."""

    ids: tuple[str, ...]
    lon: FloatArray
    lat: FloatArray
    weight: FloatArray

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("lon", "lat", "weight"):
            if len(getattr(self, name)) != n:
                raise ProblemError(
                    "residents", name, f"{len(getattr(self, name))} values", f"must have {n}"
                )
        if n and not (np.isfinite(self.weight).all() and (self.weight >= 0).all()):
            bad = int(np.flatnonzero(~(np.isfinite(self.weight) & (self.weight >= 0)))[0])
            raise ProblemError(
                f"resident {self.ids[bad]!r}", "weight", float(self.weight[bad]), "must be >= 0"
            )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_places(cls, places: Iterable[PlaceLike], *, weighted: bool = True) -> Residents:
        """From places such as ``scheduler.network.places.residential_buildings(source)``;
        ``weighted=False`` counts every building as 1."""
        items = list(places)
        weight = [p.weight if weighted else 1.0 for p in items]
        return cls(
            ids=tuple(p.id for p in items),
            lon=np.array([p.lon for p in items], dtype=np.float64),
            lat=np.array([p.lat for p in items], dtype=np.float64),
            weight=np.array(weight, dtype=np.float64),
        )


@dataclass(frozen=True, eq=False)
class EventCoverage:
    """What one event reaches: ``buildings`` (count), ``residents`` (sum of weights), and
    the positions in :class:`Residents` of the buildings covered."""

    event_id: str
    node_id: int
    snap_m: float
    buildings: int
    residents: float
    covered: IntArray


@dataclass(frozen=True, eq=False)
class Coverage:
    """Coverage of several events; unique figures count a building once however many
    events reach it.

    ``unsnapped`` buildings (farther than the snap limit from any road node) are in no
    figure; ``unsnapped_residents`` is their weight, reported so nothing is lost silently.
    """

    mode: Mode
    minutes: float
    walk_kph: float | None
    residents: Residents
    events: tuple[EventCoverage, ...]
    unsnapped: int
    unsnapped_residents: float
    attribution: str = field(default=OSM_ATTRIBUTION)

    def event(self, event_id: str) -> EventCoverage:
        for e in self.events:
            if e.event_id == event_id:
                return e
        raise KeyError(event_id)

    def covered_mask(self, event_ids: Iterable[str] | None = None) -> BoolArray:
        """Buildings reached by at least one of ``event_ids`` (all events when None)."""
        wanted = None if event_ids is None else set(event_ids)
        mask = np.zeros(len(self.residents), dtype=bool)
        for e in self.events:
            if wanted is None or e.event_id in wanted:
                mask[e.covered] = True
        return mask

    def unique_residents(self, event_ids: Iterable[str] | None = None) -> float:
        """Sum of weights of buildings reached by at least one of ``event_ids``."""
        return float(self.residents.weight[self.covered_mask(event_ids)].sum())

    def unique_buildings(self, event_ids: Iterable[str] | None = None) -> int:
        return int(self.covered_mask(event_ids).sum())

    def cells(self) -> list[tuple[frozenset[str], float]]:
        """The covered buildings partitioned by the exact set of events that reach them:
        ``(events, residents)`` pairs, largest first. Unique coverage of any set ``S`` of
        events is the sum over cells whose events meet ``S``."""
        if not self.events:
            return []
        member = np.zeros((len(self.events), len(self.residents)), dtype=bool)
        for i, e in enumerate(self.events):
            member[i, e.covered] = True
        reached = member.any(axis=0)
        patterns, inverse = np.unique(member[:, reached].T, axis=0, return_inverse=True)
        weights = np.bincount(inverse.ravel(), weights=self.residents.weight[reached])
        out = [
            (frozenset(self.events[i].event_id for i in np.flatnonzero(p)), float(w))
            for p, w in zip(patterns, weights, strict=True)
        ]
        return sorted(out, key=lambda c: (-c[1], sorted(c[0])))

    def rows(self) -> list[dict[str, object]]:
        """One dict per event (for a table), then a ``"(unique)"`` row for all together."""
        out: list[dict[str, object]] = [
            {
                "event": e.event_id,
                "buildings": e.buildings,
                "residents": round(e.residents, 2),
                "snap_m": round(e.snap_m, 1),
            }
            for e in self.events
        ]
        out.append(
            {
                "event": "(unique)",
                "buildings": self.unique_buildings(),
                "residents": round(self.unique_residents(), 2),
                "snap_m": None,
            }
        )
        return out


def walking_graph(network: Network, walk_kph: float) -> sp.csr_array:
    """Seconds to walk each road edge at ``walk_kph``, both ways (symmetric sparse matrix
    over ``network.node_ids``; the shortest of parallel edges is kept)."""
    if not (np.isfinite(walk_kph) and walk_kph > 0):
        raise ProblemError("coverage", "walk_kph", walk_kph, "must be > 0 km/h")
    edges = list(network.graph.edges(data="length"))
    u = np.empty(len(edges), dtype=np.int64)
    v = np.empty(len(edges), dtype=np.int64)
    metres = np.empty(len(edges), dtype=np.float64)
    for k, (a, b, length) in enumerate(edges):
        if length is None or not np.isfinite(float(length)) or float(length) < 0:
            raise NetworkError(
                f"edge {a} -> {b} of the road network from {network.source} has no valid "
                f"length (got {length!r}): walking coverage needs every edge's length in metres"
            )
        u[k], v[k], metres[k] = a, b, float(length)
    ui = np.searchsorted(network.node_ids, u)
    vi = np.searchsorted(network.node_ids, v)
    # Both directions, shortest of parallel edges first; csgraph reads an explicit 0 as
    # "no edge", so zero-length edges get a tiny positive length.
    rows = np.concatenate([ui, vi])
    cols = np.concatenate([vi, ui])
    seconds = np.maximum(np.concatenate([metres, metres]), 1e-6) / (walk_kph / 3.6)
    order = np.lexsort((seconds, cols, rows))
    rows, cols, seconds = rows[order], cols[order], seconds[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    keep = first & (rows != cols)
    n = network.node_count
    return sp.csr_array((seconds[keep], (rows[keep], cols[keep])), shape=(n, n))


def seconds_within(graph: sp.csr_array, sources: IntArray, limit_s: float) -> FloatArray:
    """Seconds from each source node to every node over ``graph``, ``inf`` beyond
    ``limit_s`` (bounded Dijkstra): shape ``(len(sources), nodes)``."""
    if len(sources) == 0:
        return np.zeros((0, graph.shape[0]), dtype=np.float64)
    out: FloatArray = dijkstra(graph, directed=True, indices=sources, limit=limit_s)
    return np.atleast_2d(out)


def _snap_residents(
    network: Network, residents: Residents, max_snap_m: float
) -> tuple[IntArray, FloatArray, BoolArray]:
    """Node position and distance (m) of each building, and which are within the limit."""
    import osmnx as ox

    if len(residents) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool)
    nearest, dist = ox.distance.nearest_nodes(
        network.graph, residents.lon, residents.lat, return_dist=True
    )
    node_index = network.index_of(np.asarray(nearest, dtype=np.int64))
    distance = np.asarray(dist, dtype=np.float64)
    return node_index, distance, distance <= max_snap_m


def coverage(
    network: Network,
    events: Sequence[Location],
    residents: Residents,
    *,
    minutes: float,
    mode: Mode | str = Mode.DRIVE,
    walk_kph: float = DEFAULT_WALK_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    resident_max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Coverage:
    """Buildings within ``minutes`` of each event, by car or on foot (see the module text).

    Parameters
    ----------
    network
        The road network (its edges need ``length`` in metres for walking).
    events
        Event places (WGS84); each must lie within ``max_snap_m`` metres of a road node
        (NetworkError otherwise, naming it).
    residents
        Residential buildings, e.g. ``Residents.from_places(residential_buildings(src))``.
    minutes
        Reach threshold in minutes (inclusive).
    mode
        ``"drive"`` or ``"walk"``.
    walk_kph
        Walking speed in km/h (walk mode only).
    max_snap_m, resident_max_snap_m
        Largest distance (metres) from an event / a building to its road node; buildings
        farther away are counted in ``Coverage.unsnapped``, not silently dropped.
    """
    try:
        mode = Mode(mode)
    except ValueError:
        raise ProblemError("coverage", "mode", mode, "must be 'drive' or 'walk'") from None
    if not (np.isfinite(minutes) and minutes >= 0):
        raise ProblemError("coverage", "minutes", minutes, "must be >= 0 minutes")
    ids = [e.id for e in events]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ProblemError("coverage", "events", dup[0], "is given more than once")
    snaps = snap_locations(network, events, max_distance_m=max_snap_m)
    node_of, distance, ok = _snap_residents(network, residents, resident_max_snap_m)
    limit = minutes * 60.0
    if mode is Mode.DRIVE:
        graph = network.adjacency.T.tocsr()  # from every node *to* the event
        seconds = seconds_within(graph, snaps.node_index, limit)
        reach = seconds[:, node_of] <= limit
    else:
        speed = walk_kph / 3.6
        graph = walking_graph(network, walk_kph)
        seconds = seconds_within(graph, snaps.node_index, limit)
        total = seconds[:, node_of] + distance[None, :] / speed + snaps.distance_m[:, None] / speed
        reach = total <= limit
    reach &= ok[None, :]
    out = []
    for i, event_id in enumerate(snaps.location_ids):
        covered = np.flatnonzero(reach[i]).astype(np.int64)
        out.append(
            EventCoverage(
                event_id=event_id,
                node_id=int(snaps.node_ids[i]),
                snap_m=float(snaps.distance_m[i]),
                buildings=len(covered),
                residents=float(residents.weight[covered].sum()),
                covered=covered,
            )
        )
    return Coverage(
        mode=mode,
        minutes=float(minutes),
        walk_kph=float(walk_kph) if mode is Mode.WALK else None,
        residents=residents,
        events=tuple(out),
        unsnapped=int((~ok).sum()),
        unsnapped_residents=float(residents.weight[~ok].sum()),
    )


_residents_of_source: dict[str, Residents] = {}


def residents_of(network: Network, *, weighted: bool = True) -> Residents:
    """Residential buildings of the OpenStreetMap extract ``network`` was read from
    (``scheduler.network.places.residential_buildings``, weighted by households unless
    ``weighted=False``); read once per process and source."""
    from scheduler.network.places import residential_buildings

    key = f"{network.source}|{weighted}"
    found = _residents_of_source.get(key)
    if found is None:
        found = Residents.from_places(residential_buildings(network.source), weighted=weighted)
        _residents_of_source[key] = found
    return found


def unique_residents(
    network: Network,
    events: Sequence[PointLike],
    minutes: float,
    *,
    residents: Residents | None = None,
    mode: Mode | str = Mode.DRIVE,
    walk_kph: float = DEFAULT_WALK_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> float:
    """Residents within ``minutes`` of at least one of ``events``, each counted once
    (``residents`` defaults to :func:`residents_of` the network)."""
    if not events:
        return 0.0
    places = [Location(e.id, e.lat, e.lon) for e in events]
    found = coverage(
        network,
        places,
        residents if residents is not None else residents_of(network),
        minutes=minutes,
        mode=mode,
        walk_kph=walk_kph,
        max_snap_m=max_snap_m,
    )
    return found.unique_residents()
