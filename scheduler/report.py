"""Plain-text rendering of a plan for a terminal: one block per engineer, then the drops."""

from __future__ import annotations

from scheduler.domain import Plan, Problem, Visit
from scheduler.kpis import PRIORITIES, Kpis


def clock(seconds: int) -> str:
    """Seconds since midnight as ``HH:MM`` (``+1d`` suffix for the next day)."""
    days, rem = divmod(seconds, 86_400)
    text = f"{rem // 3600:02d}:{rem % 3600 // 60:02d}"
    return text if days == 0 else f"{text}{days:+d}d"


def format_plan(problem: Problem, plan: Plan) -> str:
    """The plan as readable text: each route with its stops and breaks, then unassigned."""
    lines: list[str] = []
    served = sum(len(r.stops) for r in plan.routes)
    lines.append(
        f"Plan for {problem.date.isoformat()}: {len(plan.routes)} of {len(problem.engineers)} "
        f"engineers out, {served} stops, {len(plan.unassigned)} visits unassigned"
    )
    names = {e.id: e.name or e.id for e in problem.engineers}
    team: dict[str, list[tuple[int, str, int]]] = {}
    for route in plan.routes:
        for s in route.stops:
            team.setdefault(s.visit_id, []).append((s.crew_member, route.engineer_id, s.start))
    for route in plan.routes:
        e = problem.engineer(route.engineer_id)
        lines.append("")
        lines.append(
            f"{e.name or e.id} ({e.id}): leaves {clock(route.departure)}, "
            f"back {clock(route.return_)}"
        )
        events: list[tuple[int, str]] = []
        for s in route.stops:
            v = problem.visit(s.visit_id)
            kind = "event" if v.is_event else "visit"
            job = str(v.details.get("job_type", "")) if v.details else ""
            job_text = f"  {job}" if job else ""
            if v.crew and not v.is_event:
                mates = ", ".join(
                    f"{names[eid]} {clock(t)}"
                    for _, eid, t in sorted(team[v.id])
                    if eid != route.engineer_id
                )
                job_text += f"  [crew member {s.crew_member + 1} of {len(v.crew)}; with {mates}]"
            events.append(
                (
                    s.start,
                    f"  {clock(s.start)}-{clock(s.end)}  {kind} {v.id}"
                    f"  (arrive {clock(s.arrival)}, priority {v.priority}){job_text}",
                )
            )
        for b in route.breaks:
            events.append((b.start, f"  {clock(b.start)}-{clock(b.end)}  break"))
        lines.extend(text for _, text in sorted(events))
    if plan.unassigned:
        lines.append("")
        lines.append("Unassigned:")
        for u in plan.unassigned:
            lines.append(f"  {u.visit_id}: {u.reason.value}: {u.message}")
    if plan.stats is not None:
        lines.append("")
        stats = plan.stats
        how = (
            f"compiled search, {stats.iterations} iterations"
            if stats.engine == "compiled"
            else f"OR-Tools {stats.first_solution} + {stats.metaheuristic}, {stats.solves} searches"
        )
        lines.append(
            f"Solver: {stats.status}, objective {stats.objective}, {stats.wall_time:.1f} s ({how})"
        )
    return "\n".join(lines)


def event_label(visit: Visit) -> str:
    """``ev01 "Phone check-up day" at Rikhardinkadun kirjasto`` from the event's details."""
    details = visit.details or {}
    label = visit.id
    if details.get("title"):
        label += f' "{details["title"]}"'
    if details.get("venue"):
        label += f" at {details['venue']}"
    return label


def _hours(seconds: float) -> str:
    """Seconds as ``1 h 05 min`` (or ``12 min`` under an hour)."""
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def format_kpis(problem: Problem, plan: Plan, kpis: Kpis) -> str:
    """The day's KPI table for a dispatcher: service by priority, what was left out and why,
    travel, each engineer's utilisation, and how the community events are staffed."""
    lines = [f"Day {problem.date.isoformat()}: KPIs"]
    lines.append("")
    lines.append("Visits served by priority (1 = most urgent)")
    lines.append("  priority   served   unassigned")
    for p in PRIORITIES:
        served, left = kpis.served_by_priority[p], kpis.unassigned_by_priority[p]
        if served or left:
            lines.append(f"  {p:>8}   {served:>6}   {left:>10}")
    lines.append(
        f"  {'all':>8}   {kpis.visits_served:>6}   {kpis.visits_unassigned:>10}"
        f"   ({kpis.visits_served}/{kpis.visits_total} served)"
    )
    lines.append("")
    if plan.unassigned:
        reasons = ", ".join(f"{n} {r}" for r, n in kpis.unassigned_by_reason.items() if n)
        lines.append(f"Unassigned ({reasons})")
        for u in plan.unassigned:
            lines.append(f"  {u.visit_id}: {u.reason.value}: {u.message}")
    else:
        lines.append("Unassigned: none")
    lines.append("")
    lines.append(
        f"Travel: {_hours(kpis.travel_time_s)} in total, "
        f"{_hours(kpis.travel_time_mean_s)} per engineer on the road "
        f"({kpis.engineers_used} out, {kpis.engineers_idle} idle); "
        f"overtime {_hours(kpis.overtime_s)}, lateness {_hours(kpis.lateness_s)}"
    )
    lines.append("")
    lines.append("Engineers (utilisation = service time / shift length)")
    lines.append(
        f"  {'engineer':<24} {'stops':>5} {'travel':>8} {'service':>8} {'wait':>8} "
        f"{'overtime':>8} {'util.':>6}"
    )
    names = {e.id: e.name or e.id for e in problem.engineers}
    for k in kpis.engineers:
        lines.append(
            f"  {names[k.engineer_id][:24]:<24} {k.stops:>5} {k.travel_s // 60:>6} m "
            f"{k.service_s // 60:>6} m {k.wait_s // 60:>6} m {k.overtime_s // 60:>6} m "
            f"{k.utilisation:>6.0%}"
        )
    events = [v for v in problem.visits if v.is_event]
    if events:
        lines.append("")
        lines.append(f"Community events ({kpis.events_held} of {kpis.events_total} held)")
        team: dict[str, list[str]] = {}
        start: dict[str, int] = {}
        for r in plan.routes:
            for s in r.stops:
                team.setdefault(s.visit_id, []).append(names[r.engineer_id])
                start[s.visit_id] = s.start
        for v in events:
            label = event_label(v)
            staff = team.get(v.id, [])
            if staff:
                lines.append(
                    f"  {label}: {clock(start[v.id])}-{clock(start[v.id] + v.duration)}, "
                    f"{len(staff)}/{v.engineers_required} engineers: {', '.join(staff)}"
                )
            else:
                lines.append(f"  {label}: not held (0/{v.engineers_required} engineers)")
    if kpis.crews_total:
        lines.append("")
        lines.append(
            f"Crews ({kpis.crews_served} of {kpis.crews_total} served; worst lateness "
            f"{_hours(kpis.max_lateness_s)})"
        )
        members: dict[str, list[tuple[int, str, int]]] = {}
        for r in plan.routes:
            for s in r.stops:
                members.setdefault(s.visit_id, []).append(
                    (s.crew_member, names[r.engineer_id], s.start)
                )
        for v in problem.visits:
            if v.crew and not v.is_event:
                got = sorted(members.get(v.id, []))
                how = "together" if v.crew_timing is None else "in sequence"
                text = ", ".join(f"{name} {clock(t)}" for _, name, t in got) or "not served"
                lines.append(f"  {v.id} ({len(v.crew)} {how}): {text}")
    return "\n".join(lines)
