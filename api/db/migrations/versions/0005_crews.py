"""Crews: a visit's crew (members with their own skills and minutes) and crew timing.

Revision ID: 0005_crews
Revises: 0004_day_state
Create Date: 2026-12-05 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_crews"
down_revision = "0004_day_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crew", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("crew_timing", sa.JSON(), nullable=False, server_default='"together"')
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("crew_timing")
        batch_op.drop_column("crew")
