"""VRPLIB VRPTW, SDVRPTW and MDVRPTW instances as fieldroute problems, with each set's own
cost convention, and VRPLIB ``.sol`` files read, costed and written.

Mapping: every vehicle becomes an engineer starting and ending at its depot (a service
centre), working the depot's time window, carrying at most its capacity (``load_capacity``)
and out at most ``VEHICLES_MAX_DURATION`` (``max_route_duration``); every client becomes a
home visit with its demand as ``load``, its service time as duration and its time window;
a site-dependent client's allowed vehicles become its ``allowed_engineers``.

Cost conventions, in integer model units (one unit = one "second" in the core):

* ``VRPTW`` (Gehring-Homberger, DIMACS): each arc's Euclidean distance truncated to one
  decimal. Units are tenths: arc = floor(10 x distance), times and durations x 10.
* ``SDVRPTW``/``MDVRPTW`` (Cordeau-Laporte, Vidal et al.): arc = round(1000 x distance),
  times and durations x 1000; costs are reported in these integer units.

Travel time equals the arc cost in both. Node numbers are 0-based as ``vrplib`` reads them
(depots first), which is how the ``.sol`` files number clients.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import vrplib

from scheduler.domain import (
    Engineer,
    Location,
    Plan,
    Problem,
    Reason,
    Route,
    ServiceCenter,
    SolveOptions,
    Stop,
    TimeWindow,
    Unassigned,
    Visit,
    Weights,
)
from scheduler.errors import InputFormatError

IntMatrix = npt.NDArray[np.int64]

KINDS = ("VRPTW", "SDVRPTW", "MDVRPTW")
SCALE = {"VRPTW": 10, "SDVRPTW": 1000, "MDVRPTW": 1000}
BENCH_DAY = dt.date(2026, 11, 27)  # the problem needs a date; instance times start at 0


@dataclass(frozen=True)
class Instance:
    """One VRPLIB instance in integer model units (see the module docstring).

    ``vehicle_depot[k]`` is vehicle k's depot node; ``allowed[k]`` the client nodes vehicle
    k may serve (None: all); ``max_duration`` None when the instance has no duration limit.
    """

    name: str
    kind: str
    path: Path
    num_depots: int
    coords: npt.NDArray[np.float64]
    arcs: IntMatrix
    demand: tuple[int, ...]
    service: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]
    capacity: tuple[int, ...]
    vehicle_depot: tuple[int, ...]
    allowed: tuple[frozenset[int] | None, ...]
    max_duration: int | None

    @property
    def scale(self) -> int:
        return SCALE[self.kind]

    @property
    def clients(self) -> range:
        return range(self.num_depots, len(self.demand))

    @property
    def num_vehicles(self) -> int:
        return len(self.capacity)

    def display_cost(self, units: int) -> float | int:
        """A cost in model units as the set's BKS files state it (tenths -> one decimal)."""
        return units / 10 if self.kind == "VRPTW" else units


def dimacs_arcs(coords: npt.NDArray[np.float64]) -> IntMatrix:
    """floor(10 x Euclidean distance), exact for integer coordinates (integer square root)."""
    if not np.array_equal(coords, np.round(coords)):
        raise InputFormatError("DIMACS truncation needs integer coordinates (Gehring-Homberger)")
    xy = coords.astype(np.int64)
    d = xy[:, None, :] - xy[None, :, :]
    squared = 100 * (d[..., 0] ** 2 + d[..., 1] ** 2)
    root = np.floor(np.sqrt(squared.astype(np.float64))).astype(np.int64)
    # Correct the float square root by one either way where it is off.
    root -= (root * root > squared).astype(np.int64)
    root += ((root + 1) * (root + 1) <= squared).astype(np.int64)
    return np.asarray(root, dtype=np.int64)


def scaled_round_arcs(coords: npt.NDArray[np.float64], scale: int = 1000) -> IntMatrix:
    """round(scale x Euclidean distance) for every pair of nodes."""
    d = coords[:, None, :] - coords[None, :, :]
    arcs: IntMatrix = np.rint(scale * np.hypot(d[..., 0], d[..., 1])).astype(np.int64)
    return arcs


def _kind(data: dict[str, object], path: Path) -> str:
    kind = str(data.get("type", "")).upper()
    if kind in KINDS:
        return kind
    if "vehicles_allowed_clients" in data:
        return "SDVRPTW"
    if "vehicles_depot" in data:
        return "MDVRPTW"
    if "time_window" in data:
        return "VRPTW"
    raise InputFormatError(f"{path}: TYPE {kind or '(none)'} is not one of {', '.join(KINDS)}")


def read_instance(path: str | Path) -> Instance:
    """Read a VRPLIB VRPTW/SDVRPTW/MDVRPTW file into model units."""
    path = Path(path)
    try:
        data = vrplib.read_instance(str(path))
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise InputFormatError(f"{path}: not a readable VRPLIB instance ({exc})") from None
    kind = _kind(data, path)
    for section in ("node_coord", "demand", "time_window"):
        if section not in data:
            raise InputFormatError(f"{path}: a {kind} instance needs a {section.upper()} section")
    scale = SCALE[kind]
    coords = np.asarray(data["node_coord"], dtype=np.float64)
    n = len(coords)
    arcs = dimacs_arcs(coords) if kind == "VRPTW" else scaled_round_arcs(coords, scale)
    depots = [int(d) for d in np.atleast_1d(data.get("depot", [0]))]
    if depots != list(range(len(depots))):
        raise InputFormatError(f"{path}: depots must be the first nodes, got {depots}")
    service_raw = data.get("service_time", 0)
    service = np.broadcast_to(np.asarray(service_raw, dtype=np.float64), (n,))
    windows = np.asarray(data["time_window"], dtype=np.float64)
    num_vehicles = int(data.get("vehicles", n))
    capacity = np.broadcast_to(np.asarray(data.get("capacity", 10**9)), (num_vehicles,))
    vehicle_depot = np.asarray(data.get("vehicles_depot", np.ones(num_vehicles)), dtype=np.int64)
    allowed_raw = data.get("vehicles_allowed_clients")
    # VRPLIB numbers nodes from 1 in these sections; vrplib keeps them as written.
    allowed: list[frozenset[int] | None] = (
        [frozenset(int(c) - 1 for c in np.atleast_1d(row)) for row in allowed_raw]
        if allowed_raw is not None
        else [None] * num_vehicles
    )
    max_duration = data.get("vehicles_max_duration")
    return Instance(
        name=str(data.get("name", path.stem)),
        kind=kind,
        path=path,
        num_depots=len(depots),
        coords=coords,
        arcs=arcs,
        demand=tuple(int(x) for x in np.asarray(data["demand"])),
        service=tuple(round(x * scale) for x in service),
        windows=tuple((round(a * scale), round(b * scale)) for a, b in windows),
        capacity=tuple(int(c) for c in capacity),
        vehicle_depot=tuple(int(d) - 1 for d in vehicle_depot),
        allowed=tuple(allowed),
        max_duration=None if max_duration is None else round(float(max_duration) * scale),
    )


# ---- problems --------------------------------------------------------------------------


def node_id(node: int, inst: Instance) -> str:
    """Location/visit id of a node: ``d0``.. for depots, ``c{node}`` for clients."""
    return f"d{node}" if node < inst.num_depots else f"c{node}"


def engineer_id(vehicle: int) -> str:
    """Engineer of vehicle ``vehicle`` (0-based): ``v1``, ``v2``... as the .sol numbers routes."""
    return f"v{vehicle + 1}"


def _lat_lon(inst: Instance) -> npt.NDArray[np.float64]:
    """Planar coordinates squeezed into valid degrees: only maps use them, never travel."""
    xy = inst.coords
    lo, span = xy.min(axis=0), np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-9)
    return np.asarray((xy - lo) / span + np.array([60.0, 24.0]), dtype=np.float64)


def to_problem(inst: Instance, time_limit: float = 10.0) -> Problem:
    """The instance as a fieldroute problem (travel matrix: ``inst.arcs``).

    Every client must be served: the drop penalty exceeds the cost of serving every client
    on a route of its own, so leaving one out never pays while serving all is feasible.
    """
    ll = _lat_lon(inst)
    locations = tuple(
        Location(node_id(i, inst), float(ll[i, 1]), float(ll[i, 0])) for i in range(len(ll))
    )
    centres = tuple(
        ServiceCenter(f"depot{d}", f"depot {d}", node_id(d, inst)) for d in range(inst.num_depots)
    )
    engineers = []
    for k in range(inst.num_vehicles):
        depot = inst.vehicle_depot[k]
        open_, close = inst.windows[depot]
        engineers.append(
            Engineer(
                id=engineer_id(k),
                start_location=node_id(depot, inst),
                end_location=node_id(depot, inst),
                shift_start=open_,
                shift_end=close,
                service_center=f"depot{depot}",
                load_capacity=inst.capacity[k],
                max_route_duration=inst.max_duration,
            )
        )
    may_serve: dict[int, list[str]] = {c: [] for c in inst.clients}
    if any(a is not None for a in inst.allowed):
        for k, clients in enumerate(inst.allowed):
            for c in clients if clients is not None else inst.clients:
                may_serve[c].append(engineer_id(k))
    visits = tuple(
        Visit(
            id=node_id(c, inst),
            location=node_id(c, inst),
            duration=inst.service[c],
            time_windows=(TimeWindow(*inst.windows[c]),),
            load=inst.demand[c],
            allowed_engineers=frozenset(may_serve[c]),
        )
        for c in inst.clients
    )
    worst = 2 * int(inst.arcs.max()) * max(1, len(visits)) + 1
    return Problem(
        date=BENCH_DAY,
        locations=locations,
        engineers=tuple(engineers),
        visits=visits,
        service_centers=centres,
        options=SolveOptions(time_limit=time_limit, weights=Weights(drop_base=worst)),
    )


# ---- solutions ---------------------------------------------------------------------------


def routes_from_plan(inst: Instance, plan: Plan) -> list[list[int]]:
    """Client nodes per vehicle (index k = vehicle k, empty lists for unused vehicles)."""
    routes: list[list[int]] = [[] for _ in range(inst.num_vehicles)]
    for r in plan.routes:
        k = int(r.engineer_id[1:]) - 1
        routes[k] = [int(s.visit_id[1:]) for s in r.stops]
    return routes


def route_cost(inst: Instance, vehicle: int, route: Sequence[int]) -> int:
    """Model-unit cost of one vehicle's route, depot to depot (0 when empty)."""
    if not route:
        return 0
    depot = inst.vehicle_depot[vehicle]
    path = [depot, *route, depot]
    return int(sum(int(inst.arcs[a, b]) for a, b in itertools.pairwise(path)))


def solution_cost(inst: Instance, routes: Sequence[Sequence[int]]) -> int:
    """Model-unit cost of routes given per vehicle (see ``vehicle_routes``)."""
    return sum(route_cost(inst, k, r) for k, r in enumerate(routes))


def vehicle_routes(inst: Instance, sol_routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """``.sol`` routes per vehicle: for one depot any route may be any vehicle (GH numbers
    non-empty routes 1, 2, ...), so routes go to vehicles in order; with several depots or
    site restrictions route #k is vehicle k."""
    routes = [list(map(int, r)) for r in sol_routes]
    if len(routes) > inst.num_vehicles:
        raise InputFormatError(
            f"{inst.name}: the solution has {len(routes)} routes for {inst.num_vehicles} vehicles"
        )
    return routes + [[] for _ in range(inst.num_vehicles - len(routes))]


def numbered_sol(inst: Instance) -> bool:
    """Whether route #k must be vehicle k (multi-depot or site-dependent sets)."""
    return inst.kind != "VRPTW"


def format_sol(inst: Instance, routes: Sequence[Sequence[int]], cost_units: int) -> str:
    """A VRPLIB ``.sol`` text: ``Route #k: ...`` lines then ``Cost X``, numbered as the
    set's BKS files are (vehicle k for SD/MD, non-empty routes in order for VRPTW)."""
    lines = []
    if numbered_sol(inst):
        lines = [f"Route #{k + 1}: {' '.join(map(str, r))}".rstrip() for k, r in enumerate(routes)]
    else:
        non_empty = [r for r in routes if r]
        lines = [f"Route #{i + 1}: {' '.join(map(str, r))}" for i, r in enumerate(non_empty)]
    return "\n".join([*lines, f"Cost {inst.display_cost(cost_units)}"]) + "\n"


@dataclass(frozen=True)
class KnownSolution:
    """A ``.sol`` file: routes per vehicle, the cost it states, the cost recomputed."""

    routes: list[list[int]]
    stated: float
    recomputed_units: int

    def matches(self, inst: Instance) -> bool:
        """Whether the recomputed cost equals the stated one exactly."""
        return math.isclose(inst.display_cost(self.recomputed_units), self.stated, abs_tol=1e-6)


def read_known_solution(inst: Instance, path: str | Path) -> KnownSolution:
    """Read a ``.sol`` for ``inst`` and recompute its cost with the instance's convention."""
    try:
        sol = vrplib.read_solution(str(path))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{path}: not a readable VRPLIB solution ({exc})") from None
    routes = vehicle_routes(inst, sol["routes"])
    return KnownSolution(routes, float(sol["cost"]), solution_cost(inst, routes))


def bks_path(inst: Instance) -> Path | None:
    """The ``.sol`` beside the instance file, if there is one."""
    path = inst.path.with_suffix(".sol")
    return path if path.exists() else None


def time_route(inst: Instance, vehicle: int, route: Sequence[int]) -> Route:
    """Shortest-duration timing of a client route: the earliest return (every service as
    early as possible), then the latest departure that still returns then. Arrivals after a
    window's end are kept as they are, for the validator to report."""
    depot = inst.vehicle_depot[vehicle]
    open_, _ = inst.windows[depot]
    path = [depot, *route, depot]
    t = open_
    for a, b in itertools.pairwise(path[:-1]):
        t = max(inst.windows[b][0], t + int(inst.arcs[a, b])) + inst.service[b]
    back = t + int(inst.arcs[path[-2], depot])
    latest = back  # latest start at the next node on the way back (the return first)
    for a, b in zip(reversed(path[1:-1]), reversed(path[2:]), strict=False):
        latest = min(inst.windows[a][1], latest - int(inst.arcs[a, b]) - inst.service[a])
    departure = max(open_, latest - int(inst.arcs[depot, path[1]]))
    stops, t = [], departure
    for a, b in itertools.pairwise(path[:-1]):
        arrival = t + int(inst.arcs[a, b])
        start = max(inst.windows[b][0], arrival)
        stops.append(Stop(node_id(b, inst), arrival, start, start + inst.service[b]))
        t = start + inst.service[b]
    return Route(engineer_id(vehicle), departure, t + int(inst.arcs[path[-2], depot]), tuple(stops))


def plan_from_routes(inst: Instance, routes: Sequence[Sequence[int]]) -> Plan:
    """A timed plan for client routes per vehicle, for the validator to check routes found
    by any solver; clients on no route are listed as unassigned."""
    timed = tuple(time_route(inst, k, r) for k, r in enumerate(routes) if r)
    served = {c for r in routes for c in r}
    missing = [node_id(c, inst) for c in inst.clients if c not in served]
    unassigned = tuple(
        Unassigned(v, Reason.CAPACITY, "not served by this solution") for v in missing
    )
    return Plan(timed, unassigned)
