"""The answer is streamed into the thread as the model writes it, with a fallback when Slack won't.

Real `serve` over HTTP with the fake Slack (Slack's streaming methods and their checks) and a fake
model that writes its text in pieces at a visible pace.
"""

from __future__ import annotations

from tests.harness.anthropic_turns import PIECE_CHARS, Text
from tests.harness.fake_anthropic import Reply, StreamError, ToolUse, Turn
from tests.harness.fake_slack import SlackCall
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

LONG = "Disk full on db-1: rotate the logs, then grow the volume. " * 4
GAP_S = 0.1


def answer_of(thread: list[SlackMessage], text: str) -> SlackMessage:
    (message,) = [m for m in thread if m.user == "UBOT" and text in m.text]
    return message


def streamed_text(calls: list[SlackCall]) -> str:
    out = ""
    for call in calls:
        out += call.args.get("markdown_text", "")
        for chunk in call.args.get("chunks") or []:
            out += chunk.get("text", "") if chunk["type"] == "markdown_text" else ""
    return out


async def test_the_answer_streams_to_the_requester_and_ends_with_feedback(stack: Stack) -> None:
    stack.model.script("disk full", [Reply(LONG, text_gap_s=GAP_S)])
    mention = await stack.mention("disk full on db-1, what now?")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("feedback_buttons" in str(m.blocks) for m in ms)
    )
    message = answer_of(thread, "grow the volume")
    assert message.text == LONG, "the streamed message reads the whole answer"

    (start,) = stack.slack.calls_to("chat.startStream")
    assert start.args["recipient_user_id"] == "U0ALICE"
    assert start.args["recipient_team_id"] == "T0TEAM"
    assert start.args["thread_ts"] == mention["ts"]
    appends = stack.slack.calls_to("chat.appendStream")
    (stop,) = stack.slack.calls_to("chat.stopStream")
    assert streamed_text([start, *appends, stop]) == LONG
    assert any(b["type"] == "context_actions" for b in stop.args["blocks"])
    posts = [c for c in stack.slack.calls_to("chat.postMessage") if "grow" in str(c.args)]
    assert posts == [], "the answer was not posted a second time"

    writing_s = (len(LONG) // PIECE_CHARS) * GAP_S
    first_text = stack.model.requests[0].time
    # About a second at most (12 ms in bench/streaming_bench.py), with room for a loaded machine.
    assert start.time - first_text < 2.0, "the first characters reach Slack at once"
    assert stop.time - start.time > writing_s / 2, "they arrived while the model still wrote"
    assert len(appends) < len(LONG) // PIECE_CHARS, "pieces are coalesced into fewer appends"


async def test_text_before_tool_calls_and_the_answer_share_one_streamed_message(
    stack: Stack,
) -> None:
    stack.model.script(
        "look first",
        [
            Turn(blocks=[Text("Let me look."), ToolUse("find_tools", {"query": "x"})]),
            Reply("Nothing to find."),
        ],
    )
    mention = await stack.mention("look first")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("feedback_buttons" in str(m.blocks) for m in ms)
    )
    assert answer_of(thread, "Nothing to find.").text == "Let me look.\n\nNothing to find."
    assert len(stack.slack.calls_to("chat.startStream")) == 1


async def test_when_slack_refuses_to_stream_the_answer_is_posted_and_edited(
    stack: Stack,
) -> None:
    stack.slack.fail_next(
        "chat.startStream", status=200, retry_after=None, error="not_allowed_token_type", times=5
    )
    stack.model.script("no streams", [Reply(LONG, text_gap_s=GAP_S / 2)])
    mention = await stack.mention("no streams here")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("feedback_buttons" in str(m.blocks) for m in ms)
    )
    message = next(m for m in thread if "feedback_buttons" in str(m.blocks))
    assert LONG.strip() in message.all_text
    assert stack.slack.calls_to("chat.stopStream") == []


async def test_a_stream_slack_closed_early_is_finished_by_editing_it(stack: Stack) -> None:
    stack.slack.stream_ttl_s = 0.3
    stack.model.script("slow answer", [Reply(LONG, text_gap_s=GAP_S)])
    mention = await stack.mention("slow answer please")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("feedback_buttons" in str(m.blocks) for m in ms)
    )
    message = next(m for m in thread if "feedback_buttons" in str(m.blocks))
    assert LONG.strip() in message.all_text and message.edited >= 1
    refused = [c for c in stack.slack.calls if c.error == "message_not_in_streaming_state"]
    assert refused, "Slack closed the stream and the answer still arrived"


async def test_text_of_a_failed_attempt_is_gone_once_the_retried_answer_ends(
    stack: Stack,
) -> None:
    stack.model.script(
        "hiccup midway",
        [StreamError("overloaded_error", after_events=4), Reply("The retried answer.")],
    )
    mention = await stack.mention("hiccup midway")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    thread = await stack.slack.until_thread(
        CHANNEL,
        mention["ts"],
        lambda ms: any(
            "feedback_buttons" in str(m.blocks) and "Let me" not in m.all_text for m in ms
        ),
    )
    message = next(m for m in thread if "feedback_buttons" in str(m.blocks))
    assert "The retried answer." in message.all_text
    (start,) = stack.slack.calls_to("chat.startStream")
    # Under load the retry's text may join the first call; either way the failed text went out.
    assert start.args["markdown_text"].startswith("Let me"), "streamed before the attempt failed"
