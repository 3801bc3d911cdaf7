"""The FastAPI application: ``create_app(settings)`` wires storage, jobs and routers."""

from __future__ import annotations

import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from api.auth_limit import FailedAuthLimiter
from api.config import Settings
from api.db.engine import make_engine, make_sessionmaker
from api.db.migrate import migrate
from api.errors import validation_error
from api.jobs import JobKind, JobRunner, PlanJobs, SimulationJobs
from api.jobs.pool import die_with_parent
from api.limits import BodyLimit
from api.routes import (
    audit,
    board,
    centres,
    day_state,
    diff,
    engineers,
    feeds,
    health,
    moves,
    pages,
    plans,
    replan,
    schedule,
    simulations,
    slots,
    uploads,
    visits,
)
from api.store.plans import SolvedPlans

log = logging.getLogger("fieldroute.api")

DESCRIPTION = """\
Daily routes for field engineers. Dispatchers load centres, engineers and visits, request a
plan (`POST /plans`, solved in the background), poll it and publish it; engineers fetch their
own schedule as JSON or iCalendar and report visit progress; planners request what-if plans.
Every endpoint but `/health` and the docs needs `Authorization: Bearer <token>`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for ``settings`` (read from the environment when not given).

    On start-up the database is migrated to the current schema (refused with
    ``DatabaseRevisionError`` when it is at a revision this code does not know) and, with
    ``settings.run_worker``, this process starts claiming plan and simulation jobs.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.die_with_parent:
            die_with_parent(signal.SIGTERM)
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        app.state.sessions = make_sessionmaker(engine)
        runner = None
        if settings.run_worker:
            kinds: list[JobKind[Any]] = [PlanJobs(settings), SimulationJobs(settings)]
            runner = JobRunner(app.state.sessions, settings, kinds)
            runner.start()
        app.state.runner = runner
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            engine.dispose()

    app = FastAPI(title="fieldroute", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.runner = None
    app.state.solved_plans = SolvedPlans()
    app.state.auth_limiter = FailedAuthLimiter(
        settings.auth_failures_max, settings.auth_failure_window_s
    )
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.exception_handler(IntegrityError)
    async def integrity_conflict(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error answered as 409: %s", exc.orig)
        return JSONResponse(
            {"detail": "the change conflicts with data already stored"},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(DataError)
    async def data_rejected(_: Request, exc: DataError) -> JSONResponse:
        log.info("data error answered as 422: %s", exc.orig)
        return JSONResponse(
            {"detail": "a value was rejected by the database (out of range or malformed)"},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.error("database error: %s", str(exc).splitlines()[0] if str(exc) else exc)
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(settings.retry_after_s)},
        )

    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(InterfaceError, database_unavailable)

    for module in (
        health,
        centres,
        engineers,
        schedule,
        feeds,
        visits,
        plans,
        simulations,
        uploads,
        audit,
    ):
        app.include_router(module.router)
    # The day as it runs (issue 19): its state, re-plans, diffs, manual moves, booking slots.
    for module in (day_state, replan, diff, moves, slots):
        app.include_router(module.router)
    # The browser pages (api/web) and what they read.
    app.include_router(board.me_router)
    app.include_router(board.router)
    app.include_router(pages.router)
    # Outermost last: the body cap sees the raw request, gzip the final response.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(
        BodyLimit, body_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes
    )
    return app
