"""Slack event payloads become commands, or are ignored: the bot never answers itself or noise."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack import payloads
from tests.harness.slack_sender import BOT_USER, TEAM_ID, app_mention, thread_message

THREAD_TS = "1700000000.000100"


def reply(event: dict[str, Any]) -> Any:
    return payloads.thread_reply(event, team_id=TEAM_ID, bot_user_id=BOT_USER)


def test_a_top_level_mention_opens_a_task_on_its_own_message() -> None:
    event = app_mention("summarise the incident", user="U0ALICE", channel="C0OPS")
    message = payloads.mention(event, team_id=TEAM_ID)
    assert message is not None
    assert message.thread.thread_ts == event["ts"], "thread_ts falls back to the message's ts"
    assert (message.thread.team_id, message.thread.channel_id) == (TEAM_ID, "C0OPS")
    assert message.user_id == "U0ALICE"
    assert message.message_ts == event["ts"]
    assert message.mention is True


def test_a_mention_inside_a_thread_belongs_to_that_thread() -> None:
    event = app_mention("and the follow-ups?", thread_ts=THREAD_TS)
    message = payloads.mention(event, team_id=TEAM_ID)
    assert message is not None
    assert message.thread.thread_ts == THREAD_TS
    assert message.message_ts == event["ts"] != THREAD_TS


@pytest.mark.parametrize(
    "text",
    [
        f"<@{BOT_USER}> summarise the incident",
        f"<@{BOT_USER}|threadwork>   summarise the incident  ",
        f"summarise the incident <@{BOT_USER}>",
    ],
)
def test_mention_text_is_stripped_of_the_bot_token(text: str) -> None:
    message = payloads.mention(app_mention(text), team_id=TEAM_ID)
    assert message is not None
    assert message.text == "summarise the incident"


def test_other_peoples_mentions_are_kept() -> None:
    message = payloads.mention(
        app_mention(f"<@{BOT_USER}> ask <@U0BOB> to approve"), team_id=TEAM_ID
    )
    assert message is not None
    assert message.text == "ask <@U0BOB> to approve"


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B0OTHER"},
        {"subtype": "bot_message"},
        {"user": None},
    ],
)
def test_mentions_from_bots_and_system_messages_are_ignored(change: dict[str, Any]) -> None:
    event = app_mention("do something") | change
    assert payloads.mention(event, team_id=TEAM_ID) is None


def test_a_malformed_mention_is_ignored_not_a_crash() -> None:
    event = app_mention("hello")
    del event["ts"]
    assert payloads.mention(event, team_id=TEAM_ID) is None
    assert payloads.mention({"type": "app_mention"}, team_id=TEAM_ID) is None


def test_a_thread_reply_becomes_a_follow_up() -> None:
    event = thread_message("  shorter please ", thread_ts=THREAD_TS, user="U0BOB")
    message = reply(event)
    assert message is not None
    assert message.thread.thread_ts == THREAD_TS
    assert message.text == "shorter please"
    assert message.user_id == "U0BOB"
    assert message.mention is False


def test_the_bots_own_messages_are_ignored() -> None:
    assert reply(thread_message("my own answer", thread_ts=THREAD_TS, user=BOT_USER)) is None
    bot_post = thread_message("answer", thread_ts=THREAD_TS) | {"bot_id": "BBOT"}
    assert reply(bot_post) is None


@pytest.mark.parametrize(
    "subtype",
    [
        "message_changed",
        "message_deleted",
        "channel_join",
        "channel_leave",
        "thread_broadcast",
        "bot_message",
    ],
)
def test_edits_deletes_and_system_subtypes_are_ignored(subtype: str) -> None:
    event = thread_message("edited text", thread_ts=THREAD_TS) | {"subtype": subtype}
    assert reply(event) is None


def test_a_reply_that_mentions_the_bot_is_left_to_the_mention_listener() -> None:
    # Slack sends both `app_mention` and `message` for it; only one may become a job.
    event = thread_message(f"<@{BOT_USER}> one more thing", thread_ts=THREAD_TS)
    assert reply(event) is None
    assert payloads.mention(app_mention(f"<@{BOT_USER}> one more thing"), team_id=TEAM_ID)


def test_a_message_outside_any_thread_is_ignored() -> None:
    event = thread_message("just chatting", thread_ts=THREAD_TS)
    del event["thread_ts"]
    assert reply(event) is None


def test_a_malformed_message_is_ignored_not_a_crash() -> None:
    assert reply({"type": "message", "text": "no channel or ts"}) is None
    malformed = {"type": "message", "user": "U1", "ts": "1.0", "channel": "C1", "thread_ts": "1.0"}
    assert reply(malformed | {"text": 42}) is None


# -- checkpoint clicks ---------------------------------------------------------------------------


def test_an_approve_click_carries_only_the_id_and_who_clicked_where() -> None:
    from tests.harness.slack_sender import block_action

    body = block_action(
        "checkpoint.approve",
        "cp_abc",
        user="U0BOB",
        channel="C0OPS",
        message_ts="1.2",
        thread_ts=THREAD_TS,
    )
    click = payloads.checkpoint_click(body)
    assert click is not None
    assert (click.checkpoint_id, click.verdict, click.user_id) == ("cp_abc", "approve", "U0BOB")
    assert (click.team_id, click.channel_id, click.thread_ts) == (TEAM_ID, "C0OPS", THREAD_TS)


@pytest.mark.parametrize(
    "change",
    [
        {"actions": []},
        {"actions": [{"action_id": "checkpoint.launch", "value": "cp_abc"}]},
        {"actions": [{"action_id": "checkpoint.approve", "value": "../../keys"}]},
        {"actions": [{"action_id": "checkpoint.approve", "value": "x" * 65}]},
        {"team": None},
        {"user": "U0BOB"},
    ],
)
def test_clicks_we_could_not_have_sent_are_dropped(change: dict[str, Any]) -> None:
    from tests.harness.slack_sender import block_action

    body = {**block_action("checkpoint.approve", "cp_abc", message_ts="1.2"), **change}
    assert payloads.checkpoint_click(body) is None


def test_malformed_interactions_are_recognised_before_listeners_run() -> None:
    from tests.harness.slack_sender import block_action

    assert payloads.malformed_interaction({"type": "block_actions", "actions": "nope"})
    assert payloads.malformed_interaction({"type": "view_submission", "view": []})
    assert not payloads.malformed_interaction(block_action("x", "y", message_ts="1.2"))
    assert not payloads.malformed_interaction({"type": "event_callback"})


def test_the_reject_dialog_yields_a_reject_with_its_reason() -> None:
    import json

    from tests.harness.slack_sender import view_submission

    metadata = json.dumps({"checkpoint": "cp_abc", "channel": "C0OPS", "thread_ts": THREAD_TS})
    values = {"reason": {"reason": {"type": "plain_text_input", "value": "  use staging "}}}
    click = payloads.rejection(
        view_submission("checkpoint.reject", metadata, values, user="U0BOB"), reason_block="reason"
    )
    assert click is not None
    assert (click.verdict, click.reason, click.channel_id) == ("reject", "use staging", "C0OPS")
    broken = view_submission("checkpoint.reject", "not json", values)
    assert payloads.rejection(broken, reason_block="reason") is None


def test_a_stop_click_names_the_task_and_where_it_was_pressed() -> None:
    from bot.slack.payloads import stop_click
    from tests.harness.slack_sender import block_action

    body = block_action("task.stop", "task_abc", user="U0BOB", message_ts="2.0", thread_ts="1.0")
    request = stop_click(body)
    assert request is not None
    assert request.task_id == "task_abc" and request.user_id == "U0BOB"
    assert request.thread.thread_ts == "1.0" and request.thread.channel_id == "C0GENERAL"


def test_a_stop_click_with_a_forged_value_is_ignored() -> None:
    from bot.slack.payloads import stop_click
    from tests.harness.slack_sender import block_action

    body = block_action("task.stop", "task abc; drop", message_ts="2.0", thread_ts="1.0")
    assert stop_click(body) is None


def test_a_native_session_stop_names_the_thread() -> None:
    from bot.slack.payloads import session_stopped

    event = {"type": "agent_session_stopped", "user": "U0A", "channel": "C1", "thread_ts": "1.0"}
    request = session_stopped(event, team_id="T0TEAM")
    assert request is not None and request.task_id is None
    assert request.thread.thread_ts == "1.0"
    assert session_stopped({"type": "agent_session_stopped"}, team_id="T0TEAM") is None


def _file(**extra: Any) -> dict[str, Any]:
    entry = {
        "id": "F0001",
        "name": "q3 invoices.xlsx",
        "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "size": 2048,
        "mode": "hosted",
        "url_private_download": "https://files.slack.com/files-pri/T0-F0001/download/q3.xlsx",
    }
    return {**entry, **extra}


def test_files_shared_with_a_mention_or_a_reply_come_with_the_message() -> None:
    mentioned = payloads.mention(app_mention("look", files=[_file()]), team_id=TEAM_ID)
    replied = reply(thread_message("and this", thread_ts=THREAD_TS, files=[_file(id="F0002")]))
    assert mentioned is not None and replied is not None
    (file,) = mentioned.files
    assert (file.id, file.name, file.size) == ("F0001", "q3 invoices.xlsx", 2048)
    assert file.url == "https://files.slack.com/files-pri/T0-F0001/download/q3.xlsx"
    assert [f.id for f in replied.files] == ["F0002"], "a file_share reply is not ignored"


def test_deleted_and_external_files_are_not_taken() -> None:
    event = app_mention("look", files=[_file(mode="tombstone"), _file(id="F2", mode="external")])
    message = payloads.mention(event, team_id=TEAM_ID)
    assert message is not None and message.files == ()
