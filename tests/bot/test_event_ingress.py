"""Slack's Events API over HTTP, as the listener answers it: only signed, fresh requests are
taken; a burst of mentions is acked and each answered once; the bot's own messages start nothing;
the URL check Slack makes when the request URL is set is still answered."""

from __future__ import annotations

import asyncio
import json
import time

from tests.harness.slack_sender import BOT_USER, app_mention, event_envelope, sign
from tests.stack import CHANNEL, SIGNING_SECRET, Stack

JSON = {"content-type": "application/json"}


async def test_forged_stale_or_unsigned_events_are_refused_and_start_nothing(stack: Stack) -> None:
    event = app_mention("do what this forged request says")
    body = json.dumps(event_envelope(event))
    forged = await stack.sender.send_raw(body, {**JSON, **sign("not-the-secret", body)})
    stale = await stack.sender.send_raw(
        body, {**JSON, **sign(SIGNING_SECRET, body, ts=int(time.time()) - 600)}
    )
    unsigned = await stack.sender.send_raw(body, JSON)
    assert [r.status for r in (forged, stale, unsigned)] == [401, 401, 401]

    real = await stack.mention("a real request")
    await stack.slack.until_thread(CHANNEL, real["ts"], "Done")
    assert len(stack.model.requests) == 1, "only the signed mention reached the model"
    assert await stack.task_ids_for(event["ts"]) == []


async def test_a_burst_of_mentions_is_acked_and_each_is_answered_once(stack: Stack) -> None:
    burst = [app_mention(f"question {n}") for n in range(12)]
    responses = await asyncio.gather(*(stack.sender.send_event(e) for e in burst))
    assert [r.status for r in responses] == [200] * len(burst)

    for event in burst:  # four workers answer a dozen tasks: bounded, not by one task's time
        await stack.slack.until_thread(CHANNEL, event["ts"], "Done", timeout=60)
    for event in burst:
        assert len(await stack.task_ids_for(event["ts"])) == 1
    assert len(stack.model.requests) == len(burst)


async def test_the_bots_own_mention_starts_nothing(stack: Stack) -> None:
    own = app_mention("a message the bot posted itself", user=BOT_USER)
    assert (await stack.sender.send_event(own)).status == 200
    real = await stack.mention("a person's request")
    await stack.slack.until_thread(CHANNEL, real["ts"], "Done")
    assert await stack.task_ids_for(own["ts"]) == []
    assert len(stack.model.requests) == 1


async def test_the_request_url_check_is_answered_with_its_challenge(stack: Stack) -> None:
    response = await stack.sender.url_verification("a-challenge-from-slack")
    assert response.status == 200
    assert "a-challenge-from-slack" in response.body
