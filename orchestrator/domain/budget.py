"""Budgets: whether an agent may take another step, as a value (`Overrun` or None).

Three scopes, all from one `Limits`: a sub-agent's own steps and tokens; a turn of the thread (the
orchestrator's model calls and every agent's tokens since the turn's message arrived); and the
task over the thread's whole life (every agent's tokens, across all turns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.task import Agent, Task
from plugins import Limits

BudgetKind = Literal[
    "turn_steps", "turn_tokens", "task_tokens", "subagent_steps", "subagent_tokens"
]


@dataclass(frozen=True, slots=True)
class Overrun:
    """A budget that is used up: which one, and its limit."""

    kind: BudgetKind
    limit: int

    @property
    def what(self) -> str:
        """The budget in words, as the model and the activity log see it."""
        return _WHAT[self.kind]


_WHAT: dict[BudgetKind, str] = {
    "turn_steps": "steps",
    "turn_tokens": "tokens",
    "task_tokens": "task tokens",
    "subagent_steps": "sub-agent steps",
    "subagent_tokens": "sub-agent tokens",
}


def overrun(task: Task, agent: Agent, limits: Limits) -> Overrun | None:
    """The budget that stops `agent`'s next step, or None if it may go on."""
    if agent.kind == "subagent":
        steps = agent.max_steps or limits.subagent_max_steps
        if agent.steps >= steps:
            return Overrun("subagent_steps", steps)
        if agent.usage.total >= limits.subagent_max_tokens:
            return Overrun("subagent_tokens", limits.subagent_max_tokens)
        return None
    if agent.steps - task.turn_first_model_calls >= limits.max_steps:
        return Overrun("turn_steps", limits.max_steps)
    if task.usage.total - task.turn_first_tokens >= limits.max_tokens:
        return Overrun("turn_tokens", limits.max_tokens)
    if task.usage.total >= limits.max_task_tokens:
        return Overrun("task_tokens", limits.max_task_tokens)
    return None
