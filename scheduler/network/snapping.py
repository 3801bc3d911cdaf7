"""Snap locations to their nearest road-network node in one vectorised search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.domain import Location
from scheduler.errors import NetworkError
from scheduler.network.graph import FloatArray, IntArray, Network

DEFAULT_MAX_SNAP_M = 500.0
"""A location farther than this (metres) from every network node is rejected."""


@dataclass(frozen=True, eq=False)
class Snaps:
    """Where each location joins the road network, in the order the locations were given.

    Attributes
    ----------
    location_ids
        The locations' ids.
    node_ids
        OSM id of each location's nearest node.
    node_index
        Position of that node in ``network.node_ids`` (a row of the adjacency).
    distance_m
        Great-circle distance from the location to its node, in metres.
    """

    location_ids: tuple[str, ...]
    node_ids: IntArray
    node_index: IntArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return len(self.location_ids)


def snap_locations(
    network: Network,
    locations: Sequence[Location],
    *,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> Snaps:
    """Nearest node of every location (one ``osmnx.distance.nearest_nodes`` call).

    Parameters
    ----------
    network
        The road network to snap to.
    locations
        Points in WGS84 degrees.
    max_distance_m
        Largest accepted distance in metres from a location to its node.

    Raises
    ------
    NetworkError
        Naming every location farther than ``max_distance_m`` and its distance.
    """
    import osmnx as ox

    if not max_distance_m > 0:
        raise NetworkError(f"max_distance_m = {max_distance_m!r}: must be > 0 metres")
    ids = tuple(loc.id for loc in locations)
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return Snaps(ids, empty, empty.copy(), np.zeros(0, dtype=np.float64))
    lon = np.array([loc.lon for loc in locations], dtype=np.float64)
    lat = np.array([loc.lat for loc in locations], dtype=np.float64)
    nearest, dist = ox.distance.nearest_nodes(network.graph, lon, lat, return_dist=True)
    node_ids = np.asarray(nearest, dtype=np.int64)
    distance = np.asarray(dist, dtype=np.float64)
    far = np.flatnonzero(distance > max_distance_m)
    if len(far):
        listed = ", ".join(f"{ids[i]!r} is {distance[i]:,.0f} m away" for i in far[:5])
        more = f" (and {len(far) - 5} more)" if len(far) > 5 else ""
        raise NetworkError(
            f"{len(far)} location(s) too far from any drivable road of {network.source} "
            f"(limit {max_distance_m:,.0f} m): {listed}{more}. Check their coordinates, use "
            "a network that covers them, or raise the snap limit (max_snap_m, --max-snap)"
        )
    return Snaps(ids, node_ids, network.index_of(node_ids), distance)
