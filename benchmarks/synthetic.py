"""Seeded synthetic service days for search measurements (uniform points, haversine times).

Not a realistic day generator (that is ``datasets``' job): just enough structure — skills,
2-hour windows, lunch breaks, a few events, mixed priorities — to compare search settings.
"""

from __future__ import annotations

import datetime as dt
import random

from scheduler.domain import (
    Break,
    Engineer,
    Location,
    Problem,
    SolveOptions,
    TimeWindow,
    Visit,
    VisitKind,
)

H = 3600


def synthetic_day(
    visits: int,
    engineers: int,
    *,
    events: int = 1,
    seed: int = 0,
    options: SolveOptions | None = None,
) -> Problem:
    """A day in a 6 x 4 km box of central Helsinki with ``visits`` home visits."""
    rng = random.Random(seed)
    locations = [Location("centre", 60.170, 24.940)]
    engs = []
    for i in range(engineers):
        skills = {"repair_certified"} if rng.random() < 0.8 else set()
        if rng.random() < 0.15:
            skills.add("sign_language")
        if rng.random() < 0.3:
            skills.add("smart_home")
        engs.append(
            Engineer(
                id=f"e{i}",
                name=f"Engineer {i}",
                start_location="centre",
                end_location="centre",
                shift_start=8 * H,
                shift_end=16 * H,
                breaks=(Break(30 * 60, 11 * H, 13 * H + 1800),),
                skills=frozenset(skills),
                overtime_max=H,
            )
        )
    vs = []
    jobs = [
        ("repair", 40, {"repair_certified"}),
        ("router", 60, set()),
        ("smart_home", 105, {"smart_home"}),
        ("phone", 30, set()),
    ]
    for i in range(visits):
        loc = Location(f"l{i}", 60.150 + rng.random() * 0.036, 24.880 + rng.random() * 0.11)
        locations.append(loc)
        name, minutes, skills = rng.choice(jobs)
        req = set(skills)
        if rng.random() < 0.05:
            req.add("sign_language")
        if rng.random() < 0.7:
            s = rng.choice([8, 10, 12, 14])
            windows: tuple[TimeWindow, ...] = (TimeWindow(s * H, (s + 2) * H),)
        else:
            s = rng.choice([8, 12])
            windows = (TimeWindow(s * H, (s + 4) * H),)
        vs.append(
            Visit(
                id=f"v{i}",
                location=loc.id,
                duration=minutes * 60,
                time_windows=windows,
                required_skills=frozenset(req),
                priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
                details={"job_type": name},
            )
        )
    for j in range(events):
        loc = Location(f"event{j}", 60.150 + rng.random() * 0.036, 24.880 + rng.random() * 0.11)
        locations.append(loc)
        start = rng.choice([10, 13])
        vs.append(
            Visit(
                id=f"ev{j}",
                kind=VisitKind.COMMUNITY_EVENT,
                location=loc.id,
                duration=3 * H,
                time_windows=(TimeWindow(start * H, start * H),),
                priority=2,
                engineers_required=rng.choice([2, 3]),
            )
        )
    return Problem(
        date=dt.date(2026, 11, 27),
        locations=tuple(locations),
        engineers=tuple(engs),
        visits=tuple(vs),
        options=options or SolveOptions(),
    )
