"""`threadwork connectors connect NAME` for a shared connector, and `threadwork connections
disconnect`: the admin follows the printed link, the running bot receives the callback, every
person's calls then use that one account; disconnecting revokes its tokens at the server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.connections import disconnect
from bot.cli.connectors import connect_shared
from bot.runtime import build_runtime
from bot.settings import Settings
from tests.bot.test_sign_in import connection_rows
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.oauth_browser import sign_in
from tests.harness.slack_sender import TEAM_ID
from tests.sign_in_stack import Crm, crm_server, sign_in_stack
from tests.stack import CHANNEL, running

SHARED_USER = ""


@pytest.fixture
def crm() -> Iterator[Crm]:
    with crm_server() as server:
        yield server


async def test_an_admin_connects_the_shared_account_and_disconnecting_revokes_it(
    settings: Settings,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    crm: Crm,
    tmp_path: Path,
) -> None:
    stack = sign_in_stack(settings, fake_slack, fake_anthropic, crm, tmp_path, connection="shared")
    async with running(stack) as app:
        said: list[str] = []
        link_shown = asyncio.Event()

        def say(text: str) -> None:
            said.append(text)
            link_shown.set()

        cli = build_runtime(app.settings)
        connecting = asyncio.create_task(connect_shared(cli, "crm", TEAM_ID, poll_s=0.05, say=say))
        await asyncio.wait_for(link_shown.wait(), 20)
        (url,) = re.findall(r"https?://\S+/authorize\S+", said[0])
        page = await sign_in(url, "crm-admin")
        assert page.status_code == 200
        assert await asyncio.wait_for(connecting, 20) == 0
        assert "Connected: crm/crm" in said[-1]
        shared = [r for r in await connection_rows(app) if r.user_id == SHARED_USER]
        assert shared and shared[0].tokens

        # Anyone's call now runs with the shared account, and nobody is asked to sign in.
        app.model.script(
            "who runs the shared crm",
            [
                Turn([ToolUse("find_tools", {"query": "crm"})]),
                Turn([ToolUse("crm__crm__whoami", {})]),
                Reply("Shared."),
            ],
        )
        thread = (await app.mention("who runs the shared crm", user="U0SHAREDBOB"))["ts"]
        await app.slack.until_thread(CHANNEL, thread, "Shared.")
        assert [c.user for c in crm.state.calls] == ["crm-admin"]
        assert app.slack.calls_to("chat.postEphemeral") == []

        issued = list(crm.state.issued)
        assert await disconnect(build_runtime(app.settings), "crm/crm", TEAM_ID, SHARED_USER) == 0
        assert set(issued) <= set(crm.state.revoked)
        assert [r for r in await connection_rows(app) if r.user_id == SHARED_USER] == []
