"""Who a connector call runs as: one person of one workspace, or the workspace's shared account.

A connection (sealed tokens) belongs to exactly one `Identity`; the connector pool keeps one
session per server per identity, so one person's token never serves another person's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConnectionMode = Literal["per_user", "shared", "none"]
SHARED = ""
"""The `user_id` of a workspace's shared connection."""


@dataclass(frozen=True, slots=True)
class Identity:
    """`user_id` is a Slack user id, or `SHARED` for the connection an admin made for everyone."""

    team_id: str
    user_id: str
    connector: str
    """The connector's label, `plugin/server`."""

    @property
    def shared(self) -> bool:
        return self.user_id == SHARED

    @property
    def key(self) -> str:
        """A stable text form, used to keep sessions apart (never shown, never a secret)."""
        return f"{self.team_id}:{self.user_id or '*'}:{self.connector}"


def identity_for(
    mode: ConnectionMode, *, team_id: str, user_id: str, connector: str
) -> Identity | None:
    """The identity a call by `user_id` runs as under `mode`; None when it needs none."""
    if mode == "none":
        return None
    return Identity(team_id, user_id if mode == "per_user" else SHARED, connector)
