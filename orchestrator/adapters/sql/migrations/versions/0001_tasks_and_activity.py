"""Tasks and the append-only activity log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("input_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_tasks_status", "tasks", ["status"])
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("correlation_id", sa.String(40), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_activity_task_id", "activity", ["task_id"])
    op.create_index("ix_activity_kind", "activity", ["kind"])
    op.create_index("ix_activity_correlation_id", "activity", ["correlation_id"])


def downgrade() -> None:
    op.drop_table("activity")
    op.drop_table("tasks")
