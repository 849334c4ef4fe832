"""The task's plan as Slack's plan and task-card blocks: one card per step and per sub-agent.

A pure renderer built on slack_sdk's own models (`PlanBlock`, `TaskCardBlock`, which check their
fields). `bot.slack.blocks.render_progress` uses it where the workspace renders these blocks, and
falls back to plain context lines where it does not.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import PlanBlock, TaskCardBlock

from bot import messages
from orchestrator import CallLine, Progress, SubagentCard
from orchestrator.domain.activity import tool_label

PLAN_TYPES = frozenset({"plan", "task_card"})
TITLE_LIMIT = 150

_CALL_STATUS = {
    "pending": "pending",
    "running": "in_progress",
    "awaiting_approval": "in_progress",
    "awaiting_subagents": "in_progress",
    "awaiting_input": "in_progress",
    "awaiting_sign_in": "in_progress",
    "done": "complete",
    "failed": "error",
}
_AGENT_STATUS = {
    "working": "in_progress",
    "waiting": "in_progress",
    "asking": "in_progress",
    "connecting": "in_progress",
    "done": "complete",
    "failed": "error",
    "stopped": "error",
}


def plan_block(view: Progress) -> dict[str, Any] | None:
    """The plan of the progress reply, or None when it has no step yet."""
    cards = [_call_card(i, e) for i, e in enumerate(view.entries) if isinstance(e, CallLine)]
    cards += [_agent_card(i, agent) for i, agent in enumerate(view.subagents)]
    if not cards:
        return None
    return PlanBlock(title=messages.plan_title(view.state), tasks=cards).to_dict()


def _call_card(index: int, entry: CallLine) -> TaskCardBlock:
    return TaskCardBlock(
        task_id=f"step-{index}",
        title=messages.plan_step(tool_label(entry.tool))[:TITLE_LIMIT],
        status=_CALL_STATUS.get(entry.status, "pending"),
        details=_rich(entry.error) if entry.error else None,
    )


def _agent_card(index: int, agent: SubagentCard) -> TaskCardBlock:
    return TaskCardBlock(
        task_id=f"agent-{index}",
        title=messages.plan_subagent(agent.type, agent.brief)[:TITLE_LIMIT],
        status=_AGENT_STATUS.get(agent.state, "in_progress"),
        output=_rich(agent.result[:500]) if agent.result else None,
    )


def _rich(text: str) -> dict[str, Any]:
    # rich_text elements are plain text: model or tool text cannot mention or link anyone.
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "elements": [section]}
