"""Task costs: cache tokens, USD spent, and model calls without a price on each task row.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as tasks:
        tasks.add_column(
            sa.Column("cache_read_tokens", sa.BigInteger, nullable=False, server_default="0")
        )
        tasks.add_column(
            sa.Column("cache_write_tokens", sa.BigInteger, nullable=False, server_default="0")
        )
        tasks.add_column(sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"))
        tasks.add_column(
            sa.Column("unpriced_calls", sa.Integer, nullable=False, server_default="0")
        )
    op.create_index("ix_tasks_created_at", "tasks", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_created_at", "tasks")
    with op.batch_alter_table("tasks") as tasks:
        for column in ("unpriced_calls", "cost_usd", "cache_write_tokens", "cache_read_tokens"):
            tasks.drop_column(column)
