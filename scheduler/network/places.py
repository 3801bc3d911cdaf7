"""Real places from an OpenStreetMap extract: homes, community places and businesses.

The day generator puts home visits at residential buildings, community events at community
places and service centres at shops and offices; the outreach simulation counts the
residents of the residential buildings within reach of its events. Each function reads an
``.osm.pbf`` with pyrosm (the same source strings :func:`scheduler.network.parse_source`
accepts that name a PBF: ``bundled`` or a path) and returns :class:`Place` records sorted by
OSM id, so the result is the same on every call. Nothing is cached. Building outlines become
their centroid. Data © OpenStreetMap contributors (:data:`scheduler.network.OSM_ATTRIBUTION`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scheduler.errors import NetworkError
from scheduler.network.sources import PbfFile, Source, describe, parse_source

if TYPE_CHECKING:
    import pandas as pd
    from pyrosm import OSM

T = TypeVar("T")

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in WGS84 degrees."""

RESIDENTIAL_BUILDINGS = frozenset(
    {
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "cabin",
        "farm",
        "houseboat",
        "static_caravan",
    }
)
"""``building=*`` values that are homes."""

MULTI_HOME_BUILDINGS = frozenset({"apartments", "residential", "dormitory", "terrace"})
"""Homes with several households: without ``building:levels`` they weigh
:data:`DEFAULT_APARTMENT_LEVELS`."""
DEFAULT_APARTMENT_LEVELS = 4.0
MAX_LEVELS = 40.0

# A plain ``building=yes`` counts as a home only when nothing says it is something else.
_NON_RESIDENTIAL_TAGS = ("amenity", "shop", "office", "tourism", "craft", "leisure", "industrial")
_NON_RESIDENTIAL_LANDUSE = frozenset(
    {"commercial", "industrial", "retail", "military", "railway", "farmyard", "religious"}
)

_HOME_NAMES = {
    "apartments": "apartment building",
    "residential": "residential building",
    "dormitory": "dormitory",
    "terrace": "terraced house",
}


def _home_name(building: str) -> str:
    if building == "yes":
        return "building"
    return _HOME_NAMES.get(building, building.replace("_", " "))


COMMUNITY_AMENITIES = ("community_centre", "library", "townhall", "social_centre", "arts_centre")
COMMUNITY_LEISURE = ("park",)
COMMUNITY_PLACE = ("square",)


@dataclass(frozen=True, slots=True)
class Place:
    """A point from OpenStreetMap.

    Attributes
    ----------
    id
        ``"node/123"``, ``"way/456"`` or ``"relation/789"`` (the OSM object).
    name
        The ``name`` tag, else the street address, else a description of what it is.
    kind
        ``"residential"``; ``"community_centre"``, ``"library"``, ``"townhall"``,
        ``"social_centre"``, ``"arts_centre"``, ``"park"``, ``"square"``; ``"shop"``,
        ``"office"``.
    lat, lon
        WGS84 degrees (a building's centroid).
    weight
        Relative number of households (residential: ``building:levels``, or an estimate),
        1.0 for everything else.
    address
        ``"Street 12, 00100 City"`` from the ``addr:*`` tags, ``""`` when untagged.
    category
        The tag that made it a place, e.g. ``"building=apartments"``, ``"shop=electronics"``.
    """

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    weight: float = 1.0
    address: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class OsmPlaces:
    """Every kind of place of one extract, read in one pass (see :func:`load_places`)."""

    source: str
    residential: tuple[Place, ...]
    community: tuple[Place, ...]
    business: tuple[Place, ...]


def _pbf_path(source: str | Path | Source) -> Path:
    parsed = parse_source(source)
    if not isinstance(parsed, PbfFile):
        raise NetworkError(
            f"places come from an OpenStreetMap .osm.pbf extract; {describe(parsed)!r} is not "
            "one: pass 'bundled' or a .osm.pbf path"
        )
    return parsed.path


def _open(path: Path) -> OSM:
    from pyrosm import OSM

    return OSM(str(path))


def _text(value: Any) -> str:
    """A tag value as text ("" for missing / NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _address(row: Mapping[str, Any]) -> str:
    street = " ".join(
        x for x in (_text(row.get("addr:street")), _text(row.get("addr:housenumber"))) if x
    )
    town = " ".join(x for x in (_text(row.get("addr:postcode")), _text(row.get("addr:city"))) if x)
    return ", ".join(x for x in (street, town) if x)


def _levels(value: Any) -> float | None:
    """``building:levels`` as a number in [1, MAX_LEVELS], None when absent or not a number."""
    text = _text(value).replace(",", ".")
    try:
        levels = float(text.split(";")[0])
    except ValueError:
        return None
    if not math.isfinite(levels) or levels <= 0:
        return None
    return min(max(levels, 1.0), MAX_LEVELS)


def _points(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    """(lat, lon) of each row: the geometry's centroid, in degrees.

    Centroids are taken on plain lon/lat coordinates: over one building the distortion is
    centimetres, and shapely does it without geopandas' geographic-CRS warning.
    """
    import numpy as np
    import shapely

    geoms = np.asarray(frame.geometry.values, dtype=object)
    centres = shapely.centroid(geoms)
    return shapely.get_y(centres).tolist(), shapely.get_x(centres).tolist()


def _inside(lat: float, lon: float, bbox: BBox | None) -> bool:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if bbox is None:
        return True
    west, south, east, north = bbox
    return west <= lon <= east and south <= lat <= north


def _osm_id(row: Mapping[str, Any]) -> str:
    return f"{_text(row.get('osm_type')) or 'node'}/{int(row['id'])}"


def _records(frame: pd.DataFrame | None) -> Iterable[tuple[dict[str, Any], float, float]]:
    if frame is None or len(frame) == 0:
        return []
    lats, lons = _points(frame)
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in frame.drop(columns="geometry").to_dict("records")
    ]
    return zip(rows, lats, lons, strict=True)


def _residential(osm: OSM, bbox: BBox | None) -> tuple[Place, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm/geopandas chatter about dtypes and CRS
        frame = osm.get_buildings()
    out = []
    for row, lat, lon in _records(frame):
        building = _text(row.get("building")).lower()
        if building == "yes":
            # Named plain buildings are landmarks (castles, forts, halls), not homes.
            if _text(row.get("name")) or any(_text(row.get(t)) for t in _NON_RESIDENTIAL_TAGS):
                continue
            if _text(row.get("landuse")).lower() in _NON_RESIDENTIAL_LANDUSE:
                continue
        elif building not in RESIDENTIAL_BUILDINGS:
            continue
        if not _inside(lat, lon, bbox):
            continue
        levels = _levels(row.get("building:levels"))
        if levels is None:
            levels = DEFAULT_APARTMENT_LEVELS if building in MULTI_HOME_BUILDINGS else 1.0
        address = _address(row)
        out.append(
            Place(
                id=_osm_id(row),
                name=_text(row.get("name")) or address or _home_name(building),
                kind="residential",
                lat=lat,
                lon=lon,
                weight=levels,
                address=address,
                category=f"building={building}",
            )
        )
    return _sorted(out)


def _pois(osm: OSM, custom_filter: dict[str, Any]) -> pd.DataFrame | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame: pd.DataFrame | None = osm.get_pois(custom_filter=custom_filter)
    return frame


def _community(osm: OSM, bbox: BBox | None) -> tuple[Place, ...]:
    frame = _pois(
        osm,
        {
            "amenity": list(COMMUNITY_AMENITIES),
            "leisure": list(COMMUNITY_LEISURE),
            "place": list(COMMUNITY_PLACE),
        },
    )
    out = []
    for row, lat, lon in _records(frame):
        tag = next(
            (
                (key, _text(row.get(key)))
                for key, values in (
                    ("amenity", COMMUNITY_AMENITIES),
                    ("leisure", COMMUNITY_LEISURE),
                    ("place", COMMUNITY_PLACE),
                )
                if _text(row.get(key)) in values
            ),
            None,
        )
        if tag is None or not _inside(lat, lon, bbox):
            continue
        kind = tag[1]
        address = _address(row)
        out.append(
            Place(
                id=_osm_id(row),
                name=_text(row.get("name")) or address or kind.replace("_", " "),
                kind=kind,
                lat=lat,
                lon=lon,
                address=address,
                category=f"{tag[0]}={kind}",
            )
        )
    return _sorted(out)


def _business(osm: OSM, bbox: BBox | None) -> tuple[Place, ...]:
    frame = _pois(osm, {"shop": True, "office": True})
    out = []
    for row, lat, lon in _records(frame):
        shop, office = _text(row.get("shop")), _text(row.get("office"))
        if not (shop or office) or not _inside(lat, lon, bbox):
            continue
        kind, value = ("shop", shop) if shop else ("office", office)
        address = _address(row)
        out.append(
            Place(
                id=_osm_id(row),
                name=_text(row.get("name")) or address or f"{value.replace('_', ' ')} {kind}",
                kind=kind,
                lat=lat,
                lon=lon,
                address=address,
                category=f"{kind}={value}",
            )
        )
    return _sorted(out)


def _sorted(places: Sequence[Place]) -> tuple[Place, ...]:
    """By OSM id, one record per id (a relation may repeat its parts' tags)."""
    unique = {p.id: p for p in places}
    return tuple(unique[k] for k in sorted(unique))


def residential_buildings(
    source: str | Path | Source, *, bbox: BBox | None = None
) -> tuple[Place, ...]:
    """Homes: buildings tagged as residential, and plain unnamed ``building=yes`` without a
    shop, office, amenity or commercial land use. ``weight`` estimates households (levels).

    ``bbox`` (west, south, east, north degrees) keeps only centroids inside it.

    Raises
    ------
    NetworkError
        When ``source`` is not a readable ``.osm.pbf`` (or ``bundled``).
    """
    return _extract(source, lambda osm: _residential(osm, bbox))


def community_places(source: str | Path | Source, *, bbox: BBox | None = None) -> tuple[Place, ...]:
    """Community centres, libraries, town halls, social and arts centres, parks, squares."""
    return _extract(source, lambda osm: _community(osm, bbox))


def business_places(source: str | Path | Source, *, bbox: BBox | None = None) -> tuple[Place, ...]:
    """Shops and offices (``shop=*``, ``office=*``): candidate service centres."""
    return _extract(source, lambda osm: _business(osm, bbox))


def load_places(source: str | Path | Source, *, bbox: BBox | None = None) -> OsmPlaces:
    """All three kinds of place from one read of the extract."""
    return _extract(
        source,
        lambda osm: OsmPlaces(
            source=describe(parse_source(source)),
            residential=_residential(osm, bbox),
            community=_community(osm, bbox),
            business=_business(osm, bbox),
        ),
    )


def _extract(source: str | Path | Source, read: Callable[[OSM], T]) -> T:
    path = _pbf_path(source)
    try:
        return read(_open(path))
    except NetworkError:
        raise
    except Exception as exc:  # pyrosm raises several unrelated types for a bad file
        raise NetworkError(
            f"cannot read {str(path)!r} as an OpenStreetMap .osm.pbf extract ({exc})"
        ) from None


def places_frame(places: Iterable[Place]) -> pd.DataFrame:
    """The places as a DataFrame with one column per :class:`Place` field."""
    import pandas as pd

    columns = list(Place.__dataclass_fields__)
    return pd.DataFrame([[getattr(p, c) for c in columns] for p in places], columns=columns)
