"""A task waiting for someone to connect an account says so in its status line."""

from __future__ import annotations

from bot import messages
from orchestrator.domain.activity import while_waiting
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall


def test_a_task_waiting_for_a_sign_in_says_so() -> None:
    call = ToolCall(id="t1", name="find_tools", status="awaiting_sign_in", sign_in="crm/crm")
    task = Task(
        id="task_1",
        thread=ThreadRef(team_id="T", channel_id="C", thread_ts="1.0"),
        requester="U0ALICE",
        agents={"main": Agent(id="main", model="m", calls=[call])},
    )
    activity = while_waiting(task)
    assert activity is not None
    assert messages.status_line(activity.kind) == "is waiting for an account to be connected"
