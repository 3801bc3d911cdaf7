"""Travel times between a problem's locations, as an integer-seconds matrix.

Every provider answers one question: given the problem's locations, how many seconds does
driving from row ``i`` to column ``j`` take? The solver and the validator only ever see the
resulting ``numpy`` matrix (``int64``, rows and columns in ``problem.locations`` order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from scheduler.domain import Location, Problem
from scheduler.errors import ProblemError

Matrix = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8


class TravelTimeProvider(Protocol):
    """Anything that turns locations into a square matrix of driving seconds."""

    @property
    def name(self) -> str: ...

    def matrix(self, locations: tuple[Location, ...]) -> Matrix: ...


def extended_matrix(
    provider: TravelTimeProvider | None,
    locations: tuple[Location, ...],
    matrix: Matrix,
    extra: tuple[Location, ...],
) -> Matrix:
    """The matrix of ``(*locations, *extra)`` (seconds), keeping ``matrix`` between
    ``locations``: the times to and from ``extra`` come from the provider (only those rows
    and columns when it has an ``extend`` method, as road networks do), or from the
    straight-line estimate without one."""
    n, k = len(locations), len(extra)
    if matrix.shape != (n, n):
        raise ProblemError("travel times", "shape", matrix.shape, f"must be ({n}, {n})")
    extend = getattr(provider, "extend", None)
    if extend is not None:
        out: Matrix = extend(locations, matrix, extra)
        return out
    whole = (provider or HaversineEstimate()).matrix((*locations, *extra))
    if whole.shape != (n + k, n + k):
        raise ProblemError("travel times", "shape", whole.shape, f"must be ({n + k}, {n + k})")
    whole = whole.copy()
    whole[:n, :n] = matrix
    return whole


@dataclass(frozen=True)
class HaversineEstimate:
    """Straight-line estimate: great-circle distance x ``detour_factor`` / ``speed_kph``.

    Not a road network: it ignores rivers, one-way streets and congestion. Use it when no
    matrix or road network is available, and say so to the user.
    """

    detour_factor: float = 1.3
    speed_kph: float = 30.0
    name: str = "haversine-estimate"

    def __post_init__(self) -> None:
        if not self.detour_factor >= 1.0:
            raise ProblemError("haversine", "detour_factor", self.detour_factor, "must be >= 1")
        if not self.speed_kph > 0:
            raise ProblemError("haversine", "speed_kph", self.speed_kph, "must be > 0 km/h")

    def matrix(self, locations: tuple[Location, ...]) -> Matrix:
        lat = np.radians([loc.lat for loc in locations])
        lon = np.radians([loc.lon for loc in locations])
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        seconds = metres * self.detour_factor / (self.speed_kph / 3.6)
        out: Matrix = np.rint(seconds).astype(np.int64)
        return out


@dataclass(frozen=True)
class ExplicitMatrix:
    """The matrix given in the problem itself (seconds, ``locations`` order)."""

    rows: tuple[tuple[int, ...], ...]
    name: str = "explicit"

    def matrix(self, locations: tuple[Location, ...]) -> Matrix:
        m: Matrix = np.asarray(self.rows, dtype=np.int64).reshape(len(locations), len(locations))
        return m


def travel_time_matrix_for(
    problem: Problem, provider: TravelTimeProvider | None = None
) -> tuple[Matrix, str]:
    """The matrix to plan ``problem`` with, and the name of where it came from.

    An explicit ``provider`` wins; otherwise the problem's own matrix; otherwise the
    haversine estimate (named as such in the returned source).
    """
    chosen: TravelTimeProvider
    if provider is not None:
        chosen = provider
    elif problem.travel_time_matrix is not None:
        chosen = ExplicitMatrix(problem.travel_time_matrix)
    else:
        chosen = HaversineEstimate()
    m = chosen.matrix(problem.locations)
    n = len(problem.locations)
    if m.shape != (n, n):
        raise ProblemError("travel times", "shape", m.shape, f"must be ({n}, {n})")
    if (m < 0).any():
        raise ProblemError("travel times", "value", int(m.min()), "must be >= 0 seconds")
    return m, chosen.name


def straight_line_km(a: Location, b: Location) -> float:
    """Great-circle distance between two locations in kilometres."""
    la, lb = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((lb - la) / 2) ** 2
        + math.cos(la) * math.cos(lb) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h))) / 1000.0
