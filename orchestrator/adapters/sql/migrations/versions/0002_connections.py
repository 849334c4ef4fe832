"""Connections: sealed OAuth tokens per workspace, user (or shared) and connector.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("connector", sa.String(200), nullable=False),
        sa.Column("tokens", sa.Text, nullable=True),
        sa.Column("client_info", sa.Text, nullable=True),
        sa.Column("server_metadata", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.UniqueConstraint("team_id", "user_id", "connector"),
    )
    op.create_index("ix_connections_team_id", "connections", ["team_id"])


def downgrade() -> None:
    op.drop_table("connections")
