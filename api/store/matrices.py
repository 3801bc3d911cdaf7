"""The travel times a stored plan was made with, found again and kept: a preview, an applied
move or a booking slot prices the plan on the matrix its search used (the server's road
network when the plan's times came from it, else the straight-line estimate)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from api.config import Settings
from api.store.plans import SolvedPlan
from scheduler.travel import Matrix

__all__ = ["PlanMatrices"]


class PlanMatrices:
    """Matrices of succeeded plans (which never change), the ``capacity`` most recently
    used kept in memory; one per application."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, tuple[Matrix, str]] = OrderedDict()

    def get(self, solved: SolvedPlan, settings: Settings) -> tuple[Matrix, str]:
        """The plan's matrix (seconds, over its problem's locations) and its source."""
        with self._lock:
            kept = self._kept.get(solved.plan_id)
            if kept is not None:
                self._kept.move_to_end(solved.plan_id)
                return kept
        found = matrix_of(solved, settings)
        with self._lock:
            self._kept[solved.plan_id] = found
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
        return found


def road_provider_for(solved: SolvedPlan, settings: Settings) -> object | None:
    """The server's road network when the plan was made on it, else None."""
    if settings.road_network is None or not str(solved.travel_times).startswith("road-network"):
        return None
    from scheduler.network import MatrixCache, RoadNetwork, default_cache_dir, shared_network

    return RoadNetwork(
        shared_network(settings.road_network),
        max_snap_m=settings.max_snap_m,
        cache=MatrixCache(default_cache_dir() / "matrices"),
        workers=1,
    )


def matrix_of(solved: SolvedPlan, settings: Settings) -> tuple[Matrix, str]:
    from scheduler.travel import travel_time_matrix_for

    provider = road_provider_for(solved, settings)
    return travel_time_matrix_for(solved.problem, provider)  # type: ignore[arg-type]
