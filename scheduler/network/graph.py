"""A loaded road network: the osmnx graph, where it came from, its fingerprint, and the
compressed sparse adjacency that shortest-path searches run on."""

from __future__ import annotations

import hashlib
import typing
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from scheduler.errors import NetworkError

if typing.TYPE_CHECKING:
    from scheduler.network.contraction import Chains

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""Any data derived from OpenStreetMap must carry this notice (ODbL 1.0)."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MICROSECONDS = 1_000_000
"""Adjacency weights are whole microseconds: integer-valued float64 adds exactly (up to
2**53 us, 285 years), so a path's time does not depend on the order it is summed in."""


@dataclass(frozen=True, eq=False)
class Network:
    """A drivable road network ready for snapping and travel-time matrices.

    Build one with :func:`scheduler.network.load_network` or :func:`network_from_graph`;
    do not change ``graph`` afterwards (the fingerprint and adjacency would be stale).

    Attributes
    ----------
    graph
        osmnx ``MultiDiGraph`` in EPSG:4326; every edge has ``speed_kph`` (km/h) and
        ``travel_time`` (seconds).
    source
        Where the graph came from (file path, place name, bbox...), for reports.
    fingerprint
        SHA-256 (hex) of the node ids, coordinates and edge travel times: equal
        fingerprints mean equal travel times. Matrix caches are keyed by it.
    node_ids
        OSM node ids in ascending order; position ``i`` is row/column ``i`` of ``adjacency``.
    lon, lat
        Node coordinates in WGS84 degrees, in ``node_ids`` order.
    adjacency
        ``adjacency[i, j]`` = seconds of the fastest edge from node ``i`` to node ``j``
        (at least 1e-9: csgraph treats an explicit 0 as "no edge").
    attribution
        The notice every output derived from this network must carry.
    """

    graph: nx.MultiDiGraph
    source: str
    fingerprint: str
    node_ids: IntArray
    lon: FloatArray
    lat: FloatArray
    adjacency: sp.csr_array
    attribution: str = field(default=OSM_ATTRIBUTION)

    @property
    def node_count(self) -> int:
        return len(self.node_ids)

    @cached_property
    def chains(self) -> Chains:
        """The adjacency split into chains between junctions, built on first use (the
        matrix searches run on the junctions plus the nodes they need)."""
        from scheduler.network.contraction import build_chains

        return build_chains(self.adjacency_us)

    @cached_property
    def adjacency_us(self) -> sp.csr_array:
        """:attr:`adjacency` in whole microseconds (integer-valued floats, at least 1): the
        weights matrix searches sum, exactly and so in any order (see :data:`MICROSECONDS`)."""
        micros = self.adjacency.copy()
        micros.data = np.maximum(np.rint(micros.data * MICROSECONDS), 1.0)
        return micros

    @cached_property
    def node_tree(self) -> Any:
        """A haversine ``sklearn.neighbors.BallTree`` over the nodes' (lat, lon) in radians,
        rows in :attr:`node_ids` order; built on first use and kept (snapping)."""
        from sklearn.neighbors import BallTree

        return BallTree(np.radians(np.column_stack([self.lat, self.lon])), metric="haversine")

    def index_of(self, node_ids: npt.ArrayLike) -> IntArray:
        """Positions of OSM ``node_ids`` in :attr:`node_ids` (every id must be in the graph)."""
        ids = np.asarray(node_ids, dtype=np.int64)
        pos = np.searchsorted(self.node_ids, ids)
        pos = np.clip(pos, 0, len(self.node_ids) - 1)
        missing = self.node_ids[pos] != ids
        if missing.any():
            raise NetworkError(
                f"node {int(ids[missing][0])} is not in the road network from {self.source}"
            )
        out: IntArray = pos.astype(np.int64)
        return out


def _adjacency(graph: nx.MultiDiGraph, node_ids: IntArray) -> sp.csr_array:
    """Sparse matrix of the fastest parallel edge between each ordered pair of nodes."""
    n = len(node_ids)
    m = graph.number_of_edges()
    u = np.empty(m, dtype=np.int64)
    v = np.empty(m, dtype=np.int64)
    t = np.empty(m, dtype=np.float64)
    for k, (a, b, seconds) in enumerate(graph.edges(data="travel_time")):
        if seconds is None:
            raise NetworkError(
                f"edge {a} -> {b} has no travel_time: load the graph with load_network, "
                "or call scheduler.network.speeds.add_travel_times on it first"
            )
        u[k], v[k], t[k] = a, b, seconds
    ui = np.searchsorted(node_ids, u)
    vi = np.searchsorted(node_ids, v)
    if (t < 0).any() or not np.isfinite(t).all():
        raise NetworkError("edge travel times must be finite and >= 0 seconds")
    return fastest_edges(ui, vi, np.maximum(t, 1e-9), n)


def fastest_edges(u: IntArray, v: IntArray, seconds: FloatArray, n: int) -> sp.csr_array:
    """``n x n`` sparse matrix of the fastest of the edges ``u[k] -> v[k]`` (``seconds[k]``).

    Parallel edges keep their minimum (a sparse constructor would add them up) and
    self-loops are dropped. Weights must be > 0: csgraph treats an explicit 0 as "no edge".
    """
    order = np.lexsort((seconds, v, u))
    u, v, t = u[order], v[order], seconds[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    keep = first & (u != v)
    return sp.csr_array((t[keep], (u[keep], v[keep])), shape=(n, n))


def _fingerprint(node_ids: IntArray, lon: FloatArray, lat: FloatArray, adj: sp.csr_array) -> str:
    h = hashlib.sha256()
    for part in (node_ids, lon, lat, adj.indptr, adj.indices, adj.data):
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def network_from_graph(graph: nx.MultiDiGraph, *, source: str) -> Network:
    """Wrap an osmnx graph whose edges carry ``travel_time`` (seconds) as a :class:`Network`.

    The graph is used as given (no speed imputation, no component cut); its nodes need
    ``x`` (longitude) and ``y`` (latitude) in degrees.
    """
    if graph.number_of_nodes() == 0:
        raise NetworkError(f"the road network from {source} has no nodes")
    node_ids = np.sort(np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes()))
    lon = np.array([graph.nodes[int(n)]["x"] for n in node_ids], dtype=np.float64)
    lat = np.array([graph.nodes[int(n)]["y"] for n in node_ids], dtype=np.float64)
    adj = _adjacency(graph, node_ids)
    return Network(
        graph=graph,
        source=source,
        fingerprint=_fingerprint(node_ids, lon, lat, adj),
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        adjacency=adj,
    )
