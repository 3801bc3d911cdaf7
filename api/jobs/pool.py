"""The server's solver processes, shared by every kind of job.

A :class:`SolverPool` holds ``size`` spawned child processes (never forked: OR-Tools and the
server's threads must not be copied) that run at a lower CPU priority than the server, so
that its requests get the CPU first, and that the kernel kills when the server dies, even
with ``kill -9`` and mid-solve. In ``thread`` mode (tests, debugging) the same work runs in
``size`` threads of the server instead. The pool starts with its first task and starts
afresh after one of its processes died.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from typing import Any, Literal, TypeVar

from scheduler.simulate.executor import Executor as ReplicationExecutor
from scheduler.simulate.executor import InlineExecutor, Progress

__all__ = ["JobKey", "Report", "SolverPool"]

T = TypeVar("T")
R = TypeVar("R")

JobKey = tuple[str, int]
"""A job across kinds: (kind name, job id)."""
Report = Callable[[Any], None]
"""How a task reports progress: called with whatever its kind of job records."""

_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
_child_reports: Any = None  # in a solver process: where progress reports go


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux; whether it
    could). ``fieldroute serve --workers N`` sets it in each server process (SIGTERM: it
    gives its jobs back to the queue and stops its solver processes on the way out)."""
    if sys.platform != "linux":
        return False
    return bool(ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig) == 0)


def _init_child(reports: Any, parent_pid: int, nice: int) -> None:
    """Set a solver process up: where its reports go, its priority, and to die with the
    server."""
    global _child_reports
    _child_reports = reports
    if nice:  # the server's requests first: a solve uses the CPU they leave idle
        os.nice(nice)
    if die_with_parent(signal.SIGKILL):  # the kernel kills us with the server, even mid-solve
        if os.getppid() != parent_pid:  # the server died before prctl took effect
            os._exit(1)
    else:  # checked between solver callbacks only: OR-Tools holds the GIL while it searches
        threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this solver process soon after its server dies (kill -9 leaves no one to stop it)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def _call_reporting(key: JobKey, fn: Callable[..., R], args: tuple[Any, ...]) -> R:
    """Run ``fn(*args, report=...)`` in a solver process, its reports sent to the server."""

    def report(value: Any) -> None:
        _child_reports.put((key, value))

    return fn(*args, report=report)


class SolverPool:
    """``size`` solver processes (``mode="process"``, at ``nice`` lower priority) or threads
    (``mode="thread"``); safe to submit to from several threads."""

    def __init__(self, size: int, *, mode: Literal["process", "thread"], nice: int = 0) -> None:
        self.size = size
        self.mode = mode
        self.nice = nice
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self._reports: Any = None

    def _started(self) -> Executor:
        with self._lock:
            if self._executor is None:
                if self.mode == "process":
                    ctx = multiprocessing.get_context("spawn")
                    self._reports = ctx.Queue()
                    self._executor = ProcessPoolExecutor(
                        self.size,
                        mp_context=ctx,
                        initializer=_init_child,
                        initargs=(self._reports, os.getpid(), self.nice),
                    )
                else:
                    self._reports = queue.Queue()
                    self._executor = ThreadPoolExecutor(
                        self.size, thread_name_prefix="fieldroute-solve"
                    )
            return self._executor

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """``fn(*args)`` in a solver process (a top-level function of picklable arguments)."""
        return self._started().submit(fn, *args)

    def submit_reporting(self, key: JobKey, fn: Callable[..., R], *args: Any) -> Future[R]:
        """``fn(*args, report=...)`` in a solver process; what it reports comes back from
        :meth:`reports` as ``(key, report)``."""
        executor = self._started()
        if self.mode == "process":
            return executor.submit(_call_reporting, key, fn, args)
        reports = self._reports

        def report(value: Any) -> None:
            reports.put((key, value))

        return executor.submit(fn, *args, report=report)

    def reports(self) -> list[tuple[JobKey, Any]]:
        """The progress reports that arrived since the last call, oldest first."""
        out: list[tuple[JobKey, Any]] = []
        if self._reports is None:
            return out
        while True:
            try:
                out.append(self._reports.get_nowait())
            except (queue.Empty, OSError, ValueError):  # empty, or closed by shutdown
                return out

    def replications(self) -> ReplicationExecutor:
        """An executor for a simulation's replications: over these processes, at most one
        task per process queued at a time (so a plan submitted meanwhile waits for one
        replication, not for all); in thread mode, one after another in the caller."""
        if self.mode == "thread":
            return InlineExecutor()
        return _PoolReplications(self)

    def renew_if_broken(self) -> None:
        """After a solver process died: drop the broken pool, the next task starts afresh."""
        with self._lock:
            executor = self._executor
            if executor is None or not getattr(executor, "_broken", False):
                return
            self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """Process ids of the solver processes running now (none in thread mode)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values())]

    def terminate(self) -> None:
        """Kill the solver processes now; their tasks fail with ``BrokenProcessPool``."""
        for process in list((getattr(self._executor, "_processes", None) or {}).values()):
            process.terminate()

    def shutdown(self) -> None:
        """Wait for the tasks running, cancel the others, and stop."""
        with self._lock:
            executor, self._executor = self._executor, None
            reports, self._reports = self._reports, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if reports is not None and hasattr(reports, "close"):
            reports.close()
            reports.join_thread()


class _PoolReplications:
    """``scheduler.simulate``'s executor interface over a :class:`SolverPool`."""

    def __init__(self, pool: SolverPool) -> None:
        self.pool = pool

    @property
    def name(self) -> str:
        return f"process pool ({self.pool.size} workers)"

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None
    ) -> list[R]:
        results: dict[int, R] = {}
        pending: dict[Future[R], int] = {}
        todo = iter(range(len(items)))
        try:
            while True:
                for i in todo:
                    pending[self.pool.submit(fn, items[i])] = i
                    if len(pending) >= self.pool.size:
                        break
                if not pending:
                    return [results[i] for i in range(len(items))]
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    results[pending.pop(future)] = future.result()
                    if progress is not None:
                        progress(len(results), len(items))
        finally:
            for future in pending:
                future.cancel()
