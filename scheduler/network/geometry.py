"""The road path of a leg as a LineString (WGS84 lon/lat) along the fastest route."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from scheduler.errors import NetworkError
from scheduler.network.graph import IntArray, Network

NO_PREDECESSOR = -9999  # scipy.sparse.csgraph's marker


def _edge_coords(network: Network, u: int, v: int) -> list[tuple[float, float]]:
    """Coordinates of the fastest edge ``u -> v`` (OSM ids), from ``u`` to ``v``."""
    edges = network.graph.get_edge_data(u, v)
    data = min(edges.values(), key=lambda d: d.get("travel_time", float("inf")))
    geometry = data.get("geometry")
    if geometry is None:
        a, b = network.graph.nodes[u], network.graph.nodes[v]
        return [(a["x"], a["y"]), (b["x"], b["y"])]
    coords = [(float(x), float(y)) for x, y, *_ in geometry.coords]
    start = network.graph.nodes[u]
    first, last = coords[0], coords[-1]
    d_first = (first[0] - start["x"]) ** 2 + (first[1] - start["y"]) ** 2
    d_last = (last[0] - start["x"]) ** 2 + (last[1] - start["y"]) ** 2
    return coords if d_first <= d_last else coords[::-1]


def _path(predecessors: IntArray, source: int, target: int) -> list[int]:
    """Node positions from ``source`` to ``target`` read back from a predecessor row."""
    path = [target]
    while path[-1] != source:
        previous = int(predecessors[path[-1]])
        if previous == NO_PREDECESSOR:
            raise NetworkError("no road route between the two nodes of a leg")
        path.append(previous)
    return path[::-1]


def leg_geometries(network: Network, legs: Iterable[tuple[int, int]]) -> list[LineString]:
    """Road path of each leg ``(from_node, to_node)`` (node positions in ``network``).

    One Dijkstra with predecessors per distinct start node. A leg between locations on the
    same node is a two-point LineString at that node. Coordinates are (lon, lat) degrees;
    each LineString starts at its from-node and ends at its to-node.
    """
    pairs = [(int(a), int(b)) for a, b in legs]
    if not pairs:
        return []
    starts = np.unique([a for a, _ in pairs])
    _, predecessors = dijkstra(
        network.adjacency, directed=True, indices=starts, return_predecessors=True
    )
    row = {int(s): i for i, s in enumerate(starts)}
    ids = network.node_ids
    edges: dict[tuple[int, int], list[tuple[float, float]]] = {}  # a day's legs share streets
    out = []
    for a, b in pairs:
        nodes = _path(predecessors[row[a]], a, b)
        if len(nodes) == 1:
            point = (float(network.lon[a]), float(network.lat[a]))
            out.append(LineString([point, point]))
            continue
        coords: list[tuple[float, float]] = []
        for u, v in itertools.pairwise(nodes):
            key = (int(ids[u]), int(ids[v]))
            piece = edges.get(key) or edges.setdefault(key, _edge_coords(network, *key))
            coords.extend(piece if not coords else piece[1:])
        # Pin the ends to the nodes' own coordinates (edge geometries may differ by ~1e-7).
        coords[0] = (float(network.lon[a]), float(network.lat[a]))
        coords[-1] = (float(network.lon[b]), float(network.lat[b]))
        out.append(LineString(coords))
    return out


def leg_geometry(network: Network, from_node: int, to_node: int) -> LineString:
    """Road path from node position ``from_node`` to ``to_node`` (see :func:`leg_geometries`)."""
    return leg_geometries(network, [(from_node, to_node)])[0]


def road_polylines(graph: Any) -> list[list[tuple[float, float]]]:
    """Every road of an osmnx ``graph`` once (one direction of a two-way street), as its
    points ``(lon, lat)`` along the edge's geometry (or the straight edge without one): a
    map's base layer drawn from the network itself, with no tiles."""
    seen: set[tuple[int, int]] = set()
    out: list[list[tuple[float, float]]] = []
    nodes = graph.nodes
    for u, v, data in graph.edges(data=True):
        key = (min(u, v), max(u, v))
        if key in seen:
            continue
        seen.add(key)
        geometry = data.get("geometry")
        if geometry is not None:
            out.append([(float(x), float(y)) for x, y, *_ in geometry.coords])
        else:
            out.append(
                [
                    (float(nodes[u]["x"]), float(nodes[u]["y"])),
                    (float(nodes[v]["x"]), float(nodes[v]["y"])),
                ]
            )
    return out
