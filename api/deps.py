"""Annotated dependencies: settings, a database session, the job runner, the solved plans
read back, the caller and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Principal, Role, principal_for
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


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the bearer token; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", _UNAUTHORIZED)
    principal = principal_for(session, credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", _UNAUTHORIZED)
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
