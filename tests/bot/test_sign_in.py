"""Connector sign-in in Slack, end to end: a real OAuth-protected MCP server (the MCP SDK's
authorization + resource server on a loopback port), the real app over HTTP, the fake Slack and
the fake model. People sign in through the private prompt and the redirect (the test follows the
authorize URL like a browser); each call carries the caller's own token; nothing secret leaks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, select

from bot.settings import Settings
from orchestrator.adapters.sql.activity import make_engine
from tests.approval_stack import cards, click
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.oauth_browser import cancel_sign_in, sign_in
from tests.harness.slack_sender import event_home_opened, home_action
from tests.sign_in_stack import Crm, crm_server, prompt_for, sign_in_stack
from tests.stack import CHANNEL, Stack, running

WHOAMI, NOTE = "crm__crm__whoami", "crm__crm__add_crm_note"
DISCONNECT = "home.disconnect"
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0LATECAROL", "U0QUITDAVE"
ERIN, FRAN = "U0NOPEERIN", "U0BADCODEFRAN"


@pytest.fixture
def crm() -> Iterator[Crm]:
    with crm_server() as server:
        yield server


@pytest.fixture
async def app(
    settings: Settings,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    crm: Crm,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    async with running(sign_in_stack(settings, fake_slack, fake_anthropic, crm, tmp_path)) as s:
        yield s


def result_text(body: dict[str, Any]) -> str:
    parts = []
    for result in tool_results(body):
        content = result["content"]
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


async def callback(stack: Stack, query: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.get(f"{stack.base}/oauth/callback?{query}")


async def replay(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.get(url)


async def test_two_people_connect_their_own_accounts_and_nothing_secret_leaks(
    app: Stack, crm: Crm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app.model.script(
        "note for ACME",
        [
            Turn([ToolUse("find_tools", {"query": "crm note"})]),
            Turn([ToolUse(WHOAMI, {})]),
            Turn([Text("Adding the note you asked for."), ToolUse(NOTE, {"text": "met ACME"})]),
            Reply("Note added."),
            Turn([ToolUse(WHOAMI, {})]),
            Reply("Still connected."),
        ],
    )
    app.model.script(
        "who am I in the CRM",
        [
            Turn([ToolUse("find_tools", {"query": "crm"})]),
            Turn([ToolUse(WHOAMI, {})]),
            Reply("Bob."),
        ],
    )
    alice_ts = (await app.mention("note for ACME"))["ts"]

    # Only Alice is asked, privately, in her thread; the task waits holding no process.
    prompt, url = await prompt_for(app.slack, ALICE)
    assert "Threadwork needs your crm account to continue" in str(prompt.args["text"])
    assert prompt.args["channel"] == CHANNEL and prompt.args["thread_ts"] == alice_ts
    assert len(app.model.requests) == 1
    assert all(c.args.get("user") == ALICE for c in app.slack.calls_to("chat.postEphemeral"))

    page = await sign_in(url, "alice")
    assert page.status_code == 200 and "You can close this page" in page.text
    alice_callback = str(page.url)

    # The task resumed where it waited: find_tools ran again, then whoami as Alice.
    (card,) = await cards(app.slack, alice_ts)
    assert "Runs as <@U0ALICE>" in card.message.all_text
    assert "add_crm_note" in result_text(app.model.requests[1].body)
    await click(app, "approve", card, alice_ts, user=ALICE)
    await app.slack.until_thread(CHANNEL, alice_ts, "Note added.")
    assert crm.state.notes == [("alice", "met ACME")]

    # Bob, in his own thread, is asked for his own account; his calls carry his own token.
    bob_ts = (await app.mention("who am I in the CRM", user=BOB))["ts"]
    _, bob_url = await prompt_for(app.slack, BOB)
    assert (await sign_in(bob_url, "bob")).status_code == 200
    await app.slack.until_thread(CHANNEL, bob_ts, "Bob.")
    by_user = {c.user: c.token for c in crm.state.calls if c.tool == "whoami"}
    assert by_user["alice"] != by_user["bob"]
    assert by_user["bob"] in crm.state.tokens_of("bob")
    assert all(c.token in crm.state.issued for c in crm.state.calls)
    assert [c.user for c in crm.state.calls if c.tool == "add_crm_note"] == ["alice"]

    # A replayed or forged callback changes nothing and says why.
    requests_before, calls_before = len(app.model.requests), len(crm.state.calls)
    replayed = await replay(alice_callback)
    assert replayed.status_code == 400 and "already used" in replayed.text
    forged = await callback(app, "state=made-up&code=whatever")
    assert forged.status_code == 400 and "not one Threadwork sent" in forged.text
    assert len(app.model.requests) == requests_before and len(crm.state.calls) == calls_before

    # Alice's access token expires on the server: it is refreshed without a new prompt.
    crm.state.expire("alice")
    await app.reply("is it still me?", thread_ts=alice_ts)
    await app.slack.until_thread(CHANNEL, alice_ts, "Still connected.")
    assert crm.state.refreshes == 1
    assert crm.state.calls[-1].user == "alice"
    assert crm.state.calls[-1].token in crm.state.tokens_of("alice")
    prompts = [c for c in app.slack.calls_to("chat.postEphemeral") if c.args["user"] == ALICE]
    assert len(prompts) == 1

    await assert_nowhere(app, crm.state.issued, caplog)


async def test_a_new_message_withdraws_the_request_and_its_late_callback_changes_nothing(
    app: Stack, crm: Crm
) -> None:
    app.model.script(
        "dave's crm",
        [Turn([ToolUse("find_tools", {"query": "crm"})]), Reply("Ok."), Reply("Fine, later.")],
    )
    dave_ts = (await app.mention("dave's crm", user=DAVE))["ts"]
    _, url = await prompt_for(app.slack, DAVE)
    await app.reply("never mind", thread_ts=dave_ts, user=DAVE)
    await app.slack.until_thread(CHANNEL, dave_ts, "Ok.")
    assert "withdrawn" in result_text(app.model.requests[1].body)

    page = await sign_in(url, "dave")
    assert page.status_code == 400 and "withdrawn" in page.text
    assert crm.state.tokens_of("dave") == []
    assert await connected(app, DAVE) == []


async def test_cancelling_at_the_sign_in_page_tells_the_model_and_the_task_goes_on(
    app: Stack, crm: Crm
) -> None:
    app.model.script(
        "erin's crm",
        [Turn([ToolUse("find_tools", {"query": "crm"})]), Reply("You chose not to connect.")],
    )
    erin_ts = (await app.mention("erin's crm", user=ERIN))["ts"]
    _, url = await prompt_for(app.slack, ERIN)

    # A forged state with an error changes nothing: the call still waits for Erin.
    forged = await callback(app, "state=made-up&error=access_denied")
    assert forged.status_code == 400 and "not one Threadwork sent" in forged.text
    assert len(app.model.requests) == 1

    page = await cancel_sign_in(url)
    assert page.status_code == 200
    assert "Sign-in cancelled" in page.text and "ask again in that thread" in page.text
    await app.slack.until_thread(CHANNEL, erin_ts, "You chose not to connect.")
    told = result_text(app.model.requests[1].body)
    assert f"<@{ERIN}> did not connect crm: cancelled at the sign-in page" in told
    assert crm.state.tokens_of("erin") == [] and await connected(app, ERIN) == []
    prompts = [c for c in app.slack.calls_to("chat.postEphemeral") if c.args["user"] == ERIN]
    assert len(prompts) == 1, "no new link is sent on its own"

    replayed = await replay(str(page.url))
    assert replayed.status_code == 400 and "already used" in replayed.text
    assert len(app.model.requests) == 2


async def test_a_code_the_server_refuses_tells_the_model_and_the_task_goes_on(
    app: Stack, crm: Crm
) -> None:
    app.model.script(
        "fran's other crm",
        [Turn([ToolUse("find_tools", {"query": "crm"})]), Reply("The CRM refused it.")],
    )
    fran_ts = (await app.mention("fran's other crm", user=FRAN))["ts"]
    _, url = await prompt_for(app.slack, FRAN)
    state = parse_qs(urlsplit(url).query)["state"][0]

    page = await callback(app, f"state={state}&code=not-a-code-it-issued")
    assert page.status_code == 502 and "Sign-in failed" in page.text
    await app.slack.until_thread(CHANNEL, fran_ts, "The CRM refused it.")
    told = result_text(app.model.requests[1].body)
    assert f"<@{FRAN}> did not connect crm: crm's server refused the sign-in" in told
    assert await connected(app, FRAN) == []


async def test_an_expired_request_tells_the_model_and_its_callback_changes_nothing(
    settings: Settings,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    crm: Crm,
    tmp_path: Path,
) -> None:
    stack = sign_in_stack(settings, fake_slack, fake_anthropic, crm, tmp_path, ttl_s=1.0)
    async with running(stack) as app:
        app.model.script(
            "carol's crm",
            [Turn([ToolUse("find_tools", {"query": "crm"})]), Reply("Not connected, sorry.")],
        )
        carol_ts = (await app.mention("carol's crm", user=CAROL))["ts"]
        _, url = await prompt_for(app.slack, CAROL)
        await app.slack.until_thread(CHANNEL, carol_ts, "Not connected, sorry.")
        told = result_text(app.model.requests[1].body)
        assert "did not connect their crm account before the sign-in request expired" in told

        page = await sign_in(url, "carol")
        assert page.status_code == 400 and "expired" in page.text
        assert crm.state.tokens_of("carol") == []
        assert await connected(app, CAROL) == []
        assert len(app.model.requests) == 2


async def connection_rows(stack: Stack) -> list[Any]:
    engine = make_engine(stack.settings.database_url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(lambda c: meta.reflect(c, only=["connections"]))
            return list(await conn.execute(select(meta.tables["connections"])))
    finally:
        await engine.dispose()


async def connected(stack: Stack, user: str) -> list[Any]:
    """The person's connections that hold (sealed) tokens."""
    return [r for r in await connection_rows(stack) if r.user_id == user and r.tokens]


async def assert_nowhere(
    stack: Stack, secrets: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """No token issued in the test is in Redis, in SQL (but sealed), the logs, the model
    requests or Slack."""
    assert len(secrets) >= 6  # Alice and Bob, then Alice's refresh: access + refresh each
    redis = Redis.from_url(stack.settings.redis_url)
    stored: list[str] = []
    try:
        async for key in redis.scan_iter(count=500):
            kind = (await redis.type(key)).decode()
            value: Any
            if kind == "string":
                value = await redis.get(key)
            elif kind == "hash":
                value = await redis.hgetall(key)
            elif kind == "list":
                value = await redis.lrange(key, 0, -1)
            elif kind == "zset":
                value = await redis.zrange(key, 0, -1, withscores=True)
            elif kind == "set":
                value = await redis.smembers(key)
            elif kind == "stream":
                value = await redis.xrange(key)
            else:
                value = kind
            stored.append(f"{key!r} {value!r}")
    finally:
        await redis.aclose()
    everything_in_redis = "\n".join(stored)
    assert "signin" in everything_in_redis  # the scan did see the sign-in requests

    engine = make_engine(stack.settings.database_url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(lambda c: meta.reflect(c))
            rows = [
                repr(tuple(row))
                for table in meta.sorted_tables
                for row in await conn.execute(select(table))
            ]
    finally:
        await engine.dispose()
    everything_in_sql = "\n".join(rows)
    sealed = [r for r in await connection_rows(stack) if r.tokens is not None]
    assert {r.user_id for r in sealed} >= {ALICE, BOB}

    logs = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    model = json.dumps([r.body for r in stack.model.requests])
    slack = json.dumps([c.args for c in stack.slack.calls], default=str)
    for secret in secrets:
        assert secret not in everything_in_redis
        assert secret not in everything_in_sql
        assert secret not in logs
        assert secret not in model
        assert secret not in slack


async def test_disconnect_in_app_home_revokes_the_account_and_the_next_task_asks_again(
    app: Stack, crm: Crm
) -> None:
    erin = "U0HOMEERIN"
    app.model.script(
        "erin's crm",
        [
            Turn([ToolUse("find_tools", {"query": "crm"})]),
            Turn([ToolUse(WHOAMI, {})]),
            Reply("Erin."),
        ],
    )
    erin_ts = (await app.mention("erin's crm", user=erin))["ts"]
    _, url = await prompt_for(app.slack, erin)
    assert (await sign_in(url, "erin")).status_code == 200
    await app.slack.until_thread(CHANNEL, erin_ts, "Erin.")
    erins = set(crm.state.issued)

    def home_of(*texts: str) -> Any:
        def check(call: Any) -> bool:
            view = json.dumps(call.args.get("view"))
            return call.args.get("user_id") == erin and all(t in view for t in texts)

        return check

    await app.sender.send_event(event_home_opened(erin))
    await app.slack.until_call("views.publish", where=home_of("crm/crm", DISCONNECT))

    # Another person's press names Erin's connector but can only ever touch their own account.
    await app.sender.send_interaction(home_action(DISCONNECT, "crm/crm", user="U0HOMEFRANK"))
    # Homes published before she was connected said "signed out" too: wait for a new one.
    before = len([c for c in app.slack.calls_to("views.publish") if home_of("signed out")(c)])
    response = await app.sender.send_interaction(home_action(DISCONNECT, "crm/crm", user=erin))
    assert response.status == 200
    await app.slack.until_call("views.publish", before + 1, where=home_of("signed out"))
    assert erins <= set(crm.state.revoked)

    app.model.script(
        "erin again",
        [Turn([ToolUse("find_tools", {"query": "crm"})]), Reply("Later.")],
    )
    await app.mention("erin again", user=erin)
    await prompt_for(app.slack, erin, count=2)
