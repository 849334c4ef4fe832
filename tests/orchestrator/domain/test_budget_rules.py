"""Budget rules without services: which limit stops an agent's next step, per scope."""

from __future__ import annotations

import pytest

from orchestrator.domain.budget import Overrun, overrun
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, ThreadRef, Usage
from plugins import Limits

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")
LIMITS = Limits(
    max_steps=5,
    max_tokens=1_000,
    max_task_tokens=3_000,
    subagent_max_steps=4,
    subagent_max_tokens=500,
)


def task_with(
    *, steps: int = 0, tokens: int = 0, turn_calls: int = 0, turn_tokens: int = 0
) -> Task:
    main = Agent(id=ORCHESTRATOR, model="m", steps=steps)
    return Task(
        id="task_1",
        thread=THREAD,
        requester="U1",
        agents={ORCHESTRATOR: main},
        usage=Usage(input_tokens=tokens),
        turn_first_model_calls=turn_calls,
        turn_first_tokens=turn_tokens,
    )


def sub(*, steps: int = 0, tokens: int = 0, max_steps: int | None = None) -> Agent:
    return Agent(
        id="sub_1",
        kind="subagent",
        model="m",
        steps=steps,
        usage=Usage(output_tokens=tokens),
        max_steps=max_steps,
    )


def test_a_fresh_task_may_step() -> None:
    task = task_with()
    assert overrun(task, task.orchestrator, LIMITS) is None


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"steps": 4}, None),
        ({"steps": 5}, Overrun("turn_steps", 5)),
        # Steps of earlier turns do not count: the turn began after 10 model calls.
        ({"steps": 14, "turn_calls": 10}, None),
        ({"steps": 15, "turn_calls": 10}, Overrun("turn_steps", 5)),
        ({"tokens": 999}, None),
        ({"tokens": 1_000}, Overrun("turn_tokens", 1_000)),
        ({"tokens": 2_500, "turn_tokens": 2_000}, None),
        # Over the thread's life the ceiling counts every turn's tokens.
        ({"tokens": 3_000, "turn_tokens": 2_500}, Overrun("task_tokens", 3_000)),
        ({"tokens": 2_999, "turn_tokens": 2_500}, None),
    ],
)
def test_the_orchestrator_is_held_to_the_turn_and_task_budgets(
    state: dict[str, int], expected: Overrun | None
) -> None:
    task = task_with(**state)
    assert overrun(task, task.orchestrator, LIMITS) == expected


def test_the_turn_limit_is_reported_before_the_task_ceiling() -> None:
    task = task_with(tokens=5_000)
    assert overrun(task, task.orchestrator, LIMITS) == Overrun("turn_tokens", 1_000)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (sub(steps=3), None),
        (sub(steps=4), Overrun("subagent_steps", 4)),
        # Its definition's maxTurns (already capped when it was spawned) is its own limit.
        (sub(steps=2, max_steps=2), Overrun("subagent_steps", 2)),
        (sub(steps=1, max_steps=2), None),
        (sub(tokens=500), Overrun("subagent_tokens", 500)),
        (sub(tokens=499), None),
    ],
)
def test_a_subagent_is_held_to_its_own_budget(agent: Agent, expected: Overrun | None) -> None:
    assert overrun(task_with(), agent, LIMITS) == expected


def test_a_subagent_is_not_stopped_by_the_turn_budgets() -> None:
    task = task_with(steps=50, tokens=50_000)
    assert overrun(task, sub(), LIMITS) is None


def test_each_overrun_names_its_budget_in_words() -> None:
    assert Overrun("turn_steps", 5).what == "steps"
    assert Overrun("task_tokens", 5).what == "task tokens"
    assert Overrun("subagent_steps", 5).what == "sub-agent steps"
