"""``RoadNetwork``: road-network travel times as a ``scheduler.travel.TravelTimeProvider``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.domain import Location
from scheduler.errors import NetworkError
from scheduler.network.cache import MatrixCache
from scheduler.network.graph import Network
from scheduler.network.matrix import node_seconds, travel_time_matrix, whole_seconds
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M, snap_locations
from scheduler.travel import Matrix


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Driving seconds over an OpenStreetMap road network (see :func:`travel_time_matrix`).

    Parameters
    ----------
    network
        A network from :func:`scheduler.network.load_network`.
    max_snap_m
        Largest accepted distance in metres from a location to the network.
    cache
        Optional on-disk matrix cache; ``None`` computes every matrix afresh.
    workers
        Processes for large searches (default 1: never fork).
    """

    network: Network
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    cache: MatrixCache | None = None
    workers: int = 1

    @property
    def name(self) -> str:
        return f"road-network {self.network.source} ({self.network.attribution})"

    def matrix(self, locations: tuple[Location, ...]) -> Matrix:
        return travel_time_matrix(
            self.network,
            locations,
            max_snap_m=self.max_snap_m,
            cache=self.cache,
            workers=self.workers,
        )

    def extend(
        self, locations: tuple[Location, ...], matrix: Matrix, extra: tuple[Location, ...]
    ) -> Matrix:
        """The matrix of ``(*locations, *extra)`` keeping ``matrix`` between ``locations``:
        one search from and one to each extra location (seconds, whole as in
        :func:`travel_time_matrix`)."""
        n = len(locations)
        snaps = snap_locations(self.network, (*locations, *extra), max_distance_m=self.max_snap_m)
        nodes = snaps.node_index
        new = nodes[n:]
        out = np.zeros((len(nodes), len(nodes)), dtype=np.int64)
        out[:n, :n] = matrix
        if len(new):
            away = node_seconds(self.network, new, nodes)
            back = node_seconds(self.network, new, nodes, reverse=True)
            if not (np.isfinite(away).all() and np.isfinite(back).all()):
                raise NetworkError(
                    f"no road route to or from {[loc.id for loc in extra]} in "
                    f"{self.network.source}: the place is cut off from the network there"
                )
            out[n:, :] = whole_seconds(away)
            out[:, n:] = whole_seconds(back).T
            np.fill_diagonal(out, 0)
        return out
