"""One runner for every kind of background job whose state lives in the database.

A :class:`JobRunner` in each server process claims queued jobs (``api.store.queue``: several
processes sharing one database never run a job twice), runs each in a thread of its own
that hands the heavy work to the server's :class:`~api.jobs.pool.SolverPool`, and records
progress, heartbeats, the result or the failure. A ``running`` job whose heartbeat stopped
(its process was killed) is re-queued, or failed with that reason once it has used its
attempts; a job whose solver process died is left to that same rule, in a fresh pool.

What a job does is up to its :class:`JobKind`: plans (``api.jobs.plans``) and simulations
(``api.jobs.simulations``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db.models import utcnow
from api.jobs.pool import JobKey, SolverPool
from api.schemas import PlanStatus
from api.store.queue import JobModel, cancelled_among, give_back, reap_stale, update_running
from scheduler.errors import InputFormatError, NetworkError, ProblemError

__all__ = ["JobContext", "JobKind", "JobRunner"]

log = logging.getLogger("fieldroute.jobs")

Outcome = TypeVar("Outcome")  # what a kind's job produces, for it to record


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running job may use: its key, database sessions to read its input with, and
    the server's solver processes."""

    key: JobKey
    sessions: sessionmaker[Session]
    pool: SolverPool


class JobKind(Protocol[Outcome]):
    """What one kind of job does; claiming, heartbeats, re-queueing and failures are the
    runner's."""

    @property
    def name(self) -> str:
        """``plan``, ``simulation``: in job keys and logs."""

    @property
    def model(self) -> JobModel:
        """The table of its jobs."""

    @property
    def doing(self) -> str:
        """``solving``, ``simulating``: in the messages of jobs that failed."""

    @property
    def slots(self) -> int:
        """At most this many of its jobs run at once in one server process."""

    def claim(self, session: Session, worker_id: str) -> int | None:
        """Mark the oldest queued job running for ``worker_id``; its id, or None."""

    def run(self, job_id: int, context: JobContext) -> Outcome:
        """Do the job (in a thread of its own); what it produced, for :meth:`record`."""

    def record(self, session: Session, job_id: int, worker_id: str, outcome: Outcome) -> None:
        """Store what the job produced: it succeeded."""

    def record_progress(self, session: Session, job_id: int, worker_id: str, report: Any) -> None:
        """Store the latest of what the job's tasks reported through the pool."""


class JobRunner:
    """Claims and runs the jobs of ``kinds`` in this process; ``notify()`` after queueing one.

    ``settings.solver_workers`` solver processes (or threads) serve every kind; each kind
    runs at most its ``slots`` jobs at once.
    """

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, kinds: Sequence[JobKind[Any]]
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.kinds = {kind.name: kind for kind in kinds}
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool = SolverPool(
            settings.solver_workers, mode=settings.solver_mode, nice=settings.solver_nice
        )
        self._jobs = ThreadPoolExecutor(
            sum(kind.slots for kind in kinds), thread_name_prefix="fieldroute-job"
        )
        self._running: dict[JobKey, Future[Any]] = {}
        self._cancelled: set[JobKey] = set()
        self._done: queue.Queue[JobKey] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fieldroute-jobs", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Look for queued jobs now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; give this process's running jobs back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._running:
            with self.sessions.begin() as session:
                for kind in self.kinds.values():
                    why = f"the server shut down while {kind.doing}"
                    give_back(session, kind.model, self.worker_id, why)
            self.pool.terminate()  # their jobs are back in the queue
        self.pool.shutdown()
        self._jobs.shutdown(wait=True, cancel_futures=True)

    def solver_pids(self) -> list[int]:
        """Process ids of the solver processes running now (none in thread mode)."""
        return self.pool.pids()

    # -- the loop

    def _loop(self) -> None:
        last_beat = 0.0
        while not self._stop.is_set():
            try:
                self._collect_done()
                self._stop_cancelled()
                self._record_progress()
                now = time.monotonic()
                if now - last_beat >= self.settings.heartbeat_interval_s:
                    last_beat = now
                    self._beat_and_reap()
                self._claim()
            except Exception:  # the loop must survive a database hiccup
                log.exception("job loop step failed; retrying")
            self._wake.wait(self.settings.poll_interval_s)
            self._wake.clear()

    def _running_ids(self, kind: JobKind[Any]) -> list[int]:
        return [job_id for name, job_id in self._running if name == kind.name]

    def _claim(self) -> None:
        for kind in self.kinds.values():
            while len(self._running_ids(kind)) < kind.slots and not self._stop.is_set():
                with self.sessions.begin() as session:
                    job_id = kind.claim(session, self.worker_id)
                if job_id is None:
                    break
                self._start(kind, job_id)

    def _start(self, kind: JobKind[Any], job_id: int) -> None:
        key = (kind.name, job_id)
        future = self._jobs.submit(kind.run, job_id, JobContext(key, self.sessions, self.pool))
        self._running[key] = future

        def done(_: Future[Any]) -> None:
            self._done.put(key)
            self._wake.set()

        future.add_done_callback(done)

    def _stop_cancelled(self) -> None:
        """Stop the solves of running jobs that were cancelled (``POST /plans/{id}/cancel``).

        In process mode the solver processes are killed (a job of this server running
        beside it fails over to another attempt, as after a crash); in thread mode the solve
        runs to its end. Either way its result is not recorded: the job is no longer running.
        """
        if not self._running:
            return
        with self.sessions.begin() as session:
            cancelled = {
                (kind.name, job_id)
                for kind in self.kinds.values()
                for job_id in cancelled_among(session, kind.model, self._running_ids(kind))
            }
        fresh = cancelled - self._cancelled
        if not fresh:
            return
        self._cancelled |= fresh
        log.info("stopping cancelled jobs %s", sorted(fresh))
        self.pool.terminate()

    def _beat_and_reap(self) -> None:
        if self._running:
            with self.sessions.begin() as session:
                for kind in self.kinds.values():
                    update_running(
                        session,
                        kind.model,
                        self.worker_id,
                        self._running_ids(kind),
                        heartbeat_at=utcnow(),
                    )
        s = self.settings
        with self.sessions.begin() as session:
            for kind in self.kinds.values():
                dead = reap_stale(
                    session, kind.model, stale_after_s=s.stale_after_s, max_attempts=s.max_attempts
                )
                if dead:
                    log.warning(
                        "re-queued or failed %d %s jobs whose process died", dead, kind.name
                    )

    def _record_progress(self) -> None:
        latest = dict(self.pool.reports())  # the last report of each job
        if not latest:
            return
        with self.sessions.begin() as session:
            for (name, job_id), report in latest.items():
                self.kinds[name].record_progress(session, job_id, self.worker_id, report)

    def _collect_done(self) -> None:
        while True:
            try:
                key = self._done.get_nowait()
            except queue.Empty:
                return
            future = self._running.pop(key)
            self._record_progress()  # reports that arrived just before the outcome
            self._finish(key, future)

    def _finish(self, key: JobKey, future: Future[Any]) -> None:
        name, job_id = key
        kind = self.kinds[name]
        values: dict[str, Any]
        if key in self._cancelled:  # stopped on purpose; its row says cancelled already
            self._cancelled.discard(key)
            if isinstance(future.exception(), BrokenProcessPool):
                self.pool.renew_if_broken()
            return
        try:
            outcome = future.result()
            with self.sessions.begin() as session:
                kind.record(session, job_id, self.worker_id, outcome)
            return
        except BrokenProcessPool:
            self.pool.renew_if_broken()
            log.error("a solver process of %s %s died", name, job_id)
            # The reaper re-queues the job (or fails it, out of attempts) on its next round.
            stale = dt.timedelta(seconds=2 * self.settings.stale_after_s)
            values = {"heartbeat_at": utcnow() - stale}
        except (InputFormatError, ProblemError, NetworkError) as e:
            values = {"status": PlanStatus.FAILED, "error": str(e), "finished_at": utcnow()}
        except Exception as e:
            log.exception("%s %s failed", name, job_id)
            values = {
                "status": PlanStatus.FAILED,
                "error": f"internal error while {kind.doing}: {type(e).__name__}: {e}",
                "finished_at": utcnow(),
            }
        with self.sessions.begin() as session:
            update_running(session, kind.model, self.worker_id, [job_id], **values)
