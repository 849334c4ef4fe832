"""Feedback clicks and the 👎 comment dialog become `FeedbackClick`s; forged values are ignored."""

from __future__ import annotations

import json

import pytest

from bot.slack import payloads
from tests.harness.slack_sender import TEAM_ID, block_action, view_submission

COMMENT = "comment"


def click(value: str, **kwargs: str) -> dict:
    return block_action(
        "answer.feedback",
        value,
        user="U0BOB",
        message_ts="1700000000.000300",
        thread_ts="1700000000.000100",
        element="feedback_buttons",
        **kwargs,
    )


def test_a_thumbs_down_names_the_task_the_thread_and_the_answer() -> None:
    parsed = payloads.feedback_click(click("negative:task_abc-1"))
    assert parsed is not None
    assert (parsed.task_id, parsed.value, parsed.user_id) == ("task_abc-1", "negative", "U0BOB")
    assert parsed.thread.thread_ts == "1700000000.000100"
    assert (parsed.thread.team_id, parsed.thread.channel_id) == (TEAM_ID, "C0GENERAL")
    assert parsed.message_ts == "1700000000.000300"
    assert parsed.comment is None


@pytest.mark.parametrize(
    "value", ["positive", "meh:task_abc", "positive:", "positive:task abc", "negative:x:y"]
)
def test_a_value_we_never_sent_is_ignored(value: str) -> None:
    assert payloads.feedback_click(click(value)) is None


def test_an_answer_at_the_top_of_a_dm_is_its_own_thread() -> None:
    body = block_action("answer.feedback", "positive:task_a", channel="D0DM", message_ts="5.000001")
    parsed = payloads.feedback_click(body)
    assert parsed is not None and parsed.thread.thread_ts == "5.000001"


def test_the_comment_dialog_carries_the_comment_trimmed() -> None:
    metadata = json.dumps(
        {"task": "task_a", "channel": "C1", "thread_ts": "1.000001", "message_ts": "1.000002"}
    )
    values = {COMMENT: {COMMENT: {"type": "plain_text_input", "value": "  wrong quarter \n"}}}
    parsed = payloads.feedback_comment(
        view_submission("answer.feedback_comment", metadata, values, user="U0BOB"),
        comment_block=COMMENT,
    )
    assert parsed is not None
    assert (parsed.task_id, parsed.value, parsed.comment) == ("task_a", "negative", "wrong quarter")
    assert parsed.thread.channel_id == "C1" and parsed.message_ts == "1.000002"


@pytest.mark.parametrize(
    "metadata",
    [
        "not json",
        "[]",
        json.dumps({"task": "bad id!", "channel": "C1", "thread_ts": "1.0"}),
        json.dumps({"task": "task_a", "thread_ts": "1.0"}),
    ],
)
def test_a_dialog_whose_metadata_we_did_not_write_is_ignored(metadata: str) -> None:
    body = view_submission("answer.feedback_comment", metadata, {})
    assert payloads.feedback_comment(body, comment_block=COMMENT) is None
