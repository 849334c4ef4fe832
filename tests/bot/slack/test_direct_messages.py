"""Direct messages and the assistant container: every DM is to the bot, like a mention; opening
the assistant suggests what the conversation's plugins offer."""

from __future__ import annotations

from bot.slack import payloads
from bot.slack.surfaces import suggested_prompts
from orchestrator import Suggestion
from tests.harness.slack_sender import (
    BOT_USER,
    TEAM_ID,
    assistant_thread_started,
    direct_message,
    event_home_opened,
    thread_message,
)


def parse(event: dict) -> object:
    return payloads.message(event, team_id=TEAM_ID, bot_user_id=BOT_USER)


def test_a_dm_opens_a_task_on_its_own_message() -> None:
    event = direct_message("what changed in billing?", user="U0ALICE")
    message = payloads.message(event, team_id=TEAM_ID, bot_user_id=BOT_USER)
    assert message is not None and message.mention is True
    assert message.thread.channel_id == "D0ALICE"
    assert message.thread.thread_ts == event["ts"]
    assert message.text == "what changed in billing?"


def test_a_reply_in_a_dm_thread_and_a_mention_in_a_dm_both_reach_the_bot() -> None:
    reply = payloads.message(
        direct_message(f"<@{BOT_USER}> and refunds?", thread_ts="1700000000.000100"),
        team_id=TEAM_ID,
        bot_user_id=BOT_USER,
    )
    assert reply is not None and reply.thread.thread_ts == "1700000000.000100"
    assert reply.text == "and refunds?"


def test_the_bots_own_dms_and_edits_are_ignored() -> None:
    own = direct_message("I answered", user=BOT_USER)
    edited = {**direct_message("typo"), "subtype": "message_changed"}
    botty = {**direct_message("from a bot"), "bot_id": "B0OTHER"}
    assert [parse(e) for e in (own, edited, botty)] == [None, None, None]


def test_a_channel_message_outside_a_thread_is_still_not_for_the_bot() -> None:
    event = thread_message("chatter", thread_ts="1.000001")
    del event["thread_ts"]
    assert parse(event) is None


def test_an_assistant_conversation_names_its_dm_thread() -> None:
    event = assistant_thread_started(user="U0ALICE", channel="D0ALICE", thread_ts="1700.000001")
    thread = payloads.assistant_thread_started(event, team_id=TEAM_ID)
    assert thread is not None
    assert (thread.channel_id, thread.thread_ts) == ("D0ALICE", "1700.000001")
    assert payloads.assistant_thread_started({"type": "x"}, team_id=TEAM_ID) is None


def test_prompts_offer_commands_as_commands_and_skills_by_name() -> None:
    prompts = suggested_prompts(
        [
            Suggestion(
                kind="command", name="ops:triage", description="Triage", argument_hint="[ticket]"
            ),
            Suggestion(kind="skill", name="ops:incident-review", description="Review an incident"),
        ]
    )
    assert prompts == [
        {"title": "Triage", "message": "/ops:triage"},
        {
            "title": "Incident review",
            "message": "Use the ops:incident-review skill: Review an incident",
        },
    ]


def test_with_no_plugin_the_prompts_still_help_and_never_exceed_four() -> None:
    assert 1 <= len(suggested_prompts([])) <= 4
    many = [Suggestion(kind="skill", name=f"p:s{i}", description="d") for i in range(9)]
    assert len(suggested_prompts(many)) == 4


def test_opening_the_messages_tab_names_the_dm_to_suggest_in() -> None:
    opened = payloads.messages_opened(event_home_opened("U0ALICE", tab="messages"), team_id=TEAM_ID)
    assert opened is not None
    assert (opened.channel_id, opened.thread_ts) == ("D0ALICE", "")
    assert payloads.messages_opened(event_home_opened("U0ALICE"), team_id=TEAM_ID) is None
