"""Snap locations to their nearest road-network node in one vectorised search.

The search is the one ``osmnx.distance.nearest_nodes`` runs on an unprojected graph (a
haversine ball tree over the nodes, distances times osmnx's Earth radius), but the tree is
built once per network and kept: ``nearest_nodes`` rebuilds a GeoDataFrame of all nodes
and the tree on every call, which measured 0.3 s per call on the 13,752-node Liechtenstein
graph, most of the 0.5 s budget for adding locations to a cached matrix.
"""

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

    def summary(self) -> str:
        """One line for the user: how many locations, mean and largest snap distance, and
        which location is farthest from its road node."""
        if not len(self):
            return "no locations to snap"
        far = int(np.argmax(self.distance_m))
        return (
            f"{len(self)} location(s) snapped to the road network: mean "
            f"{float(np.mean(self.distance_m)):,.0f} m, max {float(self.distance_m[far]):,.0f} m "
            f"({self.location_ids[far]!r})"
        )


def snap_locations(
    network: Network,
    locations: Sequence[Location],
    *,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> Snaps:
    """Nearest node of every location, in one vectorised ball-tree query (see the module).

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
    from osmnx.distance import EARTH_RADIUS_M

    if not max_distance_m > 0:
        raise NetworkError(f"max_distance_m = {max_distance_m!r}: must be > 0 metres")
    ids = tuple(loc.id for loc in locations)
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return Snaps(ids, empty, empty.copy(), np.zeros(0, dtype=np.float64))
    points = np.radians([(loc.lat, loc.lon) for loc in locations])
    radians, rows = network.node_tree.query(points, k=1)
    node_index = np.asarray(rows[:, 0], dtype=np.int64)
    distance = np.asarray(radians[:, 0], dtype=np.float64) * EARTH_RADIUS_M
    far = np.flatnonzero(distance > max_distance_m)
    if len(far):
        listed = ", ".join(f"{ids[i]!r} is {distance[i]:,.0f} m away" for i in far[:5])
        more = f" (and {len(far) - 5} more)" if len(far) > 5 else ""
        raise NetworkError(
            f"{len(far)} location(s) too far from any drivable road of {network.source} "
            f"(limit {max_distance_m:,.0f} m): {listed}{more}. Check their coordinates, use "
            "a network that covers them, or raise the snap limit (max_snap_m, --max-snap)"
        )
    return Snaps(ids, network.node_ids[node_index], node_index, distance)
