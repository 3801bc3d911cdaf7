"""Plain-text rendering of a plan for a terminal: one block per engineer, then the drops."""

from __future__ import annotations

from scheduler.domain import Plan, Problem


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
        lines.append(
            f"Solver: {plan.stats.status}, objective {plan.stats.objective}, "
            f"{plan.stats.wall_time:.1f} s ({plan.stats.first_solution} + "
            f"{plan.stats.metaheuristic}, {plan.stats.solves} searches)"
        )
    return "\n".join(lines)
