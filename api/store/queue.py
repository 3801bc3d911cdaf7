"""The database job queue: the state of plan and simulation jobs, one row per job.

A row is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite ignores it)
and then a conditional ``UPDATE ... WHERE status = 'queued'`` that only one claimant can
win, so several server processes on one database never run a job twice. A ``running`` row
whose heartbeat is older than ``stale_after_s`` seconds belongs to a dead process: it is
re-queued, or failed with that reason once it has used ``max_attempts``.

These functions change rows and leave the commit to the caller (the job runner commits each
step once): a claim counts only once committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import PlanJob, SimulationJob, utcnow
from api.schemas import PlanStatus

JobModel = type[PlanJob] | type[SimulationJob]
"""The tables whose rows are jobs."""


def claim_oldest(session: Session, model: JobModel, worker_id: str, **values: Any) -> int | None:
    """Mark the oldest queued row of ``model`` running for ``worker_id`` (also setting
    ``values``); its id, or None when nothing is queued or another claimant won it."""
    row = session.execute(
        select(model.id)
        .where(model.status == PlanStatus.QUEUED)
        .order_by(model.created_at, model.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None:
        return None
    now = utcnow()
    won = session.execute(
        update(model)
        .where(model.id == row.id, model.status == PlanStatus.QUEUED)
        .values(
            status=PlanStatus.RUNNING,
            worker_id=worker_id,
            attempts=model.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    job_id: int = row.id
    return job_id


def update_running(
    session: Session, model: JobModel, worker_id: str, job_ids: Collection[int], **values: Any
) -> None:
    """Set ``values`` on the rows among ``job_ids`` that ``worker_id`` is running; rows that
    were re-queued or finished meanwhile (another worker's now) are left alone."""
    if not job_ids:
        return
    session.execute(
        update(model)
        .where(
            model.id.in_(list(job_ids)),
            model.worker_id == worker_id,
            model.status == PlanStatus.RUNNING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def reap_stale(
    session: Session, model: JobModel, *, stale_after_s: float, max_attempts: int
) -> int:
    """Re-queue (or fail, once out of attempts) running rows whose heartbeat stopped;
    how many rows changed."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after_s)
    dead = (model.status == PlanStatus.RUNNING, model.heartbeat_at < cutoff)
    why = f"the process running it stopped (no heartbeat for {stale_after_s:g} s)"
    failed = session.execute(
        update(model)
        .where(*dead, model.attempts >= max_attempts)
        .values(
            status=PlanStatus.FAILED,
            error=f"{why}; gave up after {max_attempts} attempts",
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    requeued = session.execute(
        update(model)
        .where(*dead, model.attempts < max_attempts)
        .values(status=PlanStatus.QUEUED, worker_id=None, error=f"{why}; re-queued")
        .execution_options(synchronize_session=False)
    )
    n: int = failed.rowcount + requeued.rowcount  # type: ignore[attr-defined]
    return n


def give_back(session: Session, model: JobModel, worker_id: str, reason: str) -> None:
    """Put ``worker_id``'s running rows back in the queue without using up an attempt, e.g.
    when the server shuts down mid-run."""
    session.execute(
        update(model)
        .where(model.worker_id == worker_id, model.status == PlanStatus.RUNNING)
        .values(
            status=PlanStatus.QUEUED,
            worker_id=None,
            attempts=model.attempts - 1,
            error=f"re-queued: {reason}",
        )
        .execution_options(synchronize_session=False)
    )


def cancel_job(session: Session, model: JobModel, job_id: int, reason: str) -> bool:
    """Mark job ``job_id`` cancelled if it is queued or running (a runner running it stops
    it: :func:`cancelled_among`); whether it was."""
    done = session.execute(
        update(model)
        .where(model.id == job_id, model.status.in_([PlanStatus.QUEUED, PlanStatus.RUNNING]))
        .values(status=PlanStatus.CANCELLED, error=reason, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def cancelled_among(session: Session, model: JobModel, job_ids: Collection[int]) -> list[int]:
    """Which of ``job_ids`` were cancelled."""
    if not job_ids:
        return []
    return list(
        session.scalars(
            select(model.id).where(
                model.id.in_(list(job_ids)), model.status == PlanStatus.CANCELLED
            )
        )
    )
