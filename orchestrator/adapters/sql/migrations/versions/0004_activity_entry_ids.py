"""Activity rows remember the outbox entry they came from, so a drained entry lands once.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity") as activity:
        activity.add_column(sa.Column("entry_id", sa.String(32), nullable=True))
        activity.create_unique_constraint("uq_activity_entry_id", ["entry_id"])


def downgrade() -> None:
    with op.batch_alter_table("activity") as activity:
        activity.drop_constraint("uq_activity_entry_id", type_="unique")
        activity.drop_column("entry_id")
