"""Payloads of the App Home: opening it, and the card's buttons pressed there (no channel)."""

from __future__ import annotations

import json

from bot.slack import payloads
from tests.harness.slack_sender import block_action, event_home_opened, home_action, view_submission


def test_opening_the_home_tab_names_the_person_and_messages_tab_is_ignored() -> None:
    assert payloads.home_opened(event_home_opened("U0ALICE")) == "U0ALICE"
    assert payloads.home_opened(event_home_opened("U0ALICE", tab="messages")) is None
    assert payloads.home_opened({"type": "app_home_opened"}) is None


def test_approve_in_the_home_is_a_click_without_a_channel() -> None:
    click = payloads.checkpoint_click(home_action("checkpoint.approve", "cp_1", user="U0BOSS"))
    assert click is not None
    assert (click.checkpoint_id, click.verdict, click.user_id) == ("cp_1", "approve", "U0BOSS")
    assert click.channel_id is None


def test_a_message_button_without_a_channel_is_still_refused() -> None:
    body = block_action("checkpoint.approve", "cp_1", message_ts="1.000001")
    del body["channel"]
    body["container"].pop("channel_id")
    assert payloads.checkpoint_click(body) is None


def test_the_reject_dialog_opened_from_the_home_carries_no_channel() -> None:
    metadata = json.dumps({"checkpoint": "cp_1", "channel": None, "thread_ts": None})
    values = {"reason": {"reason": {"type": "plain_text_input", "value": "not today"}}}
    click = payloads.rejection(
        view_submission("checkpoint.reject", metadata, values), reason_block="reason"
    )
    assert click is not None and click.channel_id is None and click.reason == "not today"
