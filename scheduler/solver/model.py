"""The OR-Tools routing model, one function per dispatch rule.

``build_model`` lays out the nodes (one per depot location, one per home visit, ``k`` per
community event held), then applies each rule in turn. Every rule function takes the
``ModelContext`` and changes the routing model; each is tested alone. Times inside the model
are seconds since ``ctx.origin`` so that every cumul variable is non-negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp

from scheduler.domain import Engineer, Problem, Visit, Weights
from scheduler.errors import SolverError
from scheduler.objective import drop_penalty, priority_radices
from scheduler.travel import Matrix

TIME = "time"
WORK = "work"
PREFERENCE = "preference"
LOAD = "load"


@dataclass(frozen=True, slots=True)
class Node:
    """A routing node: a location row of the matrix, its service seconds, and what it is."""

    location_row: int
    service: int
    visit_id: str | None = None
    copy: int = 0


@dataclass
class ModelContext:
    """Everything the rule functions share while the model is built."""

    problem: Problem
    matrix: Matrix
    weights: Weights
    nodes: list[Node]
    engineers: tuple[Engineer, ...]
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    origin: int
    horizon: int
    visits: dict[str, Visit]
    visit_nodes: dict[str, list[int]]
    vehicles_for: dict[str, list[int]]
    held_events: frozenset[str]
    # Visits whose presence another rule prices (events chosen in the model and their
    # coverage nodes, see ``event_selection``): no drop penalty from ``add_drop_penalties``.
    prized_visits: frozenset[str] = frozenset()
    # Penalty units per priority (scheduler.objective): those of the modelled visits, so
    # that a part of a day keeps its priorities strict within OR-Tools' 64-bit objective.
    radices: Mapping[int, int] = field(default_factory=dict)
    travel_callback: int = -1
    time_callback: int = -1
    break_intervals: dict[int, list[pywrapcp.IntervalVar]] = field(default_factory=dict)

    def index(self, node: int) -> int:
        return int(self.manager.NodeToIndex(node))

    def time_dimension(self) -> pywrapcp.RoutingDimension:
        return self.routing.GetDimensionOrDie(TIME)

    def to_model(self, t: int) -> int:
        """Seconds since midnight -> model time (seconds since ``origin``)."""
        return t - self.origin


def layout_nodes(
    problem: Problem, visits: Sequence[Visit]
) -> tuple[list[Node], list[int], list[int], dict[str, list[int]]]:
    """Nodes for depots then visits; returns nodes, start node and end node per engineer, and
    the node ids of each visit (``k`` copies for an event needing ``k`` engineers)."""
    row = problem.location_index()
    nodes: list[Node] = []
    depot_node: dict[str, int] = {}
    for e in problem.engineers:
        for loc in (e.start_location, e.end_location):
            if loc not in depot_node:
                depot_node[loc] = len(nodes)
                nodes.append(Node(row[loc], 0))
    starts = [depot_node[e.start_location] for e in problem.engineers]
    ends = [depot_node[e.end_location] for e in problem.engineers]
    visit_nodes: dict[str, list[int]] = {}
    for v in visits:
        visit_nodes[v.id] = []
        for c, member in enumerate(v.members()):
            visit_nodes[v.id].append(len(nodes))
            nodes.append(Node(row[v.location], member.duration, v.id, c))
    return nodes, starts, ends, visit_nodes


def time_origin_and_horizon(problem: Problem) -> tuple[int, int]:
    """The earliest time anything can happen, and the span (seconds) the model must cover."""
    lo = min(e.shift_start for e in problem.engineers)
    hi = max(e.working_day.end for e in problem.engineers)
    return lo, hi - lo


def create_context(
    problem: Problem,
    matrix: Matrix,
    weights: Weights,
    visits: Sequence[Visit],
    vehicles_for: Mapping[str, Sequence[int]],
    held_events: frozenset[str],
) -> ModelContext:
    """Create the index manager and routing model for the given visits (events all held).

    Drop penalties use the penalty units of the modelled visits (``priority_radices``), so
    priorities stay strict inside the model; totals across parts of a day are compared
    outside it (``scheduler.objective``). A day whose strict penalties would not fit
    OR-Tools' 64-bit objective is refused: the compiled search has no such limit."""
    nodes, starts, ends, visit_nodes = layout_nodes(problem, visits)
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(problem.engineers), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    origin, horizon = time_origin_and_horizon(problem)
    return ModelContext(
        problem=problem,
        matrix=matrix,
        weights=weights,
        nodes=nodes,
        engineers=problem.engineers,
        manager=manager,
        routing=routing,
        origin=origin,
        horizon=horizon,
        visits={v.id: v for v in visits},
        visit_nodes=visit_nodes,
        vehicles_for={k: list(v) for k, v in vehicles_for.items()},
        held_events=held_events,
        radices=_checked_radices(visits, weights),
    )


# OR-Tools adds costs in signed 64 bits: penalties and costs together must stay below this.
ORTOOLS_COST_LIMIT = 2**61


def _checked_radices(visits: Sequence[Visit], weights: Weights) -> dict[int, int]:
    radices = priority_radices(visits)
    worst = sum(drop_penalty(v, radices, weights) for v in visits)
    if worst >= ORTOOLS_COST_LIMIT:
        raise SolverError(
            f"the OR-Tools search cannot keep priorities strict for {len(visits)} visits at "
            f"drop_base {weights.drop_base}: its objective would pass 2**61; use the "
            "compiled engine (options.engine 'compiled')"
        )
    return radices


def add_travel_cost(ctx: ModelContext) -> None:
    """Arc cost = driving seconds x ``travel_per_second``."""
    rows = [n.location_row for n in ctx.nodes]
    sub = ctx.matrix[rows][:, rows] * ctx.weights.travel_per_second
    ctx.travel_callback = ctx.routing.RegisterTransitMatrix(sub.tolist())
    ctx.routing.SetArcCostEvaluatorOfAllVehicles(ctx.travel_callback)


def add_time_dimension(ctx: ModelContext) -> None:
    """Time flows by service at a node plus driving to the next; waiting is free slack."""
    rows = [n.location_row for n in ctx.nodes]
    sub = ctx.matrix[rows][:, rows].copy()
    for i, n in enumerate(ctx.nodes):
        sub[i, :] += n.service
    ctx.time_callback = ctx.routing.RegisterTransitMatrix(sub.tolist())
    ctx.routing.AddDimension(ctx.time_callback, ctx.horizon, ctx.horizon, False, TIME)


def add_shifts_and_overtime(ctx: ModelContext) -> None:
    """Leave no earlier than the shift start; be back by shift end + overtime max (hard); each
    second after shift end costs ``overtime_per_second``."""
    time = ctx.time_dimension()
    for v, e in enumerate(ctx.engineers):
        start, end = ctx.routing.Start(v), ctx.routing.End(v)
        time.CumulVar(start).SetRange(ctx.to_model(e.shift_start), ctx.to_model(e.working_day.end))
        time.CumulVar(end).SetRange(ctx.to_model(e.shift_start), ctx.to_model(e.working_day.end))
        if ctx.weights.overtime_per_second and e.overtime_max:
            time.SetCumulVarSoftUpperBound(
                end, ctx.to_model(e.shift_end), ctx.weights.overtime_per_second
            )


def add_timing_preferences(ctx: ModelContext) -> None:
    """Among equally cheap timings: serve each visit as early as possible, then leave the
    centre as late as that allows and come back as early as possible (finalizers run in
    the order added, so the visit times are fixed first)."""
    time = ctx.time_dimension()
    for node_ids in ctx.visit_nodes.values():
        for node in node_ids:
            ctx.routing.AddVariableMinimizedByFinalizer(time.CumulVar(ctx.index(node)))
    for v in range(len(ctx.engineers)):
        ctx.routing.AddVariableMaximizedByFinalizer(time.CumulVar(ctx.routing.Start(v)))
        ctx.routing.AddVariableMinimizedByFinalizer(time.CumulVar(ctx.routing.End(v)))


def add_time_windows(ctx: ModelContext) -> None:
    """Service starts inside one of the visit's windows; with soft windows a start after the
    last window's end costs ``lateness_cost`` per second (gaps between windows stay closed)."""
    time = ctx.time_dimension()
    for vid, node_ids in ctx.visit_nodes.items():
        visit = ctx.visits[vid]
        if not visit.time_windows:
            continue
        first, last = visit.time_windows[0], visit.time_windows[-1]
        lo = max(0, ctx.to_model(first.start))
        hi = ctx.horizon if visit.soft_windows else ctx.to_model(last.end)
        for node in node_ids:
            index = ctx.index(node)
            cumul = time.CumulVar(index)
            if hi < lo:
                # No window reaches into anyone's working day: the visit cannot be served.
                ctx.routing.ActiveVar(index).SetValue(0)
                continue
            cumul.SetRange(lo, hi)
            for a, b in zip(visit.time_windows, visit.time_windows[1:], strict=False):
                gap_lo, gap_hi = ctx.to_model(a.end) + 1, ctx.to_model(b.start) - 1
                if gap_hi >= gap_lo:
                    cumul.RemoveInterval(gap_lo, gap_hi)
            if visit.soft_windows and visit.lateness_cost:
                time.SetCumulVarSoftUpperBound(index, ctx.to_model(last.end), visit.lateness_cost)


def add_breaks(ctx: ModelContext) -> None:
    """Each required break is an interval inside its window that no drive or service may
    overlap: with a break between stops a and b, start_b >= end_a + travel(a, b) + break."""
    time = ctx.time_dimension()
    solver = ctx.routing.solver()
    visit_transits = [0] * ctx.routing.Size()
    for index in range(ctx.routing.Size()):
        if not ctx.routing.IsStart(index):
            visit_transits[index] = ctx.nodes[ctx.manager.IndexToNode(index)].service
    for v, e in enumerate(ctx.engineers):
        intervals = []
        for k, b in enumerate(e.required_breaks()):
            intervals.append(
                solver.FixedDurationIntervalVar(
                    ctx.to_model(b.earliest_start),
                    ctx.to_model(b.latest_end - b.duration),
                    b.duration,
                    False,
                    f"break {e.id} {k}",
                )
            )
        if intervals:
            time.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)
            ctx.break_intervals[v] = intervals


def add_skills_and_pins(ctx: ModelContext) -> None:
    """Only engineers with every required skill, allowed for the visit (a pin is one allowed
    engineer) and able to reach it within their day may serve it."""
    for vid, node_ids in ctx.visit_nodes.items():
        members = ctx.visits[vid].members()
        optional = vid not in ctx.held_events
        for c, node in enumerate(node_ids):
            skills = members[c].skills
            allowed = sorted(v for v in ctx.vehicles_for[vid] if skills <= ctx.engineers[v].skills)
            var = ctx.routing.VehicleVar(ctx.index(node))
            var.SetValues(([-1] if optional else []) + allowed)


def add_drop_penalties(ctx: ModelContext) -> None:
    """Home visits may be left out at a penalty that grows lexicographically with urgency;
    held events are mandatory (decided outside the local search, see ``search``)."""
    for vid, node_ids in ctx.visit_nodes.items():
        if vid in ctx.held_events or vid in ctx.prized_visits:
            continue
        penalty = drop_penalty(ctx.visits[vid], ctx.radices, ctx.weights)
        # A crew: each member's node carries its share, and all are served or none.
        share = penalty // len(node_ids)
        for node in node_ids:
            ctx.routing.AddDisjunction([ctx.index(node)], share)
        active = [ctx.routing.ActiveVar(ctx.index(n)) for n in node_ids]
        for other in active[1:]:
            ctx.routing.solver().Add(other == active[0])


def add_community_events(ctx: ModelContext) -> None:
    """The ``k`` copies of a held event are served by ``k`` distinct engineers, who all start
    at the same moment and stay the whole duration (each copy's service time)."""
    time = ctx.time_dimension()
    solver = ctx.routing.solver()
    crews = sorted(
        vid
        for vid, nodes in ctx.visit_nodes.items()
        if len(nodes) > 1 and vid not in ctx.held_events
    )
    for vid in [*sorted(ctx.held_events), *crews]:
        indices = [ctx.index(n) for n in ctx.visit_nodes[vid]]
        gap = ctx.visits[vid].crew_timing
        for a, b in itertools.pairwise(indices):
            if gap is None:
                solver.Add(time.CumulVar(b) == time.CumulVar(a))
            else:  # a crew in sequence: each member within the gap after the one before
                solver.Add(time.CumulVar(b) >= time.CumulVar(a) + gap.min_gap)
                solver.Add(time.CumulVar(b) <= time.CumulVar(a) + gap.max_gap)
        if len(indices) > 1:
            vehicles = [ctx.routing.VehicleVar(i) for i in indices]
            if vid in ctx.held_events:
                solver.Add(solver.AllDifferent(vehicles))
            else:  # an optional crew: distinct engineers when served (-1: left out)
                solver.Add(solver.AllDifferentExcept(vehicles, -1))


def add_load_capacity(ctx: ModelContext) -> None:
    """The visits an engineer serves carry at most their ``load_capacity`` in total (each
    copy of an event counts its load against the engineer serving it)."""
    loads = [0 if n.visit_id is None else ctx.visits[n.visit_id].load for n in ctx.nodes]
    limited = [e.load_capacity for e in ctx.engineers if e.load_capacity is not None]
    if not limited or not any(loads):
        return
    unlimited = sum(loads)  # no route can carry more than every visit together
    capacities = [unlimited if e.load_capacity is None else e.load_capacity for e in ctx.engineers]
    callback = ctx.routing.RegisterUnaryTransitVector(loads)
    ctx.routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, LOAD)


def add_route_duration(ctx: ModelContext) -> None:
    """Departure to return takes at most the engineer's ``max_route_duration`` seconds."""
    time = ctx.time_dimension()
    for v, e in enumerate(ctx.engineers):
        if e.max_route_duration is not None:
            time.SetSpanUpperBoundForVehicle(e.max_route_duration, v)


def add_preferred_engineers(ctx: ModelContext) -> None:
    """Serving a visit with an engineer outside its non-empty preferred list costs
    ``non_preferred_engineer`` (soft)."""
    weight = ctx.weights.non_preferred_engineer
    with_pref = [v for v in ctx.visits.values() if v.preferred_engineers]
    if not weight or not with_pref:
        return
    callbacks: dict[tuple[int, ...], int] = {}
    per_vehicle = []
    for e in ctx.engineers:
        cost = [0] * len(ctx.nodes)
        for v in with_pref:
            if e.id not in v.preferred_engineers:
                for n in ctx.visit_nodes[v.id]:
                    cost[n] = weight
        key = tuple(cost)
        if key not in callbacks:
            callbacks[key] = ctx.routing.RegisterUnaryTransitVector(list(key))
        per_vehicle.append(callbacks[key])
    bound = weight * sum(len(ctx.visit_nodes[v.id]) for v in with_pref)
    ctx.routing.AddDimensionWithVehicleTransits(per_vehicle, 0, bound, True, PREFERENCE)
    ctx.routing.GetDimensionOrDie(PREFERENCE).SetSpanCostCoefficientForAllVehicles(1)


def add_fixed_cost(ctx: ModelContext) -> None:
    """Each engineer sent out costs ``fixed_per_engineer`` (favours fewer, fuller routes)."""
    if ctx.weights.fixed_per_engineer:
        ctx.routing.SetFixedCostOfAllVehicles(ctx.weights.fixed_per_engineer)


def add_workload_balance(ctx: ModelContext) -> None:
    """The longest working time (driving + service, seconds) costs ``balance_per_second``."""
    if not ctx.weights.balance_per_second:
        return
    rows = [n.location_row for n in ctx.nodes]
    sub = ctx.matrix[rows][:, rows].copy()
    for i, n in enumerate(ctx.nodes):
        sub[i, :] += n.service
    work = ctx.routing.RegisterTransitMatrix(sub.tolist())
    ctx.routing.AddDimension(work, 0, 10 * ctx.horizon + int(sub.max()) + 1, True, WORK)
    ctx.routing.GetDimensionOrDie(WORK).SetGlobalSpanCostCoefficient(ctx.weights.balance_per_second)


RULES = (
    add_travel_cost,
    add_time_dimension,
    add_shifts_and_overtime,
    add_time_windows,
    add_breaks,
    add_skills_and_pins,
    add_drop_penalties,
    add_community_events,
    add_load_capacity,
    add_route_duration,
    add_preferred_engineers,
    add_fixed_cost,
    add_workload_balance,
    add_timing_preferences,
)


def build_model(
    problem: Problem,
    matrix: Matrix,
    weights: Weights,
    visits: Sequence[Visit],
    vehicles_for: Mapping[str, Sequence[int]],
    held_events: frozenset[str],
) -> ModelContext:
    """The full model: every rule in ``RULES`` applied to a fresh context."""
    ctx = create_context(problem, matrix, weights, visits, vehicles_for, held_events)
    for rule in RULES:
        rule(ctx)
    return ctx
