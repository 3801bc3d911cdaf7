"""Initial schema: tokens, service centres, engineers, visits, plans and their centres.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 13:55:51.300108
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=100), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_status"), ["status"], unique=False)

    op.create_table(
        "service_centres",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_centres")),
    )
    op.create_table(
        "engineers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service_centre_id", sa.String(length=64), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("shift_start", sa.String(length=8), nullable=False),
        sa.Column("shift_end", sa.String(length=8), nullable=False),
        sa.Column("breaks", sa.JSON(), nullable=False),
        sa.Column("overtime_max_min", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_centre_id"],
            ["service_centres.id"],
            name=op.f("fk_engineers_service_centre_id_service_centres"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engineers")),
    )
    with op.batch_alter_table("engineers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engineers_service_centre_id"), ["service_centre_id"], unique=False
        )

    op.create_table(
        "plan_centres",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("service_centre_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_centres_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_centre_id"],
            ["service_centres.id"],
            name=op.f("fk_plan_centres_service_centre_id_service_centres"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("plan_id", "service_centre_id", name=op.f("pk_plan_centres")),
    )
    with op.batch_alter_table("plan_centres", schema=None) as batch_op:
        batch_op.create_index(
            "uq_plan_centres_published",
            ["service_centre_id", "date"],
            unique=True,
            sqlite_where=sa.text("published"),
            postgresql_where=sa.text("published"),
        )

    op.create_table(
        "visits",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("service_centre_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("time_windows", sa.JSON(), nullable=False),
        sa.Column("soft_windows", sa.Boolean(), nullable=False),
        sa.Column("required_skills", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("allowed_engineers", sa.JSON(), nullable=False),
        sa.Column("preferred_engineers", sa.JSON(), nullable=False),
        sa.Column("engineers_required", sa.Integer(), nullable=False),
        sa.Column("job_type", sa.String(length=200), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_phone", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_centre_id"],
            ["service_centres.id"],
            name=op.f("fk_visits_service_centre_id_service_centres"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_visits_service_centre_id"), ["service_centre_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visits_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_status"))
        batch_op.drop_index(batch_op.f("ix_visits_service_centre_id"))
        batch_op.drop_index(batch_op.f("ix_visits_date"))

    op.drop_table("visits")
    with op.batch_alter_table("plan_centres", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_plan_centres_published",
            sqlite_where=sa.text("published"),
            postgresql_where=sa.text("published"),
        )

    op.drop_table("plan_centres")
    with op.batch_alter_table("engineers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engineers_service_centre_id"))

    op.drop_table("engineers")
    op.drop_table("service_centres")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_status"))
        batch_op.drop_index(batch_op.f("ix_plans_date"))

    op.drop_table("plans")
    op.drop_table("api_tokens")
