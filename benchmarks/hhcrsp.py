"""The home-healthcare routing benchmark with synchronised crews (HHCRSP, Mankowska et al.
2014, in the JSON form of Ceschia et al. 2026; ``../shared/benchmarks/HHCRSP/README.md``):
its reader, its evaluator (written here, checked on the published best solutions), the best
results of ``best.md``, and the mapping to and from fieldroute's problem and plan.

Mapping: a patient is a visit at its own location; a carer an engineer starting and ending
at the (single) office with no shift limit; a service a skill; a two-carer patient a visit
whose ``crew`` has one member per required service (its own skill and duration), started
``together`` (``simultaneous``) or in ``sequence`` within [min, max] (``sequential``). One
unit is one minute (60 s); a drive is rounded *up* to whole seconds, so that a plan timed on
the rounded matrix is feasible on the original one. ``l`` ends a soft window priced 1 per
second late, and the largest lateness is priced the same (``max_lateness_per_second``): the
objective is 60 x (distance + total tardiness + maximum tardiness) up to that rounding. The
evaluator recomputes everything from the plan's routes and start times on the instance's own
(fractional) distances.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.domain import (
    CrewMember,
    CrewSequence,
    Engineer,
    Location,
    Plan,
    Problem,
    SolveOptions,
    TimeWindow,
    Visit,
    Weights,
)

UNIT = 60  # seconds per instance time unit (one minute)
TOLERANCE = 1e-2  # minutes: the published times are rounded to 3 decimals
_HORIZON = 10_000  # minutes: carers have no shift limit (every instance ends well before)


@dataclass(frozen=True)
class Patient:
    id: str
    early: float
    late: float
    services: tuple[tuple[str, float], ...]  # (service, duration) in the file's order
    sync: str | None = None  # "simultaneous" | "sequential" | None (one service)
    gap: tuple[float, float] = (0.0, 0.0)  # sequential: [min, max] between the starts


@dataclass(frozen=True)
class Instance:
    name: str  # the file name without .gz, as best.md names it
    patients: tuple[Patient, ...]
    carers: tuple[tuple[str, frozenset[str]], ...]  # (id, abilities)
    distances: tuple[tuple[float, ...], ...]  # row 0 the office, then patients in order
    locations: tuple[tuple[float, float], ...]  # office, then patients

    def row(self, patient_id: str) -> int:
        return self._rows()[patient_id]

    def _rows(self) -> dict[str, int]:
        return {p.id: i + 1 for i, p in enumerate(self.patients)}


# (patient, service, start in minutes) per carer, in route order
Routes = Mapping[str, Sequence[tuple[str, str, float]]]


@dataclass(frozen=True)
class Evaluation:
    distance: float
    total_tardiness: float
    max_tardiness: float
    problems: tuple[str, ...]

    @property
    def total_cost(self) -> float:
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3

    @property
    def feasible(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Best:
    distance: float
    max_tardiness: float
    total_tardiness: float
    total_cost: float
    solution: str


def read_instance(path: Path) -> Instance:
    """An instance from ``.json`` or ``.json.gz``."""
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        data = json.load(f)
    name = path.name[:-3] if path.suffix == ".gz" else path.name
    offices = data["central_offices"]
    if len(offices) != 1:
        raise ValueError(f"{path}: {len(offices)} offices; the reader knows one")
    patients = []
    for p in data["patients"]:
        services = tuple((r["service"], float(r["duration"])) for r in p["required_caregivers"])
        sync = p.get("synchronization")
        kind = None if sync is None else str(sync["type"])
        gap = (0.0, 0.0)
        if kind == "sequential":
            gap = (float(sync["distance"][0]), float(sync["distance"][1]))
        elif kind not in (None, "simultaneous"):
            raise ValueError(f"{path}: patient {p['id']}: unknown synchronization {kind!r}")
        if len(services) > 1 and kind is None:
            kind = "simultaneous"
        early, late = p["time_window"]
        patients.append(Patient(str(p["id"]), float(early), float(late), services, kind, gap))
    carers = tuple((str(c["id"]), frozenset(c["abilities"])) for c in data["caregivers"])
    dist = tuple(tuple(float(x) for x in row) for row in data["distances"])
    locs = (tuple(offices[0]["location"]), *(tuple(p["location"]) for p in data["patients"]))
    if len(dist) != len(patients) + 1:
        raise ValueError(f"{path}: distances have {len(dist)} rows for {len(patients)} patients")
    return Instance(name, tuple(patients), carers, dist, locs)


def read_solution(path: Path) -> dict[str, list[tuple[str, str, float]]]:
    """A published solution's routes: carer -> (patient, service, start) in order."""
    with open(path) as f:
        data = json.load(f)
    return {
        str(r["caregiver_id"]): [
            (str(x["patient"]), str(x["service"]), float(x["arrival_time"]))
            for x in r.get("locations", ())  # an unused carer has none
        ]
        for r in data["routes"]
    }


def read_best(path: Path) -> dict[str, Best]:
    """``best.md``: the best result per instance file name (``.json``)."""
    out: dict[str, Best] = {}
    for line in Path(path).read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].endswith(".json"):
            continue
        d, mx, tt, cost = (float(x) for x in cells[1:5])
        out[cells[0]] = Best(d, mx, tt, cost, cells[5])
    return out


def evaluate(inst: Instance, routes: Routes) -> Evaluation:
    """Distance, tardiness and every broken rule of ``routes`` (times in minutes), as the
    README's rules say: each required service given once by an able carer for its duration,
    drives from the office and back, no start before ``e``, the synchronisations."""
    problems: list[str] = []
    rows = inst._rows()
    by_id = {p.id: p for p in inst.patients}
    able = dict(inst.carers)
    dist = inst.distances
    distance = 0.0
    starts: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for carer, stops in routes.items():
        if carer not in able:
            problems.append(f"unknown carer {carer}")
            continue
        row, free = 0, 0.0
        for pid, service, start in stops:
            p = by_id.get(pid)
            if p is None:
                problems.append(f"{carer}: unknown patient {pid}")
                continue
            duration = dict(p.services).get(service)
            if duration is None:
                problems.append(f"{carer}: patient {pid} does not need service {service}")
                continue
            if service not in able[carer]:
                problems.append(f"{carer} cannot give {service} (patient {pid})")
            here = rows[pid]
            distance += dist[row][here]
            if start + TOLERANCE < free + dist[row][here]:
                problems.append(
                    f"{carer}: patient {pid} starts at {start:.3f}, before it can arrive "
                    f"({free + dist[row][here]:.3f})"
                )
            if start + TOLERANCE < p.early:
                problems.append(f"{carer}: patient {pid} starts at {start:.3f} before {p.early}")
            starts.setdefault((pid, service), []).append((start, carer))
            row, free = here, start + duration
        distance += dist[row][0]
    total, worst = 0.0, 0.0
    for p in inst.patients:
        given: list[tuple[float, str] | None] = []
        for service, _ in p.services:
            got = starts.get((p.id, service), [])
            if len(got) != 1:
                problems.append(f"patient {p.id}: service {service} given {len(got)} times")
                given.append(None)
                continue
            given.append(got[0])
            late = max(0.0, got[0][0] - p.late)
            total += late
            worst = max(worst, late)
        first, second = given[0], given[-1]
        if len(p.services) < 2 or first is None or second is None:
            continue
        a, b = first[0], second[0]
        if first[1] == second[1]:
            problems.append(f"patient {p.id}: one carer gives both services")
        if p.sync == "simultaneous" and abs(a - b) > TOLERANCE:
            problems.append(f"patient {p.id}: starts {a:.3f} and {b:.3f} are not simultaneous")
        if p.sync == "sequential" and not (p.gap[0] - TOLERANCE <= b - a <= p.gap[1] + TOLERANCE):
            problems.append(f"patient {p.id}: gap {b - a:.3f} outside {list(p.gap)}")
    return Evaluation(distance, total, worst, tuple(problems))


# --- fieldroute terms ------------------------------------------------------------------------


def _seconds(minutes: float) -> int:
    return math.ceil(round(minutes * UNIT, 6))


def to_problem(inst: Instance, options: SolveOptions | None = None) -> Problem:
    """The instance as a fieldroute day (see the module's docstring for the mapping).
    Locations are placeholders on a line: travel comes from the matrix."""
    n = len(inst.patients)
    locations = (
        Location("office", 0.0, 0.0),
        *(Location(p.id, 0.0, min(179.0, (i + 1) * 1e-3)) for i, p in enumerate(inst.patients)),
    )
    matrix = tuple(tuple(_seconds(x) for x in row) for row in inst.distances)
    engineers = tuple(
        Engineer(cid, "office", "office", 0, _HORIZON * UNIT, skills=abilities)
        for cid, abilities in inst.carers
    )
    visits = []
    for p in inst.patients:
        window = (TimeWindow(_seconds(p.early), math.floor(p.late * UNIT)),)
        if len(p.services) == 1:
            service, duration = p.services[0]
            visits.append(
                Visit(p.id, p.id, round(duration * UNIT), time_windows=window,
                      soft_windows=True, required_skills=frozenset({service}))
            )  # fmt: skip
            continue
        crew = tuple(CrewMember(frozenset({s}), round(d * UNIT)) for s, d in p.services)
        timing = (
            CrewSequence(_seconds(p.gap[0]), math.floor(p.gap[1] * UNIT))
            if p.sync == "sequential"
            else None
        )
        visits.append(
            Visit(p.id, p.id, 0, time_windows=window, soft_windows=True, crew=crew,
                  crew_timing=timing)
        )  # fmt: skip
    weights = Weights(
        travel_per_second=1, overtime_per_second=0, non_preferred_engineer=0,
        max_lateness_per_second=1, drop_base=10_000_000,
    )  # fmt: skip
    opts = dataclasses.replace(options or SolveOptions(), weights=weights)
    assert n == len(visits)
    return Problem(dt.date(2026, 1, 1), locations, engineers, tuple(visits), matrix, options=opts)


def routes_from_plan(plan: Plan, problem: Problem) -> dict[str, list[tuple[str, str, float]]]:
    """The plan's routes in the benchmark's terms: (patient, service, start in minutes)."""
    by_id = {v.id: v for v in problem.visits}
    out: dict[str, list[tuple[str, str, float]]] = {}
    for r in plan.routes:
        stops = []
        for s in r.stops:
            v = by_id[s.visit_id]
            member = v.members()[s.crew_member]
            (service,) = sorted(member.skills)
            stops.append((s.visit_id, service, s.start / UNIT))
        out[r.engineer_id] = stops
    return out


def instance_paths(paths: Sequence[Path]) -> list[Path]:
    """``.json``/``.json.gz`` instance files named or inside the folders named, sorted by
    size then name (10 before 100)."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(x for x in p.iterdir() if re.search(r"\.json(\.gz)?$", x.name))
        else:
            found.append(p)

    def key(x: Path) -> tuple[int, str]:
        m = re.search(r"_(\d+)_(\d+)\.json", x.name)
        return (int(m.group(1)) * 100 + int(m.group(2)) if m else 0, x.name)

    return sorted(found, key=key)
