"""One interface to run many independent tasks: in this process, in a local process pool,
or on a dask.distributed cluster. Results come back in task order, so a computation whose
tasks are deterministic gives the same answer on every executor.

Tasks must be picklable top-level functions with picklable arguments.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

from scheduler.errors import ProblemError

__all__ = [
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "ProcessExecutor",
    "Progress",
    "executor_for",
]

T = TypeVar("T")
R = TypeVar("R")


Progress = Callable[[int, int], None]
"""Called with (tasks done, tasks in all) as tasks finish."""


class Executor(Protocol):
    """Runs ``fn`` over ``items`` and returns the results in the order of ``items``;
    ``progress`` hears of each finished task."""

    @property
    def name(self) -> str: ...

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None
    ) -> list[R]: ...


class InlineExecutor:
    """Every task in this process, one after another (debugging, small runs, tests)."""

    name = "inline"

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        out = []
        for x in items:
            out.append(fn(x))
            if progress is not None:
                progress(len(out), len(items))
        return out


class ProcessExecutor:
    """A pool of ``workers`` local processes (default: the CPU count), started with
    ``spawn`` so OR-Tools and threads in the parent are never forked. The pool lives as long
    as this object; use it as a context manager, or ``close()`` it."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ProblemError("process pool", "workers", workers, "must be >= 1")
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    @property
    def name(self) -> str:
        return f"process pool ({self.workers} workers)"

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        if not items:
            return []
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
        futures = [self._pool.submit(fn, x) for x in items]
        if progress is not None:
            for done, _ in enumerate(as_completed(futures), start=1):
                progress(done, len(futures))
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """Kill the worker processes now (their tasks are lost); ``close()`` afterwards."""
        if self._pool is not None:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Tasks on a dask.distributed cluster: give a scheduler address (``tcp://host:8786``)
    or a ``distributed.Client`` you own. A client this object opened is closed by ``close()``;
    ``timeout_s`` bounds the wait for an address to answer.
    """

    def __init__(self, address_or_client: str | Any, timeout_s: float = 10.0) -> None:
        from distributed import Client

        if isinstance(address_or_client, Client):
            self.client, self._owned = address_or_client, False
        else:
            try:
                self.client = Client(address_or_client, timeout=f"{timeout_s}s")  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError, ValueError) as e:
                raise ProblemError(
                    "--dask",
                    "address",
                    address_or_client,
                    f"cannot reach a Dask scheduler there ({e}); start one with "
                    "`dask scheduler`, or leave --dask out to run on this machine",
                ) from None
            self._owned = True

    @property
    def name(self) -> str:
        return f"dask cluster at {self.client.scheduler_info().get('address', '?')}"

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        if not items:
            return []
        from distributed import as_completed as dask_completed

        # pure=False: equal arguments are still separate tasks (no result sharing by key).
        futures = self.client.map(fn, list(items), pure=False)
        if progress is not None:
            for done, _ in enumerate(dask_completed(futures), start=1):  # type: ignore[no-untyped-call]
                progress(done, len(futures))
        results: list[R] = self.client.gather(futures)  # type: ignore[no-untyped-call]
        return results

    def close(self) -> None:
        if self._owned:
            self.client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def executor_for(dask_address: str | None = None, workers: int | None = None) -> Executor:
    """A Dask executor when a scheduler address is given, else a local process pool."""
    if dask_address:
        return DaskExecutor(dask_address)
    return ProcessExecutor(workers)
