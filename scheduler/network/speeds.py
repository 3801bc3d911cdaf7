"""Edge speeds and travel times: OSM ``maxspeed`` where tagged, per-highway defaults elsewhere.

Uses osmnx's ``add_edge_speeds`` / ``add_edge_travel_times``: an edge with a usable
``maxspeed`` tag keeps it (``mph`` converted); an edge without one gets the default of its
``highway`` type; a type with no default gets ``fallback_kph``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    ox.add_edge_speeds(graph, hwy_speeds=speed_table(speeds_kph), fallback=fallback_kph)
    ox.add_edge_travel_times(graph)
    return graph
