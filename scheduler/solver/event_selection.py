"""Events chosen inside the OR-Tools model: optional all-or-nothing groups with prizes.

The default solve (``search``) decides which events are held outside the local search.
Here the model decides: every candidate event's ``k`` copies are active together or not at
all (their active variables are tied), start at the same moment on ``k`` different
engineers when held, and leaving the event out costs its *prize*. A budget bounds the
engineer-seconds spent at events, and a limit bounds the home visits left out.

Prizes that do not add up. What two events earn together is not the sum of what each earns
alone when they reach the same people. So a prize comes in two parts:

* ``prizes[e]``: earned by holding ``e`` (what only ``e`` reaches);
* ``shared``: an amount earned *once* when at least one of its events is held. Each is
  modelled exactly, as one zero-duration "reach" node per event of the group at that
  event's place, at most one of them active (a disjunction of cardinality 1 whose penalty
  is the amount), each allowed only when its event is held. The cheapest place for such a
  node is right after its event in the same route (no extra driving, no extra time).

With coverage cells (the residents reached by exactly one given set of events) as the
shared groups, the prize of any set of held events is exactly its unique coverage.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp

from scheduler.domain import Plan, Problem, Route, SolveOptions, Stop, Visit
from scheduler.errors import ProblemError
from scheduler.explain import serviceable_engineers, static_reasons
from scheduler.solver.model import RULES, ModelContext, create_context
from scheduler.solver.ortools_search import add_work_limit, extract_routes, search_parameters
from scheduler.solver.progress import Progress, ProgressCallback
from scheduler.solver.solve import finish_plan, with_options
from scheduler.timeline import arrival_on_site
from scheduler.travel import Matrix

REACH_PREFIX = "~reach:"
"""Id prefix of the bookkeeping nodes of shared prizes (never in a returned plan)."""


@dataclass(frozen=True, slots=True)
class SharedPrize:
    """``prize`` cost units earned once when at least one of ``events`` is held."""

    events: frozenset[str]
    prize: int


@dataclass(frozen=True, slots=True)
class EventChoice:
    """What the model may choose and what it earns (cost units; seconds for durations).

    Attributes
    ----------
    candidates
        Events the model may hold or leave out. Events of the problem that are neither
        candidates nor ``required`` are not held.
    prizes
        Per candidate: earned when it is held (0 when absent).
    shared
        Amounts earned once when at least one of their events is held.
    budget_s
        Most engineer-seconds at events (``engineers_required x duration`` summed over the
        held events, required ones included); None: no limit.
    max_home_deferred
        Most home visits left out, counting those no plan can serve; None: no limit.
    required
        Events held whatever the prizes (a planner's manual choice, for comparison).
    """

    candidates: frozenset[str]
    prizes: Mapping[str, int] = field(default_factory=dict)
    shared: tuple[SharedPrize, ...] = ()
    budget_s: int | None = None
    max_home_deferred: int | None = None
    required: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChoiceOutcome:
    """The validated plan, the events held with their common start (seconds since
    midnight), and the prizes earned by the held events (cost units)."""

    plan: Plan
    held: tuple[str, ...]
    starts: Mapping[str, int]
    prize_earned: int


def _check(problem: Problem, choice: EventChoice) -> dict[str, Visit]:
    events = {v.id: v for v in problem.visits if v.is_event}
    for name, ids in (("candidates", choice.candidates), ("required", choice.required)):
        for vid in sorted(ids):
            if vid not in events:
                raise ProblemError(
                    "event selection", name, vid, f"is not an event of the problem {sorted(events)}"
                )
    for vid, prize in choice.prizes.items():
        if vid not in choice.candidates:
            raise ProblemError("event selection", "prizes", vid, "is not a candidate event")
        if prize < 0:
            raise ProblemError("event selection", f"prizes[{vid!r}]", prize, "must be >= 0")
    for s in choice.shared:
        if s.prize < 0 or not s.events <= choice.candidates | choice.required:
            raise ProblemError(
                "event selection", "shared", sorted(s.events), "needs known events, prize >= 0"
            )
    if choice.budget_s is not None and choice.budget_s < 0:
        raise ProblemError("event selection", "budget_s", choice.budget_s, "must be >= 0")
    if choice.max_home_deferred is not None and choice.max_home_deferred < 0:
        raise ProblemError(
            "event selection", "max_home_deferred", choice.max_home_deferred, "must be >= 0"
        )
    both = choice.candidates & choice.required
    if both:
        raise ProblemError(
            "event selection", "required", sorted(both)[0], "is also a candidate: choose one"
        )
    clash = [v.id for v in problem.visits if v.id.startswith(REACH_PREFIX)]
    if clash:
        raise ProblemError(
            f"visit {clash[0]!r}", "id", clash[0], f"must not start with {REACH_PREFIX!r}"
        )
    return events


def engineer_seconds(visit: Visit) -> int:
    """Engineer-seconds an event takes: engineers required x duration."""
    return visit.engineers_required * visit.duration


def add_event_choice(
    ctx: ModelContext,
    candidates: Sequence[str],
    prizes: Mapping[str, int],
    reach: Sequence[tuple[int, Sequence[tuple[str, str]]]],
    budget_s: int | None,
    min_home_served: int | None,
) -> None:
    """The rule of this module (see the module text). ``reach`` lists, per shared prize,
    its amount and its (reach node visit id, event id) pairs."""
    routing, solver, time_dim = ctx.routing, ctx.routing.solver(), ctx.time_dimension()
    active = routing.ActiveVar
    for vid in candidates:
        indices = [ctx.index(n) for n in ctx.visit_nodes[vid]]
        routing.AddDisjunction(indices, int(prizes.get(vid, 0)), len(indices))
        first = indices[0]
        for other in indices[1:]:
            solver.Add(active(other) == active(first))
            solver.Add(time_dim.CumulVar(other) == time_dim.CumulVar(first))
        if len(indices) > 1:
            solver.Add(solver.AllDifferentExcept([routing.VehicleVar(i) for i in indices], -1))
    for amount, pairs in reach:
        nodes = [ctx.index(ctx.visit_nodes[node_vid][0]) for node_vid, _ in pairs]
        routing.AddDisjunction(nodes, int(amount), 1)
        for index, (_, event_id) in zip(nodes, pairs, strict=True):
            solver.Add(active(index) <= active(ctx.index(ctx.visit_nodes[event_id][0])))
    if budget_s is not None:
        terms = [
            active(ctx.index(n)) * ctx.visits[vid].duration
            for vid in candidates
            for n in ctx.visit_nodes[vid]
        ]
        if terms:
            solver.Add(solver.Sum(terms) <= budget_s)
    if min_home_served is not None:
        home = [
            active(ctx.index(nodes[0]))
            for vid, nodes in ctx.visit_nodes.items()
            if not ctx.visits[vid].is_event and vid not in ctx.prized_visits
        ]
        if home and min_home_served > 0:
            solver.Add(solver.Sum(home) >= min_home_served)


def _strip_reach(ctx: ModelContext, routes: Sequence[Route]) -> tuple[Route, ...]:
    """Routes without reach nodes; arrivals after a removed node recomputed from the stop
    before it (same rule as ``extract_routes``)."""
    row = ctx.problem.location_index()
    out = []
    for r in routes:
        kept = [s for s in r.stops if not s.visit_id.startswith(REACH_PREFIX)]
        if not kept:
            continue
        engineer = ctx.problem.engineer(r.engineer_id)
        prev_end, prev_row = r.departure, row[engineer.start_location]
        stops = []
        for s in kept:
            here = row[ctx.visits[s.visit_id].location]
            travel = int(ctx.matrix[prev_row, here])
            stops.append(
                Stop(
                    s.visit_id,
                    arrival_on_site(prev_end, travel, s.start, r.breaks),
                    s.start,
                    s.end,
                )
            )
            prev_end, prev_row = s.end, here
        out.append(Route(r.engineer_id, r.departure, r.return_, tuple(stops), r.breaks))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The best plan of one search with some candidates banned."""

    banned: frozenset[str]
    held: tuple[str, ...]
    total: int  # objective + prizes the model could not represent (comparable across bans)
    routes: tuple[Route, ...]
    objective: int


class _Chooser:
    """One ``solve_choosing_events`` call: the fixed inputs and a shared clock."""

    def __init__(
        self,
        problem: Problem,
        matrix: Matrix,
        choice: EventChoice,
        options: SolveOptions,
        progress: ProgressCallback | None,
        *,
        fallback: bool = True,
    ) -> None:
        self.problem, self.matrix, self.choice, self.options = problem, matrix, choice, options
        self.fallback = fallback  # whether a failed first solution may use start_routes
        self.progress = progress
        self.events = _check(problem, choice)
        self.started = time.monotonic()
        self.solves = 0
        self._start_routes: tuple[Route, ...] | None = None
        static = static_reasons(problem, matrix)
        self.serviceable = serviceable_engineers(problem, matrix)
        self.vehicle = {e.id: v for v, e in enumerate(problem.engineers)}
        self.modelled = [
            v for v in problem.visits if v.id not in static and self.serviceable.get(v.id)
        ]
        ids = {v.id for v in self.modelled}
        for vid in sorted(choice.required):
            if vid not in ids:
                why = static[vid].message if vid in static else "no engineer can be there"
                raise ProblemError("event selection", "required", vid, f"cannot be held: {why}")
        self.candidates = frozenset(choice.candidates & ids)
        required_s = sum(engineer_seconds(self.events[e]) for e in choice.required)
        self.budget: int | None = None
        if choice.budget_s is not None:
            self.budget = choice.budget_s - required_s
            if self.budget < 0:
                raise ProblemError(
                    "event selection",
                    "budget_s",
                    choice.budget_s,
                    f"is below the {required_s} engineer-seconds of the required events",
                )
        self.min_home_served: int | None = None
        if choice.max_home_deferred is not None:
            home_in_model = sum(1 for v in self.modelled if not v.is_event)
            unservable = sum(1 for v in problem.visits if not v.is_event) - home_in_model
            if unservable > choice.max_home_deferred:
                raise ProblemError(
                    "event selection",
                    "max_home_deferred",
                    choice.max_home_deferred,
                    f"is below the {unservable} home visits no plan can serve",
                )
            self.min_home_served = home_in_model - (choice.max_home_deferred - unservable)

    def remaining(self) -> float:
        return self.options.time_limit - (time.monotonic() - self.started)

    def greedy_events(self) -> frozenset[str]:
        """Candidates taken greedily by marginal prize per engineer-second while the budget
        allows (shared prizes count for the first event of their group taken)."""
        taken: set[str] = set()
        left = self.budget
        while True:

            def gain(e: str) -> float:
                own = self.choice.prizes.get(e, 0)
                shared = sum(
                    s.prize for s in self.choice.shared if e in s.events and not s.events & taken
                )
                return (own + shared) / max(1, engineer_seconds(self.events[e]))

            fits = [
                e
                for e in sorted(self.candidates - taken)
                if left is None or engineer_seconds(self.events[e]) <= left
            ]
            fits = [e for e in fits if gain(e) > 0]
            if not fits:
                return frozenset(taken)
            best = max(fits, key=lambda e: (gain(e), e))
            taken.add(best)
            if left is not None:
                left -= engineer_seconds(self.events[best])

    def within_deferral_limit(self, routes: Sequence[Route]) -> bool:
        """Whether ``routes`` leave at most ``max_home_deferred`` home visits out."""
        if self.choice.max_home_deferred is None:
            return True
        served = {s.visit_id for r in routes for s in r.stops}
        deferred = sum(1 for v in self.problem.visits if not v.is_event and v.id not in served)
        return deferred <= self.choice.max_home_deferred

    def start_routes(self) -> tuple[Route, ...]:
        """Routes to start the search from (the first-solution heuristic inserts the
        high-prize events first, may break the home-deferral limit and picks events one
        at a time): a plan holding :meth:`greedy_events`, else one in which every candidate
        is worth a little less than the least urgent home visit (home visits first, events
        where they still fit), else one without candidates. Searched once, remembered."""
        if self._start_routes is None:
            self._start_routes = ()
            modest = max(1, self.options.weights.drop_base - 1)
            greedy = self.greedy_events()
            attempts = [
                EventChoice(
                    candidates=frozenset(),
                    required=self.choice.required | greedy,
                ),
                EventChoice(
                    candidates=self.candidates,
                    prizes={e: modest for e in self.candidates},
                    budget_s=self.choice.budget_s,
                    required=self.choice.required,
                ),
                EventChoice(candidates=frozenset(), required=self.choice.required),
            ]
            for choice in attempts if greedy else attempts[1:]:
                helper = _Chooser(
                    self.problem, self.matrix, choice, self.options, None, fallback=False
                )
                plan = helper.run(frozenset(), max(0.1, self.remaining() / 4))
                self.solves += helper.solves
                # Searched without the deferral limit (a hard limit often leaves the
                # first-solution heuristic with no plan at all), then checked against it.
                if plan is not None and self.within_deferral_limit(plan.routes):
                    self._start_routes = plan.routes
                    break
        return self._start_routes

    def start_assignment(self, ctx: ModelContext) -> pywrapcp.Assignment | None:
        """:meth:`start_routes` as an assignment of ``ctx``'s model (stops of events this
        model leaves out are skipped), or None when there are none."""
        plan = self.start_routes()
        if not plan:
            return None
        copies: dict[str, int] = {}
        routes: list[list[int]] = [[] for _ in ctx.engineers]
        vehicle = {e.id: v for v, e in enumerate(ctx.engineers)}
        for r in plan:
            for stop in r.stops:
                if stop.visit_id not in ctx.visit_nodes:
                    continue
                k = copies.get(stop.visit_id, 0)
                copies[stop.visit_id] = k + 1
                node = ctx.visit_nodes[stop.visit_id][k]
                routes[vehicle[r.engineer_id]].append(ctx.index(node))
        start: pywrapcp.Assignment | None = ctx.routing.ReadAssignmentFromRoutes(routes, True)
        return start

    def run(self, banned: frozenset[str], time_limit: float) -> _Attempt | None:
        """One search with the candidates in ``banned`` left out."""
        self.solves += 1
        choice = self.choice
        candidates = sorted(self.candidates - banned)
        required = frozenset(choice.required)
        visits = [
            v for v in self.modelled if not v.is_event or v.id in required or v.id in candidates
        ]
        # Prizes this model cannot earn (banned or unservable events) are added to its
        # total so that totals compare across bans.
        lost = sum(p for vid, p in choice.prizes.items() if vid not in candidates)
        prizes = {vid: int(choice.prizes.get(vid, 0)) for vid in candidates}
        reach: list[tuple[int, list[tuple[str, str]]]] = []
        reach_visits: list[Visit] = []
        vehicles_for = {v.id: [self.vehicle[e] for e in self.serviceable[v.id]] for v in visits}
        for k, shared in enumerate(choice.shared):
            if shared.events & required or shared.prize == 0:
                continue  # earned whatever the model does
            members = sorted(shared.events & set(candidates))
            if not members:
                lost += shared.prize
            elif len(members) == 1:
                prizes[members[0]] += shared.prize
            else:
                pairs = []
                for e in members:
                    node_vid = f"{REACH_PREFIX}{k}:{e}"
                    reach_visits.append(Visit(node_vid, self.events[e].location, 0))
                    vehicles_for[node_vid] = vehicles_for[e]
                    pairs.append((node_vid, e))
                reach.append((shared.prize, pairs))
        ctx = create_context(
            self.problem,
            self.matrix,
            self.options.weights,
            visits + reach_visits,
            vehicles_for,
            required,
        )
        ctx.prized_visits = frozenset(candidates) | {v.id for v in reach_visits}
        for rule in RULES:
            rule(ctx)
        add_event_choice(ctx, candidates, prizes, reach, self.budget, self.min_home_served)

        count: list[int] = [0]
        best: list[int | None] = [None]

        def on_solution() -> None:
            count[0] += 1
            cost = int(ctx.routing.CostVar().Value())
            if self.progress is not None and (best[0] is None or cost < best[0]):
                best[0] = cost
                elapsed = time.monotonic() - self.started
                self.progress(Progress("choosing events", cost + lost, elapsed, count[0]))

        ctx.routing.AddAtSolutionCallback(on_solution)
        params = search_parameters(self.options, max(time_limit, 0.1))
        add_work_limit(ctx.routing, self.options)
        solution = None
        if self.fallback and candidates and self.start_routes():
            # Start from a greedy plan (see ``start_routes``): the local search only
            # improves on it, so the choice never reaches fewer residents than greedy.
            ctx.routing.CloseModelWithParameters(params)
            start = self.start_assignment(ctx)
            if start is not None:
                solution = ctx.routing.SolveFromAssignmentWithParameters(start, params)
        if solution is None:
            solution = ctx.routing.SolveWithParameters(params)
        if solution is None:
            return None
        routes = _strip_reach(ctx, extract_routes(ctx, solution))
        held = tuple(sorted({s.visit_id for r in routes for s in r.stops} & set(self.events)))
        objective = int(solution.ObjectiveValue())
        return _Attempt(banned, held, objective + lost, routes, objective)


def solve_choosing_events(
    problem: Problem,
    matrix: Matrix,
    choice: EventChoice,
    options: SolveOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    max_solves: int = 8,
) -> ChoiceOutcome:
    """Plan the day with the model choosing which candidate events to hold and when.

    The first search lets the model choose among every candidate. OR-Tools' local search
    cannot swap one all-or-nothing group for another (docs/solver.md), so the search is
    then repeated with one held candidate banned at a time (each held event of the best
    plan, weakest prize per engineer-second first), the model choosing again among the
    rest; a better total becomes the new best. At most ``max_solves`` searches share the
    options' time limit (each stops at the solution limit when one is given); one more
    search then plans the day with the chosen events held, kept when it costs less. The
    plan passes ``scheduler.validate``; events not held and home visits left out are
    listed as unassigned with their reasons.

    Raises
    ------
    ProblemError
        Unknown events, a required event no plan can hold, a budget below the required
        events, a home-visit limit below the visits no plan can serve, or no plan found
        within the limits.
    """
    problem = with_options(problem, options)
    options = problem.options
    n = len(problem.locations)
    if matrix.shape != (n, n):
        raise ProblemError("travel time matrix", "shape", matrix.shape, f"must be ({n}, {n})")
    if not problem.engineers:
        raise ProblemError("problem", "engineers", [], "event selection needs engineers")
    if max_solves < 1:
        raise ProblemError("event selection", "max_solves", max_solves, "must be >= 1")
    search_parameters(options, options.time_limit)  # reject bad option names before work
    chooser = _Chooser(problem, matrix, choice, options, progress)
    share = options.time_limit / max_solves
    best = chooser.run(frozenset(), share)
    if best is None:
        raise ProblemError(
            "event selection",
            "limits",
            {"max_home_deferred": choice.max_home_deferred, "budget_s": choice.budget_s},
            "no plan was found within these limits: allow more home visits to be deferred, "
            "require fewer events, or give the search more time",
        )
    tried = {best.banned}

    def weakness(vid: str) -> float:
        return choice.prizes.get(vid, 0) / max(1, engineer_seconds(chooser.events[vid]))

    improved = True
    while improved and chooser.solves < max_solves and chooser.remaining() > 0:
        improved = False
        for vid in sorted(set(best.held) & chooser.candidates, key=lambda v: (weakness(v), v)):
            banned = best.banned | {vid}
            if banned in tried or chooser.solves >= max_solves or chooser.remaining() <= 0:
                continue
            tried.add(banned)
            attempt = chooser.run(banned, min(share, chooser.remaining()))
            if attempt is not None and attempt.total < best.total:
                best, improved = attempt, True
                break
    held_set = set(best.held)
    earned = sum(choice.prizes.get(e, 0) for e in best.held) + sum(
        s.prize for s in choice.shared if s.events & held_set
    )
    available = sum(choice.prizes.values()) + sum(s.prize for s in choice.shared)
    routes, total = best.routes, best.total
    # Polish: the chosen events held, the model free to plan the rest (a smaller search
    # that often improves the home-service side of the plan for the same residents).
    if chooser.solves < max_solves + 1 and chooser.remaining() > 0 and best.held:
        fixed = _Chooser(
            problem,
            matrix,
            EventChoice(
                candidates=frozenset(),
                required=frozenset(choice.required) | held_set,
                max_home_deferred=choice.max_home_deferred,
            ),
            options,
            progress,
        )
        polished = fixed.run(frozenset(), min(share, chooser.remaining()))
        chooser.solves += 1
        if polished is not None and polished.objective + available - earned < total:
            routes, total = polished.routes, polished.objective + available - earned
    starts = {
        vid: min(s.start for r in routes for s in r.stops if s.visit_id == vid) for vid in best.held
    }
    # The objective of the choice: costs, home visits left out, and the prizes not earned
    # (events are prized here, not penalised when left out).
    plan = finish_plan(
        problem,
        matrix,
        routes,
        started=chooser.started,
        solves=chooser.solves,
        objective_extra=available - earned,
        unpriced=frozenset(chooser.events),
    )
    return ChoiceOutcome(plan, best.held, starts, earned)


__all__ = [
    "REACH_PREFIX",
    "ChoiceOutcome",
    "EventChoice",
    "SharedPrize",
    "add_event_choice",
    "engineer_seconds",
    "solve_choosing_events",
]
