"""Many-to-many travel times on a road network: compiled Dijkstra (scipy.sparse.csgraph).

Searches run on the graph contracted to its junctions plus the requested nodes
(:mod:`scheduler.network.contraction`): the same fastest times over far fewer nodes.

Edge times are whole microseconds, summed exactly along the fastest path (in any order),
and rounded to whole seconds (halves up) only in the final location matrix. With a
:class:`~scheduler.network.cache.MatrixCache`, node pairs computed before are read from
disk and only the rows and columns of new nodes are searched (rows on the graph, columns on
the reversed graph).
"""

from __future__ import annotations

import multiprocessing
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from scheduler.domain import Location
from scheduler.errors import NetworkError
from scheduler.network.cache import MatrixCache
from scheduler.network.graph import MICROSECONDS, FloatArray, IntArray, Network
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M, Snaps, snap_locations
from scheduler.travel import Matrix

SOURCES_PER_CHUNK = 256
"""Sources searched per Dijkstra call: bounds memory to chunk x graph nodes x 8 bytes."""

PARALLEL_MIN_WORK = 4_000_000
"""Sources x graph nodes from which ``workers > 1`` splits the search over processes (below
it, starting them costs more than it saves; scipy's Dijkstra holds the GIL, so threads
cannot use a second core)."""


def parallel_ok(workers: int, work: int) -> bool:
    """Whether to fork ``workers`` processes for ``work`` (sources x nodes): only for big
    searches, and only from a process with no other Python threads (forking a threaded
    process may deadlock), where the ``fork`` start method exists."""
    return (
        workers > 1
        and work >= PARALLEL_MIN_WORK
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def whole_seconds(seconds: FloatArray) -> IntArray:
    """Round seconds to int64, halves up. Searches sum whole microseconds exactly, so a
    time that is a half second is exactly one and always rounds the same way."""
    out: IntArray = np.floor(seconds + 0.5).astype(np.int64)
    return out


def _search(graph: sp.csr_array, sources: IntArray, targets: IntArray) -> FloatArray:
    """Seconds from each source to each target (the graph's weights are microseconds)."""
    out = np.empty((len(sources), len(targets)), dtype=np.float64)
    for start in range(0, len(sources), SOURCES_PER_CHUNK):
        chunk = sources[start : start + SOURCES_PER_CHUNK]
        dist = dijkstra(graph, directed=True, indices=chunk)
        out[start : start + len(chunk)] = dist[:, targets]
    out /= MICROSECONDS  # exact microsecond sums; the quotient never crosses a half second
    return out


def node_seconds(
    network: Network,
    sources: IntArray,
    targets: IntArray,
    *,
    reverse: bool = False,
    workers: int = 1,
) -> FloatArray:
    """Fastest seconds from each source node to each target node (``inf`` if unreachable).

    Parameters
    ----------
    network
        The road network.
    sources, targets
        Node positions (indices into ``network.node_ids``).
    reverse
        Search the reversed graph: entry ``[i, j]`` is then the time *from* target ``j``
        *to* source ``i``.
    workers
        Processes to split large searches over (see :func:`parallel_ok`). Default 1: on
        the shared 2-core machine two processes measured slower (docs/benchmarks.md).

    Returns
    -------
    numpy.ndarray
        float64 seconds, shape ``(len(sources), len(targets))``.
    """
    # Search only the junctions and the nodes asked for (exact, see contraction.py).
    graph, position = network.chains.contracted(np.union1d(sources, targets))
    if reverse:
        graph = graph.T.tocsr()
    sources, targets = position[sources], position[targets]
    n = max(1, min(workers, len(sources)))
    if not parallel_ok(n, len(sources) * graph.shape[0]):
        return _search(graph, sources, targets)
    parts = np.array_split(sources, n)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            results = list(pool.map(_search, [graph] * n, parts, [targets] * n))
    return np.vstack(results)


def _positions(universe: IntArray, wanted: IntArray) -> IntArray:
    """Position in ``universe`` (distinct values) of each value of ``wanted`` (all present)."""
    order = np.argsort(universe, kind="stable")
    pos: IntArray = order[np.searchsorted(universe, wanted, sorter=order)]
    return pos


def node_matrix(
    network: Network,
    nodes: IntArray,
    *,
    cache: MatrixCache | None = None,
    workers: int = 1,
) -> FloatArray:
    """Square matrix of fastest seconds between distinct node positions ``nodes``.

    With ``cache``, pairs already on disk for this graph's fingerprint are reused and the
    file is extended with the new nodes' rows and columns.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if cache is None:
        return node_seconds(network, nodes, nodes, workers=workers)
    stored = cache.load(network.fingerprint)
    if stored is None:
        known = np.zeros(0, dtype=np.int64)
        old = np.zeros((0, 0), dtype=np.float64)
    else:
        known, old = network.index_of(stored[0]), stored[1]
    new = nodes[~np.isin(nodes, known)]
    if len(new) == 0:
        pos = _positions(known, nodes)
        return old[np.ix_(pos, pos)]
    if len(known) + len(new) > cache.max_nodes:
        known, old, new = known[:0], old[:0, :0], nodes
    union = np.concatenate([known, new])
    k = len(known)
    seconds = np.empty((len(union), len(union)), dtype=np.float64)
    seconds[:k, :k] = old
    seconds[k:, :] = node_seconds(network, new, union, workers=workers)
    if k:
        seconds[:k, k:] = node_seconds(network, new, known, reverse=True, workers=workers).T
    cache.store(network.fingerprint, network.node_ids[union], seconds)
    pos = _positions(union, nodes)
    return seconds[np.ix_(pos, pos)]


def seconds_between(
    network: Network,
    snaps: Snaps,
    *,
    cache: MatrixCache | None = None,
    workers: int = 1,
) -> FloatArray:
    """Float seconds between snapped locations (``inf`` where no route exists; 0 on the
    diagonal and between locations that snap to the same node)."""
    unique, inverse = np.unique(snaps.node_index, return_inverse=True)
    seconds = node_matrix(network, unique, cache=cache, workers=workers)[np.ix_(inverse, inverse)]
    np.fill_diagonal(seconds, 0.0)
    return seconds


def travel_time_matrix(
    network: Network,
    locations: Sequence[Location],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    cache: MatrixCache | None = None,
    workers: int = 1,
) -> Matrix:
    """Driving seconds between every ordered pair of ``locations`` over ``network``.

    Each location is snapped to its nearest node (:func:`snap_locations`); the time is the
    fastest node-to-node drive, rounded to whole seconds (halves up, :func:`whole_seconds`).

    Parameters
    ----------
    network
        The road network.
    locations
        Points in WGS84 degrees; rows and columns follow their order.
    max_snap_m
        Largest accepted distance in metres from a location to its nearest node.
    cache
        Optional on-disk cache of node-to-node seconds.
    workers
        Processes for large searches (default 1: never fork; see :func:`node_seconds`).

    Returns
    -------
    numpy.ndarray
        int64 seconds, shape ``(len(locations), len(locations))``, zero diagonal.

    Raises
    ------
    NetworkError
        A location is too far from the network, or some location cannot be reached from
        another (naming the first such pair).
    """
    snaps = snap_locations(network, locations, max_distance_m=max_snap_m)
    seconds = seconds_between(network, snaps, cache=cache, workers=workers)
    bad = np.argwhere(~np.isfinite(seconds))
    if len(bad):
        i, j = (int(x) for x in bad[0])
        raise NetworkError(
            f"no road route from location {snaps.location_ids[i]!r} to "
            f"{snaps.location_ids[j]!r} in {network.source} ({len(bad)} unreachable pair(s)): "
            "the network is not strongly connected there; load it with load_network, which "
            "keeps the largest strongly connected component, or use a larger extract"
        )
    out: Matrix = whole_seconds(seconds)
    return out
