"""Bearer tokens: random, shown once, stored as SHA-256; each carries one role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import ApiToken, Engineer

TOKEN_PREFIX = "fr_"
FEED_PREFIX = "frcal_"
FEED_ROLE = "calendar"
"""The role stored for a calendar feed's token: it reads one engineer's feed, nothing else
(it is never a bearer token)."""


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    PLANNER = "planner"
    ENGINEER = "engineer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's role and, for an engineer, which engineer."""

    token_id: int
    role: Role
    engineer_id: str | None = None


class TokenError(ValueError):
    """A token cannot be created as asked (message says why)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, role: Role, *, engineer_id: str | None = None, name: str = ""
) -> str:
    """Store a new token and return its clear text (the only time it exists)."""
    if role is Role.ENGINEER:
        if not engineer_id:
            raise TokenError("an engineer token needs --engineer ID")
        if session.get(Engineer, engineer_id) is None:
            raise TokenError(f"engineer {engineer_id!r} is not known; create the engineer first")
    elif engineer_id is not None:
        raise TokenError(f"--engineer is only for engineer tokens, not {role.value}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(token_hash=hash_token(token), role=role.value, engineer_id=engineer_id, name=name)
    )
    return token


def principal_for(session: Session, token: str) -> Principal | None:
    """The principal a clear-text token stands for, or None when unknown or revoked."""
    row = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token),
            ~ApiToken.revoked,
            ApiToken.role.in_([r.value for r in Role]),  # a calendar feed's token is no bearer
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(row.id, Role(row.role), row.engineer_id)


def create_feed_token(session: Session, engineer_id: str, *, name: str = "") -> tuple[int, str]:
    """Store a calendar feed token for the engineer; its id and clear text (shown once)."""
    if session.get(Engineer, engineer_id) is None:
        raise TokenError(f"engineer {engineer_id!r} is not known; create the engineer first")
    token = FEED_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(token), role=FEED_ROLE, engineer_id=engineer_id, name=name)
    session.add(row)
    session.flush()
    return row.id, token


def feed_engineer(session: Session, token: str) -> tuple[int, str] | None:
    """(token id, engineer id) of an active calendar feed token; None otherwise."""
    row = session.execute(
        select(ApiToken.id, ApiToken.engineer_id).where(
            ApiToken.token_hash == hash_token(token), ApiToken.role == FEED_ROLE, ~ApiToken.revoked
        )
    ).one_or_none()
    if row is None or row.engineer_id is None:
        return None
    return row.id, row.engineer_id
