"""Places read from the bundled central-Helsinki extract (© OpenStreetMap contributors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.errors import NetworkError
from scheduler.network.places import (
    business_places,
    community_places,
    load_places,
    places_frame,
    residential_buildings,
)

# The bundled extract covers about 60.16-60.18 N, 24.93-24.96 E.
HELSINKI = (24.90, 60.14, 24.99, 60.20)


def _inside(lat: float, lon: float) -> bool:
    west, south, east, north = HELSINKI
    return south <= lat <= north and west <= lon <= east


def test_one_read_gives_the_same_places_as_the_three_functions() -> None:
    places = load_places("bundled")
    assert places.residential == residential_buildings("bundled")
    assert places.community == community_places("bundled")
    assert places.business == business_places("bundled")


def test_homes_are_residential_buildings_weighted_by_levels() -> None:
    homes = residential_buildings("bundled")
    assert len(homes) > 100
    assert all(p.kind == "residential" and _inside(p.lat, p.lon) for p in homes)
    assert [p.id for p in homes] == sorted({p.id for p in homes}), "sorted, one per OSM id"
    apartments = [p for p in homes if p.category == "building=apartments"]
    assert apartments and all(p.weight >= 1 for p in homes)
    assert max(p.weight for p in apartments) > 1, "levels raise the weight"
    assert not any(p.category in ("building=church", "building=office") for p in homes)


def test_community_places_and_businesses_have_names_and_kinds() -> None:
    community = community_places("bundled")
    kinds = {p.kind for p in community}
    assert {"library", "park", "square"} <= kinds
    assert any(p.name == "Kansalliskirjasto" for p in community), "the National Library"
    business = business_places("bundled")
    assert {p.kind for p in business} == {"shop", "office"}
    assert all(p.category.startswith(p.kind + "=") for p in business)


def test_bbox_keeps_only_places_inside_it() -> None:
    box = (24.940, 60.165, 24.950, 60.170)
    every = residential_buildings("bundled")
    inside = residential_buildings("bundled", bbox=box)
    assert 0 < len(inside) < len(every)
    assert all(box[0] <= p.lon <= box[2] and box[1] <= p.lat <= box[3] for p in inside)


def test_frame_has_one_column_per_field() -> None:
    frame = places_frame(community_places("bundled"))
    assert list(frame.columns[:5]) == ["id", "name", "kind", "lat", "lon"]
    assert len(frame) == len(community_places("bundled"))


def test_sources_that_are_not_a_pbf_extract_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match=r"\.osm\.pbf"):
        residential_buildings("place:Kamppi, Helsinki")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises(NetworkError, match="cannot read"):
        community_places(bad)
