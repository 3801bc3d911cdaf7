"""Progress of a solve, reported through a callback (the solver never prints)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report: which stage, the best objective so far (cost units), seconds spent
    and solutions (OR-Tools) or iterations (the compiled search) counted in the stage."""

    stage: str
    objective: int | None
    elapsed: float
    solutions: int


ProgressCallback = Callable[[Progress], None]


class Reporter:
    """Sends progress of one solve, timed from its start (``time.monotonic()`` seconds)."""

    def __init__(self, callback: ProgressCallback | None, started: float | None = None) -> None:
        self.callback = callback
        self.started = time.monotonic() if started is None else started

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, stage: str, objective: int | None, solutions: int = 0) -> None:
        if self.callback is not None:
            self.callback(Progress(stage, objective, self.elapsed(), solutions))
