"""Stopping a task from Slack: the progress message's Stop button and the native session stop.

Real `serve` over HTTP with the fake Slack and a fake model whose calls are held in flight, so a
Stop always lands mid model call, as it would while a real model thinks.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.settings import Settings
from orchestrator.domain.events import TaskCancelled
from tests.approval_stack import (
    CREATE,
    buttons,
    card_state,
    cards,
    click,
    executions,
    start_stack,
    ticket_script,
)
from tests.harness.fake_anthropic import FakeAnthropic, Reply
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.harness.slack_sender import block_action
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

STOP = "task.stop"


async def progress_with_stop(stack: Stack, thread_ts: str) -> SlackMessage:
    thread = await stack.slack.until_thread(
        CHANNEL, thread_ts, lambda ms: any(STOP in buttons(m) for m in ms)
    )
    return next(m for m in thread if STOP in buttons(m))


async def press_stop(stack: Stack, progress: SlackMessage, thread_ts: str, user: str) -> None:
    payload = block_action(
        STOP,
        buttons(progress)[STOP],
        user=user,
        message_ts=progress.ts,
        thread_ts=thread_ts,
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


async def test_stop_mid_model_call_abandons_it_and_the_thread_stays_usable(stack: Stack) -> None:
    held = threading.Event()
    stack.model.script("think for a long time", [Reply("too late", hold=held)])
    stack.model.script("second question", [Reply("fresh answer")])
    try:
        mention = await stack.mention("think for a long time")
        thread_ts = mention["ts"]
        progress = await progress_with_stop(stack, thread_ts)
        await stack.model.until_in_flight(1)

        pressed = time.monotonic()
        await press_stop(stack, progress, thread_ts, "U0ALICE")
        await stack.slack.until_thread(CHANNEL, thread_ts, "Stopped by <@U0ALICE>", timeout=3)
        assert time.monotonic() - pressed < 3
        task_id = buttons(progress)[STOP]
        # Recorded before the thread is told, so the record is there once the note is.
        (cancelled,) = [e for e in await stack.events(task_id) if isinstance(e, TaskCancelled)]
        assert cancelled.by == "U0ALICE"
        (record,) = [t for t in await stack.tasks() if t.id == task_id]
        assert record.status == "cancelled"

        shown = stack.slack.message(CHANNEL, progress.ts)
        assert shown is not None and STOP not in buttons(shown), "a stopped task has no Stop"
        assert len(stack.model.requests) == 1, "no further model request after the stop"

        await stack.reply("second question", thread_ts=thread_ts)
        await stack.slack.until_thread(CHANNEL, thread_ts, "fresh answer")
        assert len(stack.model.requests) == 2
        thread = stack.slack.thread(CHANNEL, thread_ts)
        assert not any("too late" in m.all_text for m in thread), "the abandoned answer never shows"
    finally:
        held.set()


@SINGLE_AND_CLUSTER
async def test_stopping_one_of_several_running_tasks_stops_it_alone(stack: Stack) -> None:
    held = threading.Event()
    for n in range(3):
        stack.model.script(f"long job {n}", [Reply(f"answer {n}", hold=held)])
    try:
        threads = [(await stack.mention(f"long job {n}"))["ts"] for n in range(3)]
        progresses = [await progress_with_stop(stack, ts) for ts in threads]
        await stack.model.until_in_flight(3)

        await press_stop(stack, progresses[1], threads[1], "U0ALICE")
        await stack.slack.until_thread(CHANNEL, threads[1], "Stopped by <@U0ALICE>", timeout=3)
    finally:
        held.set()
    for n in (0, 2):
        await stack.slack.until_thread(CHANNEL, threads[n], f"answer {n}")
        await stack.slack.until_thread(CHANNEL, threads[n], "Done")
        assert not any("Stopped by" in m.all_text for m in stack.slack.thread(CHANNEL, threads[n]))
    assert not any("answer 1" in m.all_text for m in stack.slack.thread(CHANNEL, threads[1]))


async def test_a_strangers_stop_is_refused_privately_and_the_task_finishes(stack: Stack) -> None:
    held = threading.Event()
    stack.model.script("keep going", [Reply("finished anyway", hold=held)])
    try:
        mention = await stack.mention("keep going")
        thread_ts = mention["ts"]
        progress = await progress_with_stop(stack, thread_ts)
        await stack.model.until_in_flight(1)

        await press_stop(stack, progress, thread_ts, "U0STRANGER")
        (told,) = await stack.slack.until_call("chat.postEphemeral")
        assert told.args["user"] == "U0STRANGER"
        assert "can't stop this task" in str(told.args["text"])
        assert "<@U0ALICE>" in str(told.args["text"]), "says who may stop it"
    finally:
        held.set()
    await stack.slack.until_thread(CHANNEL, thread_ts, "finished anyway")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Done")
    assert not any("Stopped by" in m.all_text for m in stack.slack.thread(CHANNEL, thread_ts))


async def test_native_agent_session_stop_reaches_the_same_handler(stack: Stack) -> None:
    held = threading.Event()
    stack.model.script("session work", [Reply("never shown", hold=held)])
    try:
        mention = await stack.mention("session work")
        thread_ts = mention["ts"]
        await progress_with_stop(stack, thread_ts)
        await stack.model.until_in_flight(1)
        event = {
            "type": "agent_session_stopped",
            "user": "U0ALICE",
            "channel": CHANNEL,
            "thread_ts": thread_ts,
            "streaming_message_ts": [],
            "event_ts": f"{time.time():.6f}",
        }
        response = await stack.sender.send_event(event)
        assert response.status == 200
        await stack.slack.until_thread(CHANNEL, thread_ts, "Stopped by <@U0ALICE>", timeout=3)
    finally:
        held.set()


async def test_an_admin_stops_a_task_waiting_for_approval_and_its_request_is_withdrawn(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    stack = await start_stack(
        settings, fake_slack, fake_anthropic, ledger, approvals="admins: [U0BOSS]"
    )
    try:
        marker = "file and wait"
        stack.model.script(marker, ticket_script(marker, (CREATE, {"title": "x"}), then="filed"))
        mention = await stack.mention(f"{marker}: file a ticket")
        thread_ts = mention["ts"]
        (card,) = await cards(stack.slack, thread_ts)
        progress = await progress_with_stop(stack, thread_ts)

        await press_stop(stack, progress, thread_ts, "U0BOSS")
        await stack.slack.until_thread(CHANNEL, thread_ts, "Stopped by <@U0BOSS>")
        await card_state(stack.slack, thread_ts, card.ts, "Withdrawn")
        await click(stack, "approve", card, thread_ts)
        (told,) = await stack.slack.until_call("chat.postEphemeral")
        assert "already cancelled" in str(told.args["text"])
        assert executions(ledger) == [], "a withdrawn request never runs"
        assert len(stack.model.requests) == 2
    finally:
        await stack.stop()
