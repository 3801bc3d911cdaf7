"""Contracting pass-through chains keeps every fastest time while searching far fewer nodes,
and whole seconds do not depend on the order float seconds were added in."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from scheduler.domain import Location
from scheduler.network import Network, load_network, network_from_graph, travel_time_matrix
from scheduler.network.contraction import build_chains
from scheduler.network.matrix import node_seconds, whole_seconds


@pytest.fixture(scope="module")
def every_node() -> Network:
    """Central Helsinki with every OSM node: mostly nodes that only bend a street."""
    return load_network("bundled", simplify=False)


def street(points: list[tuple[int, float]], *, one_way: bool = False) -> nx.MultiDiGraph:
    """Nodes 1..n along a street at (lon, 60.17); ``points`` = (node, seconds to the next)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for k, (node, _) in enumerate(points):
        graph.add_node(node, x=24.94 + 0.001 * k, y=60.17)
    for (a, seconds), (b, _) in itertools.pairwise(points):
        graph.add_edge(a, b, travel_time=seconds, length=50.0, highway="residential")
        if not one_way:
            graph.add_edge(b, a, travel_time=seconds + 1, length=50.0, highway="residential")
    return graph


def test_contracted_search_equals_the_full_graph_search(every_node: Network) -> None:
    """Times between junctions and pass-through nodes alike equal a search of all nodes."""
    chains = every_node.chains
    assert chains.junction_count < every_node.node_count / 4
    rng = np.random.default_rng(4)
    nodes = np.unique(rng.integers(0, every_node.node_count, size=120))
    assert (~chains.junction[nodes]).sum() > 50  # most of them are inside chains
    full = dijkstra(every_node.adjacency_us, directed=True, indices=nodes)[:, nodes] / 1e6
    contracted = node_seconds(every_node, nodes, nodes)
    assert (contracted == full).all()  # exactly: whole microseconds add without error
    backwards = node_seconds(every_node, nodes[:10], nodes, reverse=True)
    assert (backwards == full[:, :10].T).all()


def test_only_the_junctions_and_the_asked_nodes_are_searched(every_node: Network) -> None:
    chains = every_node.chains
    inside = np.flatnonzero(~chains.junction)[:7]
    graph, position = chains.contracted(inside)
    assert graph.shape == (chains.junction_count + 7,) * 2
    assert (position[inside] >= 0).all()
    assert (position >= 0).sum() == chains.junction_count + 7


def test_a_street_is_one_chain_each_way_split_where_a_location_is() -> None:
    """1-2-3-4-5 two-way: 1 and 5 are dead ends (junctions), 2-4 pass through; backwards
    each block takes a second longer. A location on node 3 splits both chains there.
    (Chains are in the microseconds of ``adjacency_us``.)"""
    network = network_from_graph(
        street([(1, 10.0), (2, 20.0), (3, 30.0), (4, 40.0), (5, 0.0)]), source="street"
    )
    chains = network.chains
    assert chains.junction.tolist() == [True, False, False, False, True]
    assert sorted(
        zip(chains.start.tolist(), chains.end.tolist(), chains.total.tolist(), strict=True)
    ) == [
        (0, 4, 100e6),
        (4, 0, 104e6),
    ]
    graph, position = chains.contracted(np.array([2]))
    three = position[2]
    assert graph[position[0], three] == 30e6 and graph[three, position[4]] == 70e6
    assert graph[position[4], three] == 72e6 and graph[three, position[0]] == 32e6
    west, middle = Location("west", 60.17, 24.94), Location("middle", 60.17, 24.942)
    east = Location("east", 60.17, 24.944)
    assert travel_time_matrix(network, [west, middle, east]).tolist() == [
        [0, 30, 100],
        [32, 0, 70],
        [104, 72, 0],
    ]


def test_a_ring_with_no_junction_still_gives_every_time() -> None:
    """A one-way ring 1 -> 2 -> 3 -> 1: every node is pass-through; one becomes a junction."""
    graph = street([(1, 5.0), (2, 6.0), (3, 7.0)], one_way=True)
    graph.add_edge(3, 1, travel_time=7.0, length=50.0, highway="residential")
    network = network_from_graph(graph, source="ring")
    assert network.chains.junction_count == 1
    nodes = np.arange(3)
    assert node_seconds(network, nodes, nodes).tolist() == [
        [0.0, 5.0, 11.0],
        [13.0, 0.0, 6.0],
        [7.0, 12.0, 0.0],
    ]


def test_chains_cover_every_edge_once(every_node: Network) -> None:
    """Chain totals add up to the edge times, and a pass-through node lies inside one chain
    per way out of it (one on a one-way street, two on a two-way street)."""
    adjacency = every_node.adjacency_us
    chains = build_chains(adjacency)
    assert chains.total.sum() == pytest.approx(adjacency.data.sum(), rel=1e-12)
    inside = np.bincount(chains.interior, minlength=every_node.node_count)
    out_degree = np.diff(adjacency.indptr)
    assert (inside[chains.junction] == 0).all()
    assert (inside[~chains.junction] == out_degree[~chains.junction]).all()
    assert np.diff(chains.offsets).sum() == len(chains.interior)


def test_times_are_exact_whatever_the_summation_order() -> None:
    """0.1 + 0.2 + 12.2 s is 12.5 s added one way and 12.499999999999998 s the other way in
    floats; in whole microseconds both orders give 12.5 s, which rounds up to 13."""
    assert (0.1 + 0.2) + 12.2 != 0.1 + (0.2 + 12.2)
    for times in ([0.1, 0.2, 12.2], [12.2, 0.2, 0.1]):
        graph = street([(1, times[0]), (2, times[1]), (3, times[2]), (4, 0.0)], one_way=True)
        graph.add_edge(4, 1, travel_time=1.0, length=50.0, highway="residential")
        network = network_from_graph(graph, source="street")
        assert node_seconds(network, np.array([0]), np.array([3])).tolist() == [[12.5]]
    assert whole_seconds(np.array([12.5, 557.499999, 0.0, 13.5])).tolist() == [13, 557, 0, 14]
