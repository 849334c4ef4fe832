"""The progress reply's plan: Slack plan / task-card blocks, or plain lines where they don't render."""

from __future__ import annotations

from bot.slack.blocks import render_progress
from orchestrator import CallLine, Progress, SubagentCard


def view() -> Progress:
    return Progress(
        state="working",
        entries=(
            CallLine(tool="ops__notes__search_notes", status="done"),
            CallLine(tool="run_code", status="failed", error="exit 1"),
            CallLine(tool="find_tools", status="running"),
        ),
        subagents=(SubagentCard(type="researcher", brief="read the logs", state="working"),),
        task_id="task_1",
    )


def test_every_step_and_sub_agent_is_a_task_card_with_its_status() -> None:
    _, blocks = render_progress(view(), plan=True)
    (plan,) = [b for b in blocks if b["type"] == "plan"]
    cards = [(c["title"], c["status"]) for c in plan["tasks"]]
    assert cards == [
        ("Run search_notes", "complete"),
        ("Run run_code", "error"),
        ("Run find_tools", "in_progress"),
        ("Sub-agent (researcher): read the logs", "in_progress"),
    ]
    assert "exit 1" in str(plan["tasks"][1]["details"])
    assert any(b["type"] == "actions" for b in blocks), "the Stop button stays"


def test_the_plain_fallback_lists_the_steps_as_lines() -> None:
    _, blocks = render_progress(view(), plan=False)
    assert not any(b["type"] in ("plan", "task_card") for b in blocks)
    text = str(blocks)
    assert "search_notes" in text and "exit 1" in text


def test_a_plan_with_no_steps_yet_is_not_shown() -> None:
    _, blocks = render_progress(Progress(state="working", task_id="t"), plan=True)
    assert [b["type"] for b in blocks] == ["context", "actions"]
