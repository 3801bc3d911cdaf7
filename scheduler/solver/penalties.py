"""Drop penalties that make priorities lexicographic.

A visit of priority ``p`` is worth more than every less urgent visit of the problem put
together plus ``drop_base``, so the solver never leaves an urgent visit out to fit in less
urgent ones. Events count as ``engineers_required`` visits of their priority.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scheduler.domain import Visit

# Keeps the sum of every penalty far below OR-Tools' int64 objective.
PENALTY_CAP = 10**15


def drop_penalties(visits: Iterable[Visit], drop_base: int) -> dict[int, int]:
    """Penalty (cost units) for leaving out one visit-unit of each priority 1..5.

    ``P5 = drop_base`` and ``P_p = drop_base + sum_{q > p} N_q * P_q`` where ``N_q`` counts
    visit-units of priority ``q``; capped at ``PENALTY_CAP``.
    """
    units = dict.fromkeys(range(1, 6), 0)
    for v in visits:
        units[v.priority] += v.engineers_required
    penalty: dict[int, int] = {}
    below = 0
    for p in range(5, 0, -1):
        penalty[p] = min(PENALTY_CAP, drop_base + below)
        below = min(PENALTY_CAP, below + units[p] * penalty[p])
    return penalty


def visit_penalty(visit: Visit, penalties: Mapping[int, int]) -> int:
    """Penalty for leaving ``visit`` out: its priority's unit penalty times its engineers."""
    return min(PENALTY_CAP, penalties[visit.priority] * visit.engineers_required)
