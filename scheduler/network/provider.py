"""``RoadNetwork``: road-network travel times as a ``scheduler.travel.TravelTimeProvider``."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.domain import Location
from scheduler.network.cache import MatrixCache
from scheduler.network.graph import Network
from scheduler.network.matrix import travel_time_matrix
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M
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
