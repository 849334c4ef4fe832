"""Reports: what `/threadwork status` and `/threadwork usage` answer, from the task records.

`status` lists the person's own unfinished tasks; `usage` sums this month's tasks (UTC) of the
person and of the channel with the same query as `threadwork usage`. Nothing here writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from orchestrator.domain.commands import SlashCommand
from orchestrator.domain.turns import FINISHED
from orchestrator.domain.views import CommandReply
from orchestrator.ports import TaskHistory

SCAN_TASKS = 50


class Reports:
    def __init__(self, tasks: TaskHistory, *, clock: Callable[[], float] = time.time) -> None:
        self._tasks = tasks
        self._clock = clock

    async def answer(self, command: SlashCommand) -> CommandReply:
        if command.verb == "status":
            recent = await self._tasks.recent_tasks(
                command.team_id, command.user_id, limit=SCAN_TASKS
            )
            running = tuple(t for t in recent if t.status not in FINISHED)
            return CommandReply(verb="status", running=running)
        if command.verb == "usage":
            since = month_start(self._clock())
            mine = await self._tasks.spend_since(
                since, team_id=command.team_id, requester=command.user_id
            )
            channel = await self._tasks.spend_since(
                since, team_id=command.team_id, channel_id=command.channel_id
            )
            return CommandReply(
                verb="usage", mine=mine, channel=channel, channel_id=command.channel_id, since=since
            )
        return CommandReply(verb=command.verb, text=command.text)


def month_start(epoch: float) -> float:
    """The first instant of the calendar month (UTC) holding `epoch`."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
