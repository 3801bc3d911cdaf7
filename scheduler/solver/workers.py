"""The worker processes of one solve: parts of a day searched side by side."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import TypeVar

from scheduler.errors import SolverError

log = logging.getLogger("fieldroute.solver")

_J = TypeVar("_J")
_R = TypeVar("_R")


class Workers:
    """Up to ``n`` spawned processes kept for one solve (OR-Tools and threads in this process
    are never forked). With ``n == 1``, or in a daemonic process (which may not have
    children), jobs run in this process, one after another. A job that fails in a worker
    fails the solve: its error is logged and raised, never run again quietly."""

    def __init__(self, n: int) -> None:
        self.count = max(1, n)
        if self.count > 1 and multiprocessing.current_process().daemon:
            log.info("a daemonic process may not start workers: searching parts one by one")
            self.count = 1
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.count > 1:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(self.count, mp_context=context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def map(self, fn: Callable[[_J], _R], jobs: Sequence[_J]) -> list[_R]:
        """``fn`` of each job, in order (side by side when there are workers)."""
        if self.pool is None:
            return [fn(job) for job in jobs]
        futures = [self.pool.submit(fn, job) for job in jobs]
        results = []
        for i, future in enumerate(futures):
            try:
                results.append(future.result())
            except Exception as exc:
                log.error("search worker failed on part %d of %d: %r", i + 1, len(jobs), exc)
                raise SolverError(
                    f"a search worker failed on part {i + 1} of {len(jobs)}: {exc!r}"
                ) from exc
        return results
