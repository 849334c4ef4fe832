"""Scheduling: which agents of a task can take a step now, and which of them may start.

The runner runs one loop per agent; these rules say when an agent has something to do and how many
sub-agents may run at once. A task is suspended exactly when `startable` is empty and nothing runs.
"""

from __future__ import annotations

from collections.abc import Collection

from orchestrator.domain.task import Agent, Task


def can_progress(agent: Agent) -> bool:
    """True when the agent is ready and has a step to take: close its turn, run calls, or think."""
    return agent.status == "ready" and (
        agent.turn_resolved()
        or any(c.status == "pending" for c in agent.calls)
        or agent.awaits_model()
    )


def startable(
    task: Task, running: Collection[str], *, max_concurrent_subagents: int
) -> list[Agent]:
    """Agents to start now, in task order: every idle agent that can progress, sub-agents capped.

    `running` holds the ids of agents whose loops run already; they count against the cap.
    """
    busy = sum(1 for a in running if task.agents[a].kind == "subagent")
    free = max_concurrent_subagents - busy
    out = []
    for agent in task.agents.values():
        if agent.id in running or not can_progress(agent):
            continue
        if agent.kind == "subagent":
            if free <= 0:
                continue
            free -= 1
        out.append(agent)
    return out
