"""Background outreach-day simulations whose state lives in the database.

The same pattern as plan jobs (``api.jobs``): a ``SimulationRunner`` in each server process
claims the oldest queued simulation with a conditional ``UPDATE`` only one claimant can win,
runs it (its replications spread over a local process pool, or one after another in thread
mode), beats a heartbeat while it runs, and records the result or the failure. A running
simulation whose heartbeat stopped is re-queued, or failed once out of attempts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db.models import SimulationJob, utcnow
from api.job_queue import claim_oldest, give_back, reap_stale_rows
from api.schemas import PlanStatus
from scheduler.errors import InputFormatError, NetworkError, ProblemError
from scheduler.simulate.executor import Executor, InlineExecutor, ProcessExecutor

log = logging.getLogger("fieldroute.simulations")


def simulate_document(
    scenario: dict[str, Any], replications: int, executor: Executor
) -> dict[str, Any]:
    """Run a scenario document (the scenario file's JSON); the JSON-ready result."""
    from scheduler.simulate.run import run
    from scheduler.simulate.scenario import scenario_from_dict

    parsed = scenario_from_dict(scenario, source="scenario", base_dir=None)
    result = run(parsed, replications, executor)
    return {**result.as_dict(), "executor": executor.name}


def claim_next_simulation(session: Session, worker_id: str) -> SimulationJob | None:
    """Mark the oldest queued simulation running for ``worker_id``; None if there is none."""
    sim_id = claim_oldest(session, SimulationJob, worker_id)
    return None if sim_id is None else session.get(SimulationJob, sim_id)


def reap_stale_simulations(session: Session, *, stale_after_s: float, max_attempts: int) -> int:
    """Re-queue (or fail, once out of attempts) running simulations whose heartbeat stopped."""
    return reap_stale_rows(
        session, SimulationJob, stale_after_s=stale_after_s, max_attempts=max_attempts
    )


class SimulationRunner:
    """Claims and runs simulations in this process, one at a time; ``notify()`` after
    queueing one. In ``process`` solver mode the replications of a simulation run in a pool
    of ``solver_workers`` processes; in ``thread`` mode one after another in a thread."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner = ThreadPoolExecutor(1, thread_name_prefix="fieldroute-simulate")
        self._pool: ProcessExecutor | None = None
        self._running: tuple[int, Future[dict[str, Any]]] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="fieldroute-simulations", daemon=True
        )
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; give a running simulation back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._running is not None and not self._running[1].done():
            with self.sessions() as session:
                give_back(
                    session,
                    SimulationJob,
                    self.worker_id,
                    "the server shut down while simulating",
                    job_id=self._running[0],
                )
            if self._pool is not None:
                self._pool.terminate()  # its simulation is back in the queue
        if self._pool is not None:
            self._pool.close()
        self._runner.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> Executor:
        if self.settings.solver_mode == "thread":
            return InlineExecutor()
        if self._pool is None:
            self._pool = ProcessExecutor(self.settings.solver_workers)
        return self._pool

    def _loop(self) -> None:
        s = self.settings
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # the loop must survive a database hiccup
                log.exception("simulation loop step failed; retrying")
            self._wake.wait(min(s.poll_interval_s, s.heartbeat_interval_s))
            self._wake.clear()

    def _step(self) -> None:
        s = self.settings
        if self._running is not None:
            sim_id, future = self._running
            if future.done():
                self._running = None
                self._finish(sim_id, future)
            else:
                self._heartbeat(sim_id)
                return
        with self.sessions() as session:
            reap_stale_simulations(
                session, stale_after_s=s.stale_after_s, max_attempts=s.max_attempts
            )
            job = claim_next_simulation(session, self.worker_id)
            if job is None:
                return
            sim_id, scenario, replications = job.id, job.scenario, job.replications
        future = self._runner.submit(simulate_document, scenario, replications, self._executor())
        future.add_done_callback(lambda _: self._wake.set())
        self._running = (sim_id, future)

    def _heartbeat(self, sim_id: int) -> None:
        with self.sessions() as session:
            session.execute(
                update(SimulationJob)
                .where(SimulationJob.id == sim_id, SimulationJob.worker_id == self.worker_id)
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def _finish(self, sim_id: int, future: Future[dict[str, Any]]) -> None:
        values: dict[str, Any]
        try:
            result = future.result()
        except BrokenProcessPool:
            # A replication's process died (killed, out of memory): a fresh pool next time,
            # and the reaper re-queues this simulation (or fails it, out of attempts).
            log.error("a process of simulation %s died", sim_id)
            if self._pool is not None:
                self._pool.terminate()
                self._pool.close()
                self._pool = None
            stale = utcnow() - dt.timedelta(seconds=2 * self.settings.stale_after_s)
            with self.sessions() as session:
                session.execute(
                    update(SimulationJob)
                    .where(SimulationJob.id == sim_id, SimulationJob.worker_id == self.worker_id)
                    .values(heartbeat_at=stale)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
            return
        except (InputFormatError, ProblemError, NetworkError) as e:
            values = {"status": PlanStatus.FAILED, "error": str(e)}
        except Exception as e:
            log.exception("simulation %s failed", sim_id)
            values = {
                "status": PlanStatus.FAILED,
                "error": f"internal error while simulating: {type(e).__name__}: {e}",
            }
        else:
            values = {"status": PlanStatus.SUCCEEDED, "result": result, "error": None}
        with self.sessions() as session:
            session.execute(
                update(SimulationJob)
                .where(
                    SimulationJob.id == sim_id,
                    SimulationJob.worker_id == self.worker_id,
                    SimulationJob.status == PlanStatus.RUNNING,
                )
                .values(**values, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()
