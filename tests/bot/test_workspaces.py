"""Many workspaces: two install the app through Slack's OAuth flow, and each is served with its
own bot token; nothing of one reaches the other.

Real `serve` over HTTP with `SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET` set and no `SLACK_BOT_TOKEN`:
the install page and the redirect are Bolt's, the installations land in slack_sdk's SQL store in
PostgreSQL, and the fake Slack answers `oauth.v2.access` and knows which workspace each token
belongs to (it records the token every call used).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import app_mention, thread_message
from tests.stack import Stack, running

ALPHA, BETA = ("T0ALPHA", "C0ALPHA"), ("T0BETA", "C0BETA")


@pytest.fixture
async def stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[Stack]:
    port = free_port()
    settings = settings.model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": fake_slack.installs.client_id,
            "slack_client_secret": SecretStr(fake_slack.installs.client_secret),
            "public_url": f"http://127.0.0.1:{port}",
        }
    )
    app = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=port)
    async with running(app):
        yield app


async def install(stack: Stack, team_id: str, name: str) -> str:
    """A person of `team_id` installs the app from /slack/install; returns what the page says."""
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{stack.base}/slack/install") as page:
            assert page.status == 200
            html = await page.text()
            # The browser keeps the state cookie (Secure; browsers keep it for 127.0.0.1 too).
            cookie = page.cookies["slack-app-oauth-state"]
        authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
        assert authorize is not None, html
        query = parse_qs(urlsplit(authorize.group(1).replace("&amp;", "&")).query)
        assert query["redirect_uri"] == [f"{stack.base}/slack/oauth_redirect"]
        assert "chat:write" in query["scope"][0].split(",")
        code = stack.slack.installs.approve(team_id, name, installer=f"U0{name.upper()}")
        params = {"code": code, "state": query["state"][0]}
        headers = {"Cookie": f"{cookie.key}={cookie.value}"}
        redirect = f"{stack.base}/slack/oauth_redirect"
        async with browser.get(redirect, params=params, headers=headers) as done:
            assert done.status == 200
            return await done.text()


async def ask(stack: Stack, team: tuple[str, str], text: str) -> str:
    team_id, channel = team
    event = app_mention(text, channel=channel, team=team_id)
    response = await stack.sender.send_event(event, team_id=team_id)
    assert response.status == 200
    return str(event["ts"])


def tokens_used(stack: Stack, channel: str) -> set[str | None]:
    return {
        c.token
        for c in stack.slack.calls
        if c.args.get("channel") == channel or c.args.get("channel_id") == channel
    }


async def test_two_workspaces_installed_through_oauth_each_use_their_own_bot_token(
    stack: Stack,
) -> None:
    assert "Thank you" in await install(stack, *ALPHA[:1], "Alpha")
    await install(stack, BETA[0], "Beta")
    by_team = {i.team_id: i.token for i in stack.slack.installs.by_token.values()}
    assert set(by_team) == {ALPHA[0], BETA[0]} and by_team[ALPHA[0]] != by_team[BETA[0]]

    stack.model.script("alpha question", [Reply("Answer for Alpha.")])
    stack.model.script("beta question", [Reply("Answer for Beta.")])
    alpha_ts = await ask(stack, ALPHA, "alpha question")
    beta_ts = await ask(stack, BETA, "beta question")
    await stack.slack.until_thread(ALPHA[1], alpha_ts, "Answer for Alpha.")
    await stack.slack.until_thread(BETA[1], beta_ts, "Answer for Beta.")
    await stack.slack.until_thread(ALPHA[1], alpha_ts, "Done")
    await stack.slack.until_thread(BETA[1], beta_ts, "Done")

    assert tokens_used(stack, ALPHA[1]) == {by_team[ALPHA[0]]}
    assert tokens_used(stack, BETA[1]) == {by_team[BETA[0]]}
    assert not any(c.token == "xoxb-test" for c in stack.slack.calls), "no single-workspace token"

    # Beta's person writing into Alpha's thread (same channel id and ts, other workspace) is not
    # Alpha's task: the thread belongs to the workspace it was started in.
    calls_before = len(stack.model.requests)
    stray = thread_message("me too", thread_ts=alpha_ts, channel=ALPHA[1], team=BETA[0])
    assert (await stack.sender.send_event(stray, team_id=BETA[0])).status == 200
    tasks = {t.thread_ts: t for t in await stack.tasks()}
    assert tasks[alpha_ts].team_id == ALPHA[0] and tasks[beta_ts].team_id == BETA[0]
    assert len(stack.model.requests) == calls_before

    # A workspace that never installed the app gets nothing: its events are not authorized.
    unknown = app_mention("hello?", channel="C0GAMMA", team="T0GAMMA")
    await stack.sender.send_event(unknown, team_id="T0GAMMA")
    assert not [c for c in stack.slack.calls if c.args.get("channel") == "C0GAMMA"]


async def test_a_workspace_that_uninstalls_is_forgotten_and_the_other_goes_on(stack: Stack) -> None:
    await install(stack, ALPHA[0], "Alpha")
    await install(stack, BETA[0], "Beta")
    gone = await stack.sender.send_event({"type": "app_uninstalled"}, team_id=ALPHA[0])
    assert gone.status == 200
    assert stack.runtime is not None and stack.runtime.installations is not None
    store = stack.runtime.installations.store
    assert await store.async_find_bot(enterprise_id=None, team_id=ALPHA[0]) is None
    assert await store.async_find_bot(enterprise_id=None, team_id=BETA[0]) is not None

    stack.model.script("still there", [Reply("Beta is still served.")])
    alpha_ts = await ask(stack, ALPHA, "anyone home?")
    beta_ts = await ask(stack, BETA, "still there?")
    await stack.slack.until_thread(BETA[1], beta_ts, "Beta is still served.")
    assert not [c for c in stack.slack.calls if c.args.get("thread_ts") == alpha_ts]
    threads = {t.thread_ts for t in await stack.tasks()}
    assert beta_ts in threads and alpha_ts not in threads
