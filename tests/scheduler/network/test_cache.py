"""The on-disk matrix cache: keyed by the graph's fingerprint, extended incrementally."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scheduler.network.matrix as matrix_module
from scheduler.network import (
    MatrixCache,
    Network,
    load_network,
    network_from_graph,
    travel_time_matrix,
)
from tests.network_graphs import block_graph, corner
from tests.scheduler.network.test_matrix import random_locations


@pytest.fixture(scope="module")
def helsinki() -> Network:
    return load_network("bundled", simplify=False)


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Number of source nodes of every Dijkstra search the matrix module runs."""
    counts: list[int] = []
    real: Callable[..., Any] = getattr(matrix_module, "dijkstra")  # noqa: B009

    def counting(graph: Any, **kwargs: Any) -> Any:
        counts.append(len(kwargs["indices"]))
        return real(graph, **kwargs)

    monkeypatch.setattr(matrix_module, "dijkstra", counting)
    return counts


def test_cache_is_invalidated_when_the_graph_changes(tmp_path: Path) -> None:
    """A slower one-way street gives a new fingerprint, so the old times are not reused."""
    cache = MatrixCache(tmp_path)
    before = network_from_graph(block_graph(one_way_seconds=10), source="block")
    after = network_from_graph(block_graph(one_way_seconds=45), source="block")
    assert before.fingerprint != after.fingerprint
    locations = [corner(1), corner(2)]
    assert travel_time_matrix(before, locations, cache=cache)[0, 1] == 10
    assert travel_time_matrix(after, locations, cache=cache)[0, 1] == 45
    assert travel_time_matrix(before, locations, cache=cache)[0, 1] == 10
    assert cache.path_for(before.fingerprint).exists()
    assert cache.path_for(after.fingerprint).exists()


def test_same_graph_loaded_twice_has_the_same_fingerprint() -> None:
    assert load_network("bundled").fingerprint == load_network("bundled").fingerprint


def test_cached_matrix_is_read_without_any_search(
    tmp_path: Path, helsinki: Network, searches: list[int]
) -> None:
    cache = MatrixCache(tmp_path)
    locations = random_locations(helsinki, 30, seed=11)
    first = travel_time_matrix(helsinki, locations, cache=cache)
    assert sum(searches) > 0
    searches.clear()
    again = travel_time_matrix(helsinki, locations[::-1], cache=cache)
    assert searches == []
    assert (again == first[::-1, ::-1]).all()


def test_new_locations_compute_only_their_rows_and_columns(
    tmp_path: Path, helsinki: Network, searches: list[int]
) -> None:
    """Adding k locations on new nodes searches k sources forward (their rows) and k on the
    reversed graph (their columns), and the result equals a matrix computed from scratch."""
    cache = MatrixCache(tmp_path)
    locations = random_locations(helsinki, 40, seed=5)
    travel_time_matrix(helsinki, locations[:30], cache=cache)
    old_nodes = set(np.load(cache.path_for(helsinki.fingerprint))["node_ids"].tolist())
    searches.clear()
    grown = travel_time_matrix(helsinki, locations, cache=cache)
    stored = np.load(cache.path_for(helsinki.fingerprint))["node_ids"].tolist()
    new_nodes = len(set(stored) - old_nodes)
    assert new_nodes > 0
    assert sorted(searches) == [new_nodes, new_nodes]
    assert (grown == travel_time_matrix(helsinki, locations)).all()


def test_unreadable_cache_file_is_recomputed(tmp_path: Path) -> None:
    cache = MatrixCache(tmp_path)
    network = network_from_graph(block_graph(), source="block")
    tmp_path.mkdir(exist_ok=True)
    cache.path_for(network.fingerprint).write_bytes(b"not a matrix")
    assert travel_time_matrix(network, [corner(1), corner(2)], cache=cache).tolist() == [
        [0, 10],
        [60, 0],
    ]


def test_cache_restarts_when_it_would_exceed_max_nodes(tmp_path: Path) -> None:
    cache = MatrixCache(tmp_path, max_nodes=2)
    network = network_from_graph(block_graph(), source="block")
    travel_time_matrix(network, [corner(1), corner(2)], cache=cache)
    m = travel_time_matrix(network, [corner(3), corner(4)], cache=cache)
    assert m.tolist() == [[0, 20], [20, 0]]
    assert np.load(cache.path_for(network.fingerprint))["node_ids"].tolist() == [3, 4]
