"""SQLAlchemy 2.0 typed models. Times are naive UTC ``datetime`` (see ``utcnow``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now in UTC, naive: stored the same way on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ApiToken(Base):
    """A bearer token, stored as its SHA-256; ``engineer_id`` binds an engineer's token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    engineer_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceCentre(Base):
    """A service centre engineers leave from and return to."""

    __tablename__ = "service_centres"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Engineer(Base):
    """A field engineer's standing details; shift times are clock times applied to each day."""

    __tablename__ = "engineers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    service_centre_id: Mapped[str] = mapped_column(
        ForeignKey("service_centres.id", ondelete="RESTRICT"), index=True
    )
    skills: Mapped[list[Any]] = mapped_column(default=list)
    shift_start: Mapped[str] = mapped_column(String(8))
    shift_end: Mapped[str] = mapped_column(String(8))
    breaks: Mapped[list[Any]] = mapped_column(default=list)
    overtime_max_min: Mapped[float] = mapped_column(Float, default=0.0)
    phone: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Visit(Base):
    """A home-service visit or community event on one day, from one service centre."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_centre_id: Mapped[str] = mapped_column(
        ForeignKey("service_centres.id", ondelete="RESTRICT"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(32), default="home_service")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(500), default="")
    duration_min: Mapped[float] = mapped_column(Float)
    time_windows: Mapped[list[Any]] = mapped_column(default=list)
    soft_windows: Mapped[bool] = mapped_column(Boolean, default=False)
    required_skills: Mapped[list[Any]] = mapped_column(default=list)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    allowed_engineers: Mapped[list[Any]] = mapped_column(default=list)
    preferred_engineers: Mapped[list[Any]] = mapped_column(default=list)
    engineers_required: Mapped[int] = mapped_column(Integer, default=1)
    # A crew (issue 18): [{"skills": [...], "duration_min": N}, ...] or None; its timing
    # "together" or {"sequence": {"min_gap_min": a, "max_gap_min": b}}.
    crew: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, default=None)
    crew_timing: Mapped[Any] = mapped_column(JSON, nullable=False, default="together")
    job_type: Mapped[str] = mapped_column(String(200), default="")
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_phone: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status_note: Mapped[str] = mapped_column(Text, default="")
    actual_start: Mapped[dt.datetime | None] = mapped_column(DateTime)
    actual_end: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PlanJob(Base):
    """A plan request and the background job computing it; the job's state lives here."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problem: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column()
    progress: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), index=True
    )
    revision: Mapped[dict[str, Any] | None] = mapped_column()

    centres: Mapped[list[PlanCentre]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanCentre(Base):
    """One service centre covered by a plan. At most one published row per centre and date."""

    __tablename__ = "plan_centres"
    __table_args__ = (
        Index(
            "uq_plan_centres_published",
            "service_centre_id",
            "date",
            unique=True,
            sqlite_where=text("published"),
            postgresql_where=text("published"),
        ),
    )

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    service_centre_id: Mapped[str] = mapped_column(
        ForeignKey("service_centres.id", ondelete="RESTRICT"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[PlanJob] = relationship(back_populates="centres")


class EngineerDay(Base):
    """An engineer's state on one day: last known position and when, off from when (sick,
    leave). Times are naive UTC like every stored time."""

    __tablename__ = "engineer_days"

    engineer_id: Mapped[str] = mapped_column(
        ForeignKey("engineers.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    off_from: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SimulationJob(Base):
    """An outreach-day simulation request and the background job running it."""

    __tablename__ = "simulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    scenario: Mapped[dict[str, Any]] = mapped_column()
    replications: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PublishedSchedule(Base):
    """An engineer's day of a published plan, rendered once when the plan is published (and
    again when a visit's status on it changes): what ``GET /engineers/{id}/schedule`` sends,
    with its ETag. Rows go when the plan is unpublished."""

    __tablename__ = "published_schedules"
    __table_args__ = (Index("ix_published_schedules_engineer_date", "engineer_id", "date"),)

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    engineer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(80))
    rendered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Base):
    """Who (token id and role) did what to which resource and when; append-only (the
    database refuses to change or delete a row)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    token_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32), index=True)
    resource: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
