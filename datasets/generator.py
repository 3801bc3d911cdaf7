"""Realistic, seeded service days on any road network.

``generate_day(network, size=..., seed=...)`` builds a :class:`~scheduler.domain.Problem`:

* **service centres** at real shops and offices of the OpenStreetMap extract (electronics
  and phone shops first), placed where the homes are (weighted k-means over homes);
* **engineers** shared out among the centres by the homes around each: most certified for
  repairs, a few who sign, some smart-home installers; early, day and late shifts with a
  30-minute lunch break and up to an hour of overtime;
* **home visits** at real residential buildings (more in taller ones), else at road nodes:
  screen / laptop repair (40 min), router or mesh set-up (60), smart-home inspection
  (90-120), phone set-up for an elderly customer (30), smart-screen install (60); 2-hour and
  half-day appointment windows; priorities 1 (urgent) .. 5;
* **community events** at community centres, libraries, town halls, parks and squares (else
  large apartment blocks, else road nodes) needing 2-3 engineers for about 3 hours.

Every point is within the snap limit of a node of the network, so the day plans on it.
The same network, size, seed and date give an equal problem; places come from the
network's own ``.osm.pbf`` unless given. Data © OpenStreetMap contributors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scheduler.domain import (
    Break,
    CrewMember,
    CrewSequence,
    Engineer,
    Location,
    Problem,
    ServiceCenter,
    SolveOptions,
    TimeWindow,
    Visit,
    VisitKind,
)
from scheduler.errors import NetworkError, ProblemError
from scheduler.network.graph import Network
from scheduler.network.places import OsmPlaces, Place, load_places
from scheduler.network.snapping import DEFAULT_MAX_SNAP_M
from scheduler.network.sources import PbfFile, parse_source

H = 3600
M = 60
EARTH_RADIUS_M = 6_371_009.0  # as osmnx, whose nearest-node search the planner uses

REPAIR = "repair_certified"
SIGN = "sign_language"
SMART_HOME = "smart_home"

DEFAULT_DATE = dt.date(2026, 12, 4)
"""First Friday of December 2026: a monthly service day, when the brand runs its events."""


@dataclass(frozen=True, slots=True)
class DaySize:
    """How big a day is: engineers, home visits, community events, service centres.

    ``min_nodes`` is the smallest road network (nodes) it is generated on; ``time_limit_s``
    the search time written into the problem's options.
    """

    engineers: int
    visits: int
    events: int
    service_centers: int
    min_nodes: int
    time_limit_s: float

    def __post_init__(self) -> None:
        if self.service_centers < 1:
            raise ProblemError("day size", "service_centers", self.service_centers, "must be >= 1")
        if self.engineers < self.service_centers:
            raise ProblemError(
                "day size",
                "engineers",
                self.engineers,
                f"must be at least one per service centre ({self.service_centers})",
            )
        for name in ("visits", "events", "min_nodes"):
            if getattr(self, name) < 0:
                raise ProblemError("day size", name, getattr(self, name), "must be >= 0")
        if not self.time_limit_s > 0:
            raise ProblemError("day size", "time_limit_s", self.time_limit_s, "must be > 0")


SIZES: dict[str, DaySize] = {
    "small": DaySize(engineers=5, visits=30, events=1, service_centers=1, min_nodes=30,
                     time_limit_s=10),
    "default": DaySize(engineers=20, visits=150, events=2, service_centers=2, min_nodes=100,
                       time_limit_s=30),
    "city": DaySize(engineers=200, visits=2000, events=10, service_centers=8, min_nodes=1000,
                    time_limit_s=120),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class JobType:
    """A kind of home visit: ``minutes`` of service (one is drawn), skills, how common."""

    name: str
    minutes: tuple[int, ...]
    skills: frozenset[str]
    share: float
    devices: tuple[str, ...]


JOB_TYPES: tuple[JobType, ...] = (
    JobType("screen repair", (40,), frozenset({REPAIR}), 0.18,
            ("phone", "tablet", "smart TV")),
    JobType("laptop repair", (40,), frozenset({REPAIR}), 0.17, ("laptop",)),
    JobType("router / mesh set-up", (60,), frozenset(), 0.22, ("router", "mesh Wi-Fi")),
    JobType("smart-home inspection", (90, 105, 120), frozenset({SMART_HOME}), 0.13,
            ("smart-home hub", "whole-home system")),
    JobType("smart-screen install", (60,), frozenset({SMART_HOME}), 0.05, ("smart screen",)),
    JobType("phone set-up for elderly customer", (30,), frozenset(), 0.25, ("phone",)),
)  # fmt: skip

# (minutes, window for the start). Each slot leaves every shift in SHIFTS room for its
# lunch before or after the event, so an event is never unstaffable by construction:
# morning events end by 12:30, afternoon ones start after 13:30.
EVENT_SLOTS: tuple[tuple[int, tuple[int, int]], ...] = (
    (150, (9 * H + 30 * M, 9 * H + 30 * M)),
    (180, (9 * H + 30 * M, 9 * H + 30 * M)),
    (150, (13 * H + 30 * M, 14 * H)),
    (180, (13 * H + 30 * M, 14 * H)),
    (180, (13 * H + 30 * M, 13 * H + 30 * M)),
)

EVENT_TITLES = (
    "Digital skills drop-in for seniors",
    "Phone check-up day: earpieces cleaned, screen protectors fitted",
    "New products demo and device health check",
    "Smart-home advice desk",
    "Service day: free device check",
)
INDOOR_COMMUNITY = ("community_centre", "library", "townhall", "social_centre", "arts_centre")
SERVICE_SHOPS = frozenset(
    {"shop=electronics", "shop=mobile_phone", "shop=computer", "shop=hifi", "shop=appliance"}
)


@dataclass(frozen=True, slots=True)
class _Shift:
    start: int
    end: int
    lunch_from: int
    lunch_to: int
    share: float


SHIFTS = (
    _Shift(8 * H, 16 * H, 11 * H, 13 * H + 30 * M, 0.6),
    _Shift(7 * H + 30 * M, 15 * H + 30 * M, 10 * H + 30 * M, 13 * H, 0.2),
    _Shift(10 * H, 18 * H, 12 * H + 30 * M, 15 * H, 0.2),
)
LUNCH = 30 * M
OVERTIME_MAX = 1 * H

# Appointment windows for the start of service: (start, end, weight).
TWO_HOUR_WINDOWS = ((8, 10, 3), (10, 12, 3), (12, 14, 3), (14, 16, 2), (16, 18, 1))
HALF_DAY_WINDOWS = ((8, 12, 1), (12, 16, 1))
TWO_HOUR_SHARE = 0.7
SOFT_WINDOW_SHARE = 0.1
SIGN_SHARE = 0.04
PREFERRED_SHARE = 0.05
PRIORITIES = ((1, 0.05), (2, 0.15), (3, 0.5), (4, 0.2), (5, 0.1))

FloatArray = npt.NDArray[np.float64]


# ------------------------------------------------------------------------------ geometry


def _unit_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


class _Nodes:
    """Nearest-node distances (great-circle metres) to a network's nodes."""

    def __init__(self, network: Network) -> None:
        from scipy.spatial import cKDTree

        self.network = network
        self._tree = cKDTree(_unit_xyz(network.lat, network.lon))

    def distance_m(self, lat: Sequence[float], lon: Sequence[float]) -> FloatArray:
        if not len(lat):
            return np.zeros(0)
        chord, _ = self._tree.query(_unit_xyz(np.asarray(lat), np.asarray(lon)))
        out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2, 0.0, 1.0))
        return out

    def street_near(self, lat: float, lon: float) -> str:
        """Name of a street at the nearest node ("" when its roads are unnamed)."""
        _, i = self._tree.query(_unit_xyz(np.array([lat]), np.array([lon]))[0])
        node = int(self.network.node_ids[int(i)])
        graph = self.network.graph
        for _, _, name in (*graph.out_edges(node, data="name"), *graph.in_edges(node, data="name")):
            if isinstance(name, list) and name:
                name = name[0]
            if isinstance(name, str) and name and name.lower() != "nan":
                return name
        return ""


def _local_xy(lat: FloatArray, lon: FloatArray, lat0: float) -> FloatArray:
    """Metres on a plane tangent near ``lat0`` (good to a fraction of a percent in a city)."""
    k = math.pi / 180 * EARTH_RADIUS_M
    return np.column_stack((lon * k * math.cos(math.radians(lat0)), lat * k))


# --------------------------------------------------------------------------- local colour

_NAMES = {
    "nordic": (
        "Aino Eero Helmi Juha Kaisa Lauri Mikko Noora Olli Riikka Sanna Timo Veera Ville Emma "
        "Antti Laura Pekka Satu Jussi",
        "Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen "
        "Järvinen Lehtonen Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen "
        "Salonen Turunen",
    ),
    "alpine": (
        "Anna Lukas Sophie Elias Lena Jonas Mia Noah Laura David Sarah Simon Julia Fabian "
        "Nina Marco Lea Stefan Petra Thomas",
        "Büchel Frick Kaiser Marxer Meier Ospelt Beck Wohlwend Schädler Hasler Vogt Negele "
        "Kieber Risch Gassner Matt Ritter Banzer Biedermann Oehri",
    ),
    "english": (
        "James Mary Robert Linda Michael Keisha David Maria Daniel Jennifer Andre Aisha Kevin "
        "Lisa Marcus Angela Brian Tanya Chris Nicole",
        "Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Wilson Anderson Thomas "
        "Jackson White Harris Martin Thompson Robinson Lewis Walker Young",
    ),
}

# (south, west, north, east, timezone, names) of the regions this project ships or tests on.
_REGIONS = (
    (59.5, 19.0, 70.5, 31.6, "Europe/Helsinki", "nordic"),
    (47.04, 9.47, 47.28, 9.64, "Europe/Vaduz", "alpine"),
    (45.8, 5.9, 47.9, 10.5, "Europe/Zurich", "alpine"),
    (24.0, -85.0, 48.0, -66.0, "America/New_York", "english"),
)


def region_of(lat: float, lon: float) -> tuple[str | None, str]:
    """(IANA timezone or None, name style) for a point; known regions only, else
    (None, "english"): times are then local wall-clock times without a zone."""
    for south, west, north, east, zone, names in _REGIONS:
        if south <= lat <= north and west <= lon <= east:
            return zone, names
    return None, "english"


class _People:
    """Deterministic plausible full names for one region."""

    def __init__(self, style: str, rng: random.Random) -> None:
        first, last = _NAMES[style]
        self._first, self._last = first.split(), last.split()
        self._rng = rng

    def name(self) -> str:
        return f"{self._rng.choice(self._first)} {self._rng.choice(self._last)}"


# --------------------------------------------------------------------------- the generator


def _choose_weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _default_places(network: Network) -> OsmPlaces | None:
    """Places from the network's own extract when it came from an ``.osm.pbf``."""
    source = network.source
    if " (saved from " in source:  # a GraphML file saved by save_network
        source = source.split(" (saved from ", 1)[1].rstrip(")")
    try:
        parsed = parse_source(source)
    except NetworkError:
        return None
    if not isinstance(parsed, PbfFile):
        return None
    return load_places(parsed)


class _Generator:
    def __init__(
        self,
        network: Network,
        size: DaySize,
        seed: int,
        places: OsmPlaces | None,
        max_snap_m: float,
    ) -> None:
        self.network = network
        self.size = size
        self.rng = random.Random(seed)
        self.nodes = _Nodes(network)
        self.limit_m = max_snap_m - 1.0  # a metre of margin for rounding the coordinates
        lat0 = float(np.mean(network.lat))
        lon0 = float(np.mean(network.lon))
        self.lat0 = lat0
        self.timezone, style = region_of(lat0, lon0)
        self.people = _People(style, self.rng)
        self.homes = self._reachable(places.residential if places else ())
        self.community = self._reachable(places.community if places else ())
        self.business = self._reachable(places.business if places else ())
        self.locations: list[Location] = []

    def _reachable(self, places: Sequence[Place]) -> list[Place]:
        """The places within the snap limit of a network node."""
        d = self.nodes.distance_m([p.lat for p in places], [p.lon for p in places])
        return [p for p, m in zip(places, d, strict=True) if m <= self.limit_m]

    def _road_node(self, index: int, name: str) -> Place:
        net = self.network
        return Place(
            id=f"node/{int(net.node_ids[index])}",
            name=name,
            kind="road_node",
            lat=float(net.lat[index]),
            lon=float(net.lon[index]),
        )

    def _near(self, place: Place) -> str:
        """An address for an untagged place: the nearest street, else the coordinates."""
        street = self.nodes.street_near(place.lat, place.lon)
        return f"near {street}" if street else f"{place.lat:.5f}, {place.lon:.5f}"

    def _location(self, location_id: str, place: Place) -> str:
        self.locations.append(Location(location_id, round(place.lat, 6), round(place.lon, 6)))
        return location_id

    # ----------------------------------------------------------------- service centres

    def _home_points(self) -> tuple[FloatArray, FloatArray]:
        """Demand points (metres) and weights: the homes, else every road node."""
        if self.homes:
            lat = np.array([p.lat for p in self.homes])
            lon = np.array([p.lon for p in self.homes])
            w = np.array([p.weight for p in self.homes])
        else:
            lat, lon = self.network.lat, self.network.lon
            w = np.ones(len(lat))
        return _local_xy(lat, lon, self.lat0), w

    def _kmeans(self, xy: FloatArray, w: FloatArray, k: int) -> FloatArray:
        """Weighted k-means (k-means++ start from the seeded generator, 25 rounds)."""
        first = _choose_weighted(self.rng, range(len(xy)), w.tolist())
        centres = [xy[first]]
        for _ in range(1, k):
            d2 = np.min([((xy - c) ** 2).sum(axis=1) for c in centres], axis=0) * w
            if d2.sum() <= 0:
                centres.append(xy[self.rng.randrange(len(xy))])
                continue
            centres.append(xy[_choose_weighted(self.rng, range(len(xy)), d2.tolist())])
        c = np.array(centres)
        for _ in range(25):
            label = np.argmin(((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
            for j in range(k):
                mine = label == j
                if mine.any():
                    c[j] = (xy[mine] * w[mine, None]).sum(axis=0) / w[mine].sum()
        return c

    def service_centers(self) -> tuple[list[ServiceCenter], list[float]]:
        """Centres where the homes are, at the nearest service-like shop, else any shop or
        office, else a road node; and the share of homes nearest each (for staffing)."""
        k = self.size.service_centers
        xy, w = self._home_points()
        targets = self._kmeans(xy, w, k)
        business = sorted(self.business, key=lambda p: (p.category not in SERVICE_SHOPS, p.id))
        b_xy = _local_xy(
            np.array([p.lat for p in business]), np.array([p.lon for p in business]), self.lat0
        )
        node_xy = _local_xy(self.network.lat, self.network.lon, self.lat0)
        used: set[str] = set()
        centres, chosen_xy = [], []
        for j, target in enumerate(targets, start=1):
            place = None
            if business:
                d = np.sqrt(((b_xy - target) ** 2).sum(axis=1))
                # A service-like shop up to 1.5 km farther than the nearest business wins.
                near = float(d.min()) + 1500.0
                for i in np.argsort(d, kind="stable"):
                    p = business[int(i)]
                    if p.id in used or d[i] > near:
                        continue
                    if place is None or (
                        p.category in SERVICE_SHOPS and place.category not in SERVICE_SHOPS
                    ):
                        place = p
                if place is None:
                    place = next((p for p in business if p.id not in used), None)
            if place is None:
                node = int(np.argmin(((node_xy - target) ** 2).sum(axis=1)))
                place = self._road_node(node, f"Service centre {j}")
            used.add(place.id)
            chosen_xy.append(_local_xy(np.array([place.lat]), np.array([place.lon]), self.lat0)[0])
            location = self._location(f"centre-{j}", place)
            name = (
                f"{place.name} service centre"
                if place.category in SERVICE_SHOPS
                else f"Service centre at {place.name}"
            )
            centres.append(ServiceCenter(f"sc-{j}", name, location))
        label = np.argmin(
            ((xy[:, None, :] - np.array(chosen_xy)[None, :, :]) ** 2).sum(axis=2), axis=1
        )
        share = [float(w[label == j].sum() / w.sum()) for j in range(len(centres))]
        return centres, share

    # ---------------------------------------------------------------------- engineers

    def _staffing(self, shares: Sequence[float]) -> list[int]:
        """Engineers per centre, proportional to its homes, at least one each."""
        n, k = self.size.engineers, len(shares)
        counts = [1] * k
        rest = n - k
        quotas = [s * rest for s in shares]
        for j, q in enumerate(quotas):
            counts[j] += int(q)
        left = n - sum(counts)
        by_remainder = sorted(range(k), key=lambda j: (-(quotas[j] - int(quotas[j])), j))
        for j in by_remainder[:left]:
            counts[j] += 1
        return counts

    def _skills(self, n: int) -> list[set[str]]:
        """Most repair-certified, a few signers (one of them certified), some smart-home."""
        order = list(range(n))
        self.rng.shuffle(order)
        skills: list[set[str]] = [set() for _ in range(n)]
        repair = max(1, math.ceil(0.8 * n))
        for i in order[:repair]:
            skills[i].add(REPAIR)
        signers = max(1, round(0.1 * n))
        for i in order[:signers]:  # the first of the order is always certified too
            skills[i].add(SIGN)
        smart = max(1, round(0.3 * n))
        again = order[:]
        self.rng.shuffle(again)
        for i in again[:smart]:
            skills[i].add(SMART_HOME)
        return skills

    def engineers(
        self, centres: Sequence[ServiceCenter], shares: Sequence[float]
    ) -> list[Engineer]:
        counts = self._staffing(shares)
        skills = self._skills(self.size.engineers)
        out = []
        centre_of = [c for c, n in zip(centres, counts, strict=True) for _ in range(n)]
        for i, (centre, skill) in enumerate(zip(centre_of, skills, strict=True), start=1):
            shift = _choose_weighted(self.rng, SHIFTS, [s.share for s in SHIFTS])
            out.append(
                Engineer(
                    id=f"e{i:03d}",
                    name=self.people.name(),
                    start_location=centre.location,
                    end_location=centre.location,
                    shift_start=shift.start,
                    shift_end=shift.end,
                    breaks=(Break(LUNCH, shift.lunch_from, shift.lunch_to),),
                    skills=frozenset(skill),
                    overtime_max=OVERTIME_MAX,
                    service_center=centre.id,
                )
            )
        return out

    # ------------------------------------------------------------------------- visits

    def _home_places(self, n: int) -> list[Place]:
        if self.homes:
            return self.rng.choices(self.homes, weights=[p.weight for p in self.homes], k=n)
        return [self._road_node(self.rng.randrange(self.network.node_count), "") for _ in range(n)]

    def _window(self, latest_shift_end: int) -> tuple[TimeWindow, ...]:
        usable = [w for w in TWO_HOUR_WINDOWS if w[0] * H < latest_shift_end - 1 * H]
        if self.rng.random() < TWO_HOUR_SHARE:
            s, e, _ = _choose_weighted(self.rng, usable, [w[2] for w in usable])
        else:
            s, e, _ = self.rng.choice(HALF_DAY_WINDOWS)
        return (TimeWindow(s * H, e * H),)

    def home_visits(self, engineers: Sequence[Engineer]) -> list[Visit]:
        skill_sets = [e.skills for e in engineers]
        latest_end = max(e.shift_end for e in engineers)
        out = []
        for i, place in enumerate(self._home_places(self.size.visits), start=1):
            job = _choose_weighted(self.rng, JOB_TYPES, [j.share for j in JOB_TYPES])
            minutes = self.rng.choice(job.minutes)
            required = set(job.skills)
            if self.rng.random() < SIGN_SHARE:
                required.add(SIGN)
            if not any(required <= s for s in skill_sets):
                required.discard(SIGN)  # nobody both signs and holds the job's skills today
            priority = _choose_weighted(
                self.rng, [p for p, _ in PRIORITIES], [s for _, s in PRIORITIES]
            )
            windows = self._window(latest_end)
            soft = self.rng.random() < SOFT_WINDOW_SHARE
            qualified = [e.id for e in engineers if required <= e.skills]
            preferred = (
                frozenset({self.rng.choice(qualified)})
                if qualified and self.rng.random() < PREFERRED_SHARE
                else frozenset()
            )
            location = self._location(f"home-{i:04d}", place)
            address = place.address or self._near(place)
            details: dict[str, Any] = {
                "job_type": job.name,
                "device": self.rng.choice(job.devices),
                "customer": self.people.name(),
                "address": address,
                "phone": f"555-01{self.rng.randrange(100):02d}",
                "osm": place.id,
            }
            if SIGN in required:
                details["note"] = "deaf customer: engineer who signs"
            out.append(
                Visit(
                    id=f"v{i:04d}",
                    location=location,
                    duration=minutes * M,
                    time_windows=windows,
                    soft_windows=soft,
                    required_skills=frozenset(required),
                    priority=priority,
                    preferred_engineers=preferred,
                    details=details,
                )
            )
        return out

    def crews(
        self, visits: Sequence[Visit], engineers: Sequence[Engineer], share: float
    ) -> list[Visit]:
        """About ``share`` of the home visits served by a crew: a visit needing a signer
        with the job's own skill becomes a pair starting together (the job's engineer and a
        sign-language engineer); an install or set-up becomes the install, then a smart-home
        configuration of 30 minutes starting 0 to 120 minutes after the install starts."""
        held = [e.skills for e in engineers]
        out = []
        for v in visits:
            if self.rng.random() >= share:
                out.append(v)
                continue
            job = v.details.get("job_type", "")
            own = v.required_skills - {SIGN}
            if SIGN in v.required_skills and own:
                members = (CrewMember(own, v.duration), CrewMember(frozenset({SIGN}), v.duration))
                timing = None
                note = "crew: the job's engineer with a sign-language engineer, together"
            elif job in ("smart-screen install", "router / mesh set-up"):
                members = (
                    CrewMember(own, v.duration),
                    CrewMember(frozenset({SMART_HOME}), 30 * M),
                )
                timing = CrewSequence(0, 120 * M)
                note = "crew: install, then configuration within two hours"
            else:
                out.append(v)
                continue
            if not all(any(m.skills <= h for h in held) for m in members):
                out.append(v)
                continue
            details = {**v.details, "crew": note}
            out.append(
                dataclasses.replace(
                    v,
                    crew=members,
                    crew_timing=timing,
                    engineers_required=1,
                    required_skills=frozenset(),
                    preferred_engineers=frozenset(),
                    details=details,
                )
            )
        return out

    def _event_places(self, n: int) -> list[Place]:
        """Indoor, named community places first, then outdoor ones, then the tallest
        apartment blocks (a desk in a residential community), then road nodes."""
        community = list(self.community)
        self.rng.shuffle(community)
        community.sort(
            key=lambda p: (p.kind not in INDOOR_COMMUNITY, p.name == p.kind.replace("_", " "))
        )
        blocks = sorted(self.homes, key=lambda p: (-p.weight, p.id))
        picked = (community + blocks)[:n]
        while len(picked) < n:
            node = self.rng.randrange(self.network.node_count)
            picked.append(self._road_node(node, f"Community event point {len(picked) + 1}"))
        return picked

    def events(self, engineers: Sequence[Engineer]) -> list[Visit]:
        out = []
        places = self._event_places(self.size.events)
        for i, place in enumerate(places, start=1):
            need = min(self.rng.choice((2, 2, 3)), len(engineers))
            minutes, start = self.rng.choice(EVENT_SLOTS)
            location = self._location(f"event-{i:02d}", place)
            out.append(
                Visit(
                    id=f"ev{i:02d}",
                    kind=VisitKind.COMMUNITY_EVENT,
                    location=location,
                    duration=minutes * M,
                    time_windows=(TimeWindow(*start),),
                    priority=self.rng.choice((1, 2)),
                    engineers_required=need,
                    details={
                        "job_type": "community event",
                        "title": self.rng.choice(EVENT_TITLES),
                        "venue": place.name,
                        "address": place.address or self._near(place),
                        "osm": place.id,
                    },
                )
            )
        return out


def _size(size: str | DaySize) -> DaySize:
    if isinstance(size, DaySize):
        return size
    if size not in SIZES:
        raise ProblemError("generate_day", "size", size, f"must be one of {', '.join(SIZES)}")
    return SIZES[size]


def generate_day(
    network: Network,
    *,
    size: str | DaySize = "small",
    seed: int = 0,
    date: dt.date = DEFAULT_DATE,
    places: OsmPlaces | None = None,
    timezone: str | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    crews: float = 0.0,
) -> Problem:
    """A realistic service day on ``network`` (see the module docstring for its content).

    Parameters
    ----------
    network
        From :func:`scheduler.network.load_network`; every generated point is within
        ``max_snap_m`` metres of one of its nodes.
    size
        ``"small"`` (5 engineers, 30 visits, 1 event), ``"default"`` (20, 150, 2),
        ``"city"`` (200, 2,000, 10; a network of 1,000+ nodes such as Liechtenstein), or a
        :class:`DaySize`.
    seed
        Same seed (and network, size, date, places) -> an equal problem.
    date
        The day planned (a Friday service day by default).
    places
        Homes, community places and businesses to use; by default read from the network's
        ``.osm.pbf`` (none for other sources: everything is then at road nodes).
    timezone
        IANA zone of the problem; by default guessed for the regions this project ships
        (Finland, Liechtenstein, Switzerland, US East), else none (wall-clock times).
    crews
        Share (0..1) of home visits served by a crew where the job allows one: a signer
        with the job's engineer together, or an install then a configuration in sequence
        (default 0: none; the same seed gives the same day without crews as before).

    Raises
    ------
    NetworkError
        When the network has fewer nodes than the size needs.
    ProblemError
        For an unknown size name.
    """
    day = _size(size)
    if network.node_count < day.min_nodes:
        fits = [k for k, v in SIZES.items() if v.min_nodes <= network.node_count]
        raise NetworkError(
            f"size {size if isinstance(size, str) else day!r} needs a road network of at least "
            f"{day.min_nodes:,} nodes; {network.source} has {network.node_count:,}: use a "
            "larger extract (e.g. ../shared/networks/liechtenstein.osm.pbf)"
            + (f" or a smaller size ({', '.join(fits)})" if fits else "")
        )
    if places is None:
        places = _default_places(network)
    g = _Generator(network, day, seed, places, max_snap_m)
    centres, shares = g.service_centers()
    engineers = g.engineers(centres, shares)
    if not 0.0 <= crews <= 1.0:
        raise ProblemError("generate_day", "crews", crews, "must be a share in [0, 1]")
    home = g.home_visits(engineers)
    events = g.events(engineers)
    if crews > 0:
        home = g.crews(home, engineers, crews)
    visits = home + events
    return Problem(
        date=date,
        timezone=timezone if timezone is not None else g.timezone,
        locations=tuple(g.locations),
        engineers=tuple(engineers),
        visits=tuple(visits),
        service_centers=tuple(centres),
        options=SolveOptions(time_limit=day.time_limit_s),
    )
