"""What the task is doing right now, as a value: the thread's status line ("is reading …").

Pure: derived from the orchestrator's current step or the task's waiting state. The Slack edge
words it (`bot.messages.status_line`); None means "nothing to show" (the status is cleared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.question import ASK_TOOL
from orchestrator.domain.subagents import SPAWN_TOOL
from orchestrator.domain.task import Task, ToolCall

ActivityKind = Literal[
    "thinking",
    "reading_skill",
    "finding_tools",
    "running_tool",
    "running_code",
    "delegating",
    "waiting_approval",
    "waiting_answer",
    "waiting_sign_in",
]

_CODE_TOOLS = frozenset({"run_code", "read_file", "share_file"})


@dataclass(frozen=True, slots=True)
class Activity:
    kind: ActivityKind
    subject: str = ""
    """The skill or tool it concerns, or how many sub-agents it started."""


THINKING = Activity("thinking")


def for_calls(calls: list[ToolCall]) -> Activity:
    """The activity of resolving a turn's tool calls: named after the first one still open."""
    open_calls = [c for c in calls if not c.resolved] or calls
    if not open_calls:
        return THINKING
    call = open_calls[0]
    if call.name in ("load_skill", "read_skill_file"):
        skill = str(call.input.get("name") or call.input.get("skill") or "")
        return Activity("reading_skill", skill.rsplit(":", 1)[-1])
    if call.name == "find_tools":
        return Activity("finding_tools")
    if call.name == SPAWN_TOOL:
        agents = call.input.get("agents")
        return Activity("delegating", str(len(agents)) if isinstance(agents, list) else "")
    if call.name == ASK_TOOL:
        return Activity("waiting_answer")
    if call.name in _CODE_TOOLS:
        return Activity("running_code")
    return Activity("running_tool", tool_label(call.name))


def while_waiting(task: Task) -> Activity | None:
    """The status of a task no agent can advance: waiting for a person, or none at all."""
    calls = [c for a in task.agents.values() for c in a.calls]
    if any(c.status == "awaiting_approval" for c in calls):
        return Activity("waiting_approval")
    if any(c.status == "awaiting_input" for c in calls):
        return Activity("waiting_answer")
    if any(c.status == "awaiting_sign_in" for c in calls):
        return Activity("waiting_sign_in")
    return None


def tool_label(name: str) -> str:
    """A connector tool's own name, without the `plugin__server__` namespace."""
    return name.rsplit("__", 1)[-1]
