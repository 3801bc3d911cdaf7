"""Road networks from OpenStreetMap (osmnx): load, snap, travel-time matrices, geometry.

Typical use::

    from scheduler.network import MatrixCache, RoadNetwork, load_network

    network = load_network("bundled")            # or a .osm.pbf / .osm / .graphml path
    provider = RoadNetwork(network, cache=MatrixCache(default_cache_dir()))
    matrix, source = travel_time_matrix_for(problem, provider)

Everything derived from these networks must say "© OpenStreetMap contributors"
(:data:`OSM_ATTRIBUTION`).
"""

from scheduler.errors import NetworkError
from scheduler.network.cache import MatrixCache, default_cache_dir
from scheduler.network.geojson import plan_to_geojson
from scheduler.network.geometry import leg_geometries, leg_geometry
from scheduler.network.graph import OSM_ATTRIBUTION, Network, network_from_graph
from scheduler.network.loader import load_network, save_network
from scheduler.network.matrix import node_seconds, travel_time_matrix
from scheduler.network.provider import RoadNetwork
from scheduler.network.shared import shared_network
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M, Snaps, snap_locations
from scheduler.network.sources import bundled_pbf, packaged_pbf, parse_source
from scheduler.network.speeds import DEFAULT_FALLBACK_KPH, DEFAULT_SPEEDS_KPH

__all__ = [
    "DEFAULT_FALLBACK_KPH",
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SPEEDS_KPH",
    "OSM_ATTRIBUTION",
    "MatrixCache",
    "Network",
    "NetworkError",
    "RoadNetwork",
    "Snaps",
    "bundled_pbf",
    "default_cache_dir",
    "leg_geometries",
    "leg_geometry",
    "load_network",
    "network_from_graph",
    "node_seconds",
    "packaged_pbf",
    "parse_source",
    "plan_to_geojson",
    "save_network",
    "shared_network",
    "snap_locations",
    "travel_time_matrix",
]
