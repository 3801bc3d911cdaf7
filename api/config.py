"""Service settings, read from the environment (``FIELDROUTE_`` prefix) or given in code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """A SQLite file ``fieldroute.db`` in the current working directory."""
    return f"sqlite:///{Path.cwd() / 'fieldroute.db'}"


class Settings(BaseSettings):
    """Everything the service can be told; built once in ``create_app`` and injected."""

    model_config = SettingsConfigDict(
        env_prefix="FIELDROUTE_", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db.",
    )
    run_worker: bool = Field(
        default=True, description="Run solve jobs in this process (off: only serve the API)."
    )
    solver_mode: Literal["process", "thread"] = Field(
        default="process",
        description="Solve in child processes (keeps the API responsive) or in threads.",
    )
    solver_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Solver processes (threads in thread mode) of this server process: how "
        "many plans it solves at once; a simulation's replications share them.",
    )
    solver_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="The most processes one solve may run (SolveOptions.workers; 1: all in "
        "its solver process), so that a server runs at most solver_workers x "
        "solver_processes solver processes.",
    )
    solver_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Added to the niceness of solver processes, so that the API's requests "
        "get the CPU first while a solve runs (0: same priority as the server).",
    )
    max_time_limit_s: float = Field(default=300.0, gt=0, description="Longest solve accepted.")
    poll_interval_s: float = Field(default=1.0, gt=0, description="Seconds between job polls.")
    heartbeat_interval_s: float = Field(default=5.0, gt=0)
    stale_after_s: float = Field(
        default=60.0, gt=0, description="A running job without heartbeat this long is dead."
    )
    max_attempts: int = Field(default=2, ge=1, description="Runs of a job before it fails.")
    road_network: str | None = Field(
        default=None,
        description="Plan on OpenStreetMap road travel times: 'bundled' (central Helsinki) or "
        "a .osm.pbf/.osm/.graphml file; unset = straight-line estimates.",
    )
    max_snap_m: float = Field(
        default=500.0,
        gt=0,
        description="With road_network: farthest a location may be from a road, metres.",
    )
    tile_url: str | None = Field(
        default=None,
        description="A map tile server for the pages' maps, as a {z}/{x}/{y} URL template; "
        "unset = the road network itself is the base layer (offline).",
    )
    tile_attribution: str | None = Field(
        default=None, description="The tile server's attribution, shown on the maps."
    )
    die_with_parent: bool = Field(
        default=False,
        description="End this server process when its parent dies (set by `fieldroute serve "
        "--workers N` for its server processes, so that kill -9 of the supervisor leaves no "
        "server or solver process behind; Linux).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body (JSON) accepted, bytes; larger ones get 413.",
    )
    max_upload_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Largest POST /uploads/csv body (all its files), bytes; larger: 413.",
    )
    max_upload_rows: int = Field(
        default=5000,
        ge=1,
        description="Most data rows in one uploaded CSV file; more: 413 naming the file.",
    )
    retry_after_s: int = Field(
        default=5,
        ge=1,
        description="Retry-After of a 503 answered while the database is unreachable.",
    )
    feed_days: int = Field(
        default=14,
        ge=1,
        le=366,
        description="Days a calendar feed covers: today and the following days.",
    )
    auth_failures_max: int = Field(
        default=20,
        ge=1,
        description="Failed authentications one client address may make per window before "
        "its requests get 429.",
    )
    auth_failure_window_s: float = Field(
        default=60.0, gt=0, description="The window of auth_failures_max, seconds."
    )
