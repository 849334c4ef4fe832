"""Sub-agent limits without services: how many may start, and each one's step budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.domain.subagents import SpawnError, spawn
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, ThreadRef, ToolCall
from plugins import AgentDefinition, Limits

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def definition(max_turns: int | None) -> AgentDefinition:
    return AgentDefinition(
        plugin="ops",
        name="reader",
        description="reads",
        tools=None,
        model=None,
        system_prompt="Read.",
        path=Path("agents/reader.md"),
        max_turns=max_turns,
    )


def spawned(limits: Limits, *requests: dict[str, str], max_turns: int | None = None) -> list[Agent]:
    task = Task(
        id="task_1",
        thread=THREAD,
        requester="U1",
        agents={ORCHESTRATOR: Agent(id=ORCHESTRATOR, model="m")},
    )
    call = ToolCall(id="toolu_1", name="spawn_subagents", input={"agents": list(requests)})
    return spawn(
        task,
        task.orchestrator,
        call,
        definitions={"ops:reader": definition(max_turns)},
        models={},
        limits=limits,
    )


@pytest.mark.parametrize(
    ("max_turns", "expected"),
    [(None, 6), (3, 3), (50, 6)],
)
def test_a_definitions_max_turns_may_lower_the_step_limit_never_raise_it(
    max_turns: int | None, expected: int
) -> None:
    (child,) = spawned(
        Limits(subagent_max_steps=6), {"type": "ops:reader", "brief": "b"}, max_turns=max_turns
    )
    assert child.max_steps == expected


def test_a_general_purpose_subagent_gets_the_admins_step_limit() -> None:
    (child,) = spawned(Limits(subagent_max_steps=7), {"type": "general-purpose", "brief": "b"})
    assert child.max_steps == 7


def test_no_more_subagents_than_the_task_may_start() -> None:
    with pytest.raises(SpawnError, match="At most 2 sub-agents per task"):
        spawned(Limits(max_subagents=2), *[{"type": "general-purpose", "brief": "b"}] * 3)
