"""Background solve jobs whose state lives in the database.

A ``JobRunner`` in each server process claims queued plans (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, then a conditional ``UPDATE`` that only one claimant can win, so
several processes on one database never run a job twice), solves them in a pool of child
processes (or threads), and records progress, heartbeats, the result or the failure. A
``running`` job whose heartbeat stops (its process was killed) is re-queued, or failed with
that reason once it has used its attempts.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import logging
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db.models import PlanJob, utcnow
from api.job_queue import claim_oldest, give_back, reap_stale_rows
from api.schemas import PlanStatus
from scheduler.errors import InputFormatError, NetworkError, ProblemError

log = logging.getLogger("fieldroute.jobs")

ProgressSink = Callable[[tuple[int, dict[str, Any]]], None]

Solved = tuple[dict[str, Any], dict[str, Any] | None]  # plan file, last progress
_child_sink: ProgressSink | None = None
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass(frozen=True, slots=True)
class TravelTimes:
    """Where a job's travel times come from: a road network source, or None for estimates."""

    road_network: str | None = None
    max_snap_m: float = 500.0


_networks: dict[str, Any] = {}


def road_network(source: str) -> Any:
    """The road network ``source`` names, loaded once per process."""
    from scheduler.network import load_network

    network = _networks.get(source)
    if network is None:
        network = _networks[source] = load_network(source)
    return network


def _provider(travel: TravelTimes) -> Any:
    """The road-network provider, or None for the straight-line estimate."""
    if travel.road_network is None:
        return None
    from scheduler.network import MatrixCache, RoadNetwork, default_cache_dir

    network = road_network(travel.road_network)
    cache = MatrixCache(default_cache_dir() / "matrices")
    return RoadNetwork(network, max_snap_m=travel.max_snap_m, cache=cache, workers=1)


def solve_document(
    problem: dict[str, Any],
    plan_id: int,
    sink: ProgressSink | None = None,
    travel: TravelTimes | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Solve a problem file; returns the plan file and the last progress report.

    Progress also goes to ``sink`` as it improves (it may arrive after the result does).
    """
    from scheduler.formats import plan_to_json, problem_from_json
    from scheduler.solver import Progress, solve
    from scheduler.travel import travel_time_matrix_for

    parsed = problem_from_json(json.dumps(problem))
    matrix, source = travel_time_matrix_for(parsed, _provider(travel or TravelTimes()))

    last: list[dict[str, Any]] = []

    def report(p: Progress) -> None:
        last[:] = [progress_json(p.stage, p.objective, p.elapsed, p.solutions)]
        if sink is not None:
            sink((plan_id, last[0]))

    plan = solve(parsed, matrix, progress=report)
    return plan_to_json(parsed, plan, matrix, travel_times=source), (last[0] if last else None)


def progress_json(
    stage: str, objective: int | None, elapsed: float, solutions: int
) -> dict[str, Any]:
    return {
        "stage": stage,
        "objective": objective,
        "elapsed_s": round(elapsed, 3),
        "solutions": solutions,
    }


def _init_child(progress: Any, parent_pid: int, nice: int = 0) -> None:
    global _child_sink
    _child_sink = progress.put
    if nice:  # the server's requests first: a solve uses the CPU they leave idle
        os.nice(nice)
    if sys.platform == "linux":  # the kernel kills us with the server, even mid-solve
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the server died before prctl took effect
            os._exit(1)
    else:  # checked between solver callbacks only: OR-Tools holds the GIL while it searches
        threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this solver process soon after its server dies (kill -9 leaves no one to stop it)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def _solve_in_child(problem: dict[str, Any], plan_id: int, travel: TravelTimes) -> Solved:
    return solve_document(problem, plan_id, _child_sink, travel)


# ----------------------------------------------------------------- database steps


@dataclass(frozen=True, slots=True)
class Claimed:
    plan_id: int
    problem: dict[str, Any]


def claim_next(session: Session, worker_id: str) -> Claimed | None:
    """Mark the oldest queued job running for ``worker_id`` and return it (None if none)."""
    plan_id = claim_oldest(
        session,
        PlanJob,
        worker_id,
        progress=progress_json("starting: travel times and model", None, 0.0, 0),
    )
    if plan_id is None:
        return None
    problem = session.execute(select(PlanJob.problem).where(PlanJob.id == plan_id)).scalar_one()
    return Claimed(plan_id, problem)


def reap_stale(session: Session, *, stale_after_s: float, max_attempts: int) -> int:
    """Re-queue (or fail, once out of attempts) running jobs whose heartbeat stopped."""
    return reap_stale_rows(session, PlanJob, stale_after_s=stale_after_s, max_attempts=max_attempts)


def _seconds(s: float) -> dt.timedelta:
    return dt.timedelta(seconds=s)


# ----------------------------------------------------------------- the runner


class JobRunner:
    """Claims and runs plan jobs in this process; ``notify()`` after queueing one."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._executor: Executor | None = None
        self._progress: Any = None
        self._running: dict[int, Future[Solved]] = {}
        self._done: queue.Queue[tuple[int, Future[Solved]]] = queue.Queue()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fieldroute-jobs", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; give this process's running jobs back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._running:
            with self.sessions() as session:
                give_back(session, PlanJob, self.worker_id, "the server shut down while solving")
        executor, self._executor = self._executor, None
        if executor is not None:
            if self._running and isinstance(executor, ProcessPoolExecutor):
                for process in list(getattr(executor, "_processes", {}).values()):
                    process.terminate()  # their jobs are back in the queue
            executor.shutdown(wait=True, cancel_futures=True)
        progress, self._progress = self._progress, None
        if progress is not None and hasattr(progress, "close"):
            progress.close()
            progress.join_thread()

    # -- loop

    def _loop(self) -> None:
        s = self.settings
        last_beat = 0.0
        while not self._stop.is_set():
            try:
                self._collect_done()
                self._drain_progress()
                now = time.monotonic()
                if now - last_beat >= s.heartbeat_interval_s:
                    last_beat = now
                    self._heartbeat()
                    with self.sessions() as session:
                        if reap_stale(
                            session, stale_after_s=s.stale_after_s, max_attempts=s.max_attempts
                        ):
                            log.warning("re-queued or failed jobs whose process died")
                while len(self._running) < s.solver_workers and not self._stop.is_set():
                    with self.sessions() as session:
                        claimed = claim_next(session, self.worker_id)
                    if claimed is None:
                        break
                    self._submit(claimed)
            except Exception:  # the loop must survive a database hiccup
                log.exception("job loop step failed; retrying")
            self._wake.wait(s.poll_interval_s)
            self._wake.clear()

    def _ensure_executor(self) -> Executor:
        if self._executor is None:
            n = self.settings.solver_workers
            if self.settings.solver_mode == "process":
                ctx = multiprocessing.get_context("spawn")
                self._progress = ctx.Queue()
                self._executor = ProcessPoolExecutor(
                    n,
                    mp_context=ctx,
                    initializer=_init_child,
                    initargs=(self._progress, os.getpid(), self.settings.solver_nice),
                )
            else:
                self._progress = queue.Queue()
                self._executor = ThreadPoolExecutor(n, thread_name_prefix="fieldroute-solve")
        return self._executor

    def _submit(self, claimed: Claimed) -> None:
        executor = self._ensure_executor()
        future: Future[Solved]
        travel = TravelTimes(self.settings.road_network, self.settings.max_snap_m)
        if isinstance(executor, ProcessPoolExecutor):
            future = executor.submit(_solve_in_child, claimed.problem, claimed.plan_id, travel)
        else:
            future = executor.submit(
                solve_document, claimed.problem, claimed.plan_id, self._progress.put, travel
            )
        self._running[claimed.plan_id] = future

        def done(f: Future[Solved], plan_id: int = claimed.plan_id) -> None:
            self._done.put((plan_id, f))
            self._wake.set()

        future.add_done_callback(done)

    def _heartbeat(self) -> None:
        if not self._running:
            return
        with self.sessions() as session:
            session.execute(
                update(PlanJob)
                .where(
                    PlanJob.id.in_(list(self._running)),
                    PlanJob.worker_id == self.worker_id,
                    PlanJob.status == PlanStatus.RUNNING,
                )
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def _drain_progress(self) -> None:
        if self._progress is None:
            return
        latest: dict[int, dict[str, Any]] = {}
        while True:
            try:
                plan_id, progress = self._progress.get_nowait()
            except (queue.Empty, OSError, ValueError):
                break
            latest[plan_id] = progress
        if not latest:
            return
        with self.sessions() as session:
            for plan_id, progress in latest.items():
                session.execute(
                    update(PlanJob)
                    .where(
                        PlanJob.id == plan_id,
                        PlanJob.worker_id == self.worker_id,
                        PlanJob.status == PlanStatus.RUNNING,
                    )
                    .values(progress=progress, heartbeat_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
            session.commit()

    def _collect_done(self) -> None:
        while True:
            try:
                plan_id, future = self._done.get_nowait()
            except queue.Empty:
                return
            self._running.pop(plan_id, None)
            self._drain_progress()
            self._finish(plan_id, future)

    def _finish(self, plan_id: int, future: Future[Solved]) -> None:
        values: dict[str, Any]
        mine = (
            PlanJob.id == plan_id,
            PlanJob.worker_id == self.worker_id,
            PlanJob.status == PlanStatus.RUNNING,
        )
        try:
            result, progress = future.result()
        except BrokenProcessPool:
            if getattr(self._executor, "_broken", False):  # the next job gets a fresh pool
                broken, self._executor = self._executor, None
                assert broken is not None
                broken.shutdown(wait=False, cancel_futures=True)
            # The reaper re-queues it (or fails it, out of attempts) on its next round.
            values = {"heartbeat_at": utcnow() - _seconds(2 * self.settings.stale_after_s)}
            log.error("solver process for plan %s died", plan_id)
        except (InputFormatError, ProblemError, NetworkError) as e:
            values = {"status": PlanStatus.FAILED, "error": str(e), "finished_at": utcnow()}
        except Exception as e:
            log.exception("plan %s failed", plan_id)
            values = {
                "status": PlanStatus.FAILED,
                "error": f"internal error while solving: {type(e).__name__}: {e}",
                "finished_at": utcnow(),
            }
        else:
            values = {
                "status": PlanStatus.SUCCEEDED,
                "result": result,
                **({"progress": progress} if progress is not None else {}),
                "error": None,
                "finished_at": utcnow(),
            }
        with self.sessions() as session:
            session.execute(
                update(PlanJob)
                .where(*mine)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
