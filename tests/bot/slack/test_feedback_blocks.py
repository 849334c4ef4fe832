"""Every final answer ends with 👍/👎 feedback and the task's reference; 👎 asks for a comment."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block, ContextActionsBlock

from bot.slack.blocks import (
    COMMENT_BLOCK,
    FEEDBACK_ACTION,
    FEEDBACK_CALLBACK,
    answer_footer,
    feedback_dialog,
    render,
)
from orchestrator import Answer
from tests.harness.block_kit import block_errors

TASK = "task_AbC-123_xyz"


def test_a_tasks_answer_ends_with_feedback_buttons_and_its_reference() -> None:
    _, blocks = render(Answer(text="The deploy is green.", task_id=TASK))
    assert block_errors(blocks) == []
    *body, actions, footer = blocks
    assert body[0]["text"]["text"] == "The deploy is green."
    assert actions["type"] == "context_actions"
    (element,) = actions["elements"]
    assert element["type"] == "feedback_buttons"
    assert element["action_id"] == FEEDBACK_ACTION
    assert element["positive_button"]["text"]["text"] == "👍"
    assert element["negative_button"]["text"]["text"] == "👎"
    assert element["positive_button"]["value"] == f"positive:{TASK}"
    assert element["negative_button"]["value"] == f"negative:{TASK}"
    assert footer["type"] == "context"
    assert f"threadwork runs show {TASK}" in footer["elements"][0]["text"]


def test_the_footer_is_what_slack_sdk_accepts_for_a_stop_stream() -> None:
    blocks = answer_footer(TASK)
    parsed = [Block.parse(b) for b in blocks]
    assert isinstance(parsed[0], ContextActionsBlock)
    assert [p.to_dict() for p in parsed if p is not None] == blocks  # validates lengths too


def test_an_answer_without_a_task_has_no_feedback() -> None:
    _, blocks = render(Answer(text="hello"))
    assert all(b["type"] == "section" for b in blocks)


def test_a_long_answer_keeps_its_footer_within_slack_limits() -> None:
    _, blocks = render(Answer(text="word " * 40_000, task_id=TASK))
    assert block_errors(blocks) == []
    assert [b["type"] for b in blocks[-2:]] == ["context_actions", "context"]


def test_the_comment_dialog_names_the_task_and_the_answer_only() -> None:
    view = feedback_dialog(TASK, channel_id="C1", thread_ts="1.000001", message_ts="1.000002")
    assert view["callback_id"] == FEEDBACK_CALLBACK
    assert json.loads(view["private_metadata"]) == {
        "task": TASK,
        "channel": "C1",
        "thread_ts": "1.000001",
        "message_ts": "1.000002",
    }
    (field,) = view["blocks"]
    assert field["block_id"] == COMMENT_BLOCK and field["optional"] is True
    assert len(view["title"]["text"]) <= 24
    assert block_errors(view["blocks"], max_blocks=100) == []
