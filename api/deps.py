"""Annotated dependencies: settings, a database session, the job runner, the solved plans
read back, the caller and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Principal, Role, principal_for
from api.auth_limit import FailedAuthLimiter
from api.config import Settings
from api.jobs import JobRunner
from api.store.plans import SolvedPlans


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; handlers commit once, anything uncommitted is rolled back."""
    with request.app.state.sessions() as session:
        yield session


def get_runner(request: Request) -> JobRunner | None:
    """This process's job runner; None when it runs no jobs (``run_worker`` off)."""
    runner: JobRunner | None = request.app.state.runner
    return runner


def get_solved_plans(request: Request) -> SolvedPlans:
    """The application's succeeded plans, read back as domain objects."""
    plans: SolvedPlans = request.app.state.solved_plans
    return plans


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
RunnerDep = Annotated[JobRunner | None, Depends(get_runner)]
SolvedPlansDep = Annotated[SolvedPlans, Depends(get_solved_plans)]

_bearer = HTTPBearer(auto_error=False, description="A token from `fieldroute token create`.")

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def check_not_throttled(request: Request) -> None:
    """429 with ``Retry-After`` while this client has too many recent failed
    authentications (``auth_failures_max`` per ``auth_failure_window_s``)."""
    limiter: FailedAuthLimiter = request.app.state.auth_limiter
    wait = limiter.retry_after(client_address(request))
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed authentications from this address; retry in {wait} s",
            {"Retry-After": str(wait)},
        )


def authentication_failed(request: Request, message: str) -> HTTPException:
    """Count a failed authentication of this client; the 401 to raise."""
    limiter: FailedAuthLimiter = request.app.state.auth_limiter
    limiter.failed(client_address(request))
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, _UNAUTHORIZED)


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_principal(request: Request, session: SessionDep, credentials: BearerDep) -> Principal:
    """The caller behind the bearer token; 401 without a valid one, 429 after too many
    failed attempts from the caller's address."""
    return authenticate(request, session, credentials)


def authenticate(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """:func:`get_principal`'s work, for a handler that opens its own session."""
    check_not_throttled(request)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", _UNAUTHORIZED)
    principal = principal_for(session, credentials.credentials)
    if principal is None:
        raise authentication_failed(request, "unknown or revoked token")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency letting only ``roles`` through (403 for the others)."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs a {allowed} token, not {principal.role}"
            )
        return principal

    return check


Dispatcher = Annotated[Principal, Depends(require(Role.DISPATCHER))]
Staff = Annotated[Principal, Depends(require(Role.DISPATCHER, Role.PLANNER))]
