"""The day as it runs: actual start and end of visits, engineers' positions and time off per
day, and plan versions (the plan a re-plan or a manual move replaces, and how it was made).

Revision ID: 0004_day_state
Revises: 0003_service_hardening
Create Date: 2026-12-05 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_day_state"
down_revision = "0003_service_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actual_start", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("actual_end", sa.DateTime(), nullable=True))
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plans_replaces_id_plans"), "plans", ["replaces_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_plans_replaces_id"), ["replaces_id"], unique=False)
    op.create_table(
        "engineer_days",
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.Column("off_from", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineers.id"],
            name=op.f("fk_engineer_days_engineer_id_engineers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engineer_id", "date", name=op.f("pk_engineer_days")),
    )


def downgrade() -> None:
    op.drop_table("engineer_days")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_replaces_id"))
        batch_op.drop_constraint(batch_op.f("fk_plans_replaces_id_plans"), type_="foreignkey")
        batch_op.drop_column("revision")
        batch_op.drop_column("replaces_id")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("actual_end")
        batch_op.drop_column("actual_start")
