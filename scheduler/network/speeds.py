"""Edge speeds and travel times: OSM ``maxspeed`` where tagged, per-highway defaults elsewhere.

Uses osmnx's ``add_edge_speeds`` / ``add_edge_travel_times``: an edge with a usable
``maxspeed`` tag keeps it (``mph`` converted); an edge without one gets the default of its
``highway`` type; a type with no default gets ``fallback_kph``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import networkx as nx

from scheduler.errors import NetworkError

DEFAULT_SPEEDS_KPH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 100.0,
        "motorway_link": 60.0,
        "trunk": 80.0,
        "trunk_link": 50.0,
        "primary": 50.0,
        "primary_link": 40.0,
        "secondary": 50.0,
        "secondary_link": 40.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 30.0,
        "road": 30.0,
        "living_street": 10.0,
        "service": 20.0,
    }
)
"""Free-flow speeds in km/h used where an edge has no usable ``maxspeed`` tag (urban Europe)."""

DEFAULT_FALLBACK_KPH = 30.0
"""Speed in km/h of a ``highway`` type that has neither a tag nor a default."""


def speed_table(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The per-highway defaults with ``overrides`` (km/h per ``highway`` value) applied.

    Raises
    ------
    NetworkError
        When an override is not a positive, finite speed.
    """
    table = dict(DEFAULT_SPEEDS_KPH)
    for highway, kph in (overrides or {}).items():
        if not (isinstance(kph, int | float) and math.isfinite(kph) and kph > 0):
            raise NetworkError(
                f"speeds_kph[{highway!r}] = {kph!r}: must be a positive speed in km/h"
            )
        table[highway] = float(kph)
    return table


SPEEDS_ATTR = "fieldroute_speeds"
"""Graph attribute holding :func:`speed_settings` of the travel times on its edges."""

HIGHWAY_NAME = re.compile(r"[a-z][a-z0-9_]*")


def parse_speed_overrides(items: Iterable[str]) -> dict[str, float]:
    """``["motorway=100", "residential=25"]`` (as ``--speed`` takes them) -> km/h per
    ``highway`` type.

    Raises
    ------
    NetworkError
        For an item that is not ``HIGHWAY=KPH`` with a positive speed, or a type given twice.
    """
    out: dict[str, float] = {}
    for item in items:
        highway, sep, value = item.partition("=")
        highway = highway.strip()
        try:
            kph = float(value)
        except ValueError:
            kph = math.nan
        if not (sep and HIGHWAY_NAME.fullmatch(highway) and math.isfinite(kph) and kph > 0):
            raise NetworkError(
                f"speed {item!r}: expected HIGHWAY=KPH with an OSM highway type and a "
                "positive speed in km/h, e.g. residential=25 or motorway=110"
            )
        if highway in out:
            raise NetworkError(f"speed for {highway!r} given twice: {out[highway]:g} and {kph:g}")
        out[highway] = kph
    return out


def speed_settings(
    speeds_kph: Mapping[str, float] | None = None, fallback_kph: float = DEFAULT_FALLBACK_KPH
) -> str:
    """The speeds travel times were computed with, as canonical JSON (kept in saved
    GraphML so a cached graph is reused only with the same speeds)."""
    table = speed_table(speeds_kph)
    return json.dumps({"speeds_kph": table, "fallback_kph": fallback_kph}, sort_keys=True)


def _highways(graph: nx.MultiDiGraph) -> set[str]:
    """Every ``highway`` value on the graph's edges (simplified edges may carry a list)."""
    found: set[str] = set()
    for *_, value in graph.edges(data="highway"):
        if isinstance(value, list):
            found.update(str(v) for v in value)
        elif value is not None:
            found.add(str(value))
    return found


def add_travel_times(
    graph: nx.MultiDiGraph,
    *,
    speeds_kph: Mapping[str, float] | None = None,
    fallback_kph: float = DEFAULT_FALLBACK_KPH,
) -> nx.MultiDiGraph:
    """Set ``speed_kph`` (km/h) and ``travel_time`` (seconds, float) on every edge.

    Parameters
    ----------
    graph
        An osmnx-style graph whose edges carry ``highway`` and ``length`` (metres).
    speeds_kph
        Per-``highway`` speeds in km/h replacing entries of :data:`DEFAULT_SPEEDS_KPH`.
    fallback_kph
        Speed in km/h for highway types with neither a ``maxspeed`` tag nor a default.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, changed in place.
    """
    import osmnx as ox

    if not (math.isfinite(fallback_kph) and fallback_kph > 0):
        raise NetworkError(f"fallback_kph = {fallback_kph!r}: must be a positive speed in km/h")
    if graph.number_of_edges() == 0:
        raise NetworkError("the road network has no drivable edges: use a larger extract or area")
    table = speed_table(speeds_kph)
    unknown = sorted(set(speeds_kph or {}) - set(DEFAULT_SPEEDS_KPH) - _highways(graph))
    if unknown:  # most likely a typo: it would silently change nothing
        raise NetworkError(
            f"speed for highway type(s) {', '.join(map(repr, unknown))}: no road of that "
            f"type in this network and not a default type; known types: "
            f"{', '.join(DEFAULT_SPEEDS_KPH)}"
        )
    ox.add_edge_speeds(graph, hwy_speeds=table, fallback=fallback_kph)
    ox.add_edge_travel_times(graph)
    graph.graph[SPEEDS_ATTR] = speed_settings(speeds_kph, fallback_kph)
    return graph
