"""Hand-built road graphs for the network tests: small enough to check by hand."""

from __future__ import annotations

import networkx as nx

from scheduler.domain import Location

# Four corners of a ~55 m x 110 m block in central Helsinki (lon, lat).
CORNERS = {1: (24.940, 60.170), 2: (24.941, 60.170), 3: (24.941, 60.171), 4: (24.940, 60.171)}


def block_graph(*, one_way_seconds: float = 10.0) -> nx.MultiDiGraph:
    """A block with one one-way street 1 -> 2 (``one_way_seconds``); the other three
    streets are two-way at 20 s each, so 2 -> 1 must go round: 2 -> 3 -> 4 -> 1 = 60 s."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in CORNERS.items():
        graph.add_node(node, x=x, y=y)
    graph.add_edge(1, 2, travel_time=one_way_seconds, length=55.0, highway="residential")
    for a, b in ((2, 3), (3, 4), (4, 1)):
        graph.add_edge(a, b, travel_time=20.0, length=110.0, highway="residential")
        graph.add_edge(b, a, travel_time=20.0, length=110.0, highway="residential")
    return graph


def corner(node: int, name: str | None = None) -> Location:
    x, y = CORNERS[node]
    return Location(name or f"corner-{node}", y, x)
