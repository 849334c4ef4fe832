"""A running Threadwork with a remote CRM plugin behind OAuth, and helpers to sign people in.

The CRM is `tests/mcp_servers/oauth_crm.py` (the MCP SDK's authorization server + resource
server) on a loopback port; the plugin declares it as a remote HTTP server, which makes it a
`per_user` connector. The app's public URL is its own HTTP server, so the sign-in redirect lands
on the real `/oauth/callback`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings
from orchestrator.adapters.sealing import new_key
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack, SlackCall
from tests.harness.server_thread import ServerThread
from tests.harness.services import free_port
from tests.mcp_servers.oauth_crm import CrmState, crm_app
from tests.stack import Stack

CONNECT = "signin.connect"


@dataclass
class Crm:
    base: str
    state: CrmState

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"


@contextmanager
def crm_server() -> Iterator[Crm]:
    state = CrmState()
    thread = ServerThread(None, "oauth-crm", lifespan="on")
    base = f"http://127.0.0.1:{thread.reserve()}"
    thread.start(crm_app(base, state))
    try:
        yield Crm(base, state)
    finally:
        thread.stop()


def crm_plugin(root: Path) -> Path:
    plugin = root / "crm"
    (plugin / ".claude-plugin").mkdir(parents=True, exist_ok=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(
        json.dumps({"name": "crm", "description": "The sales team's CRM"})
    )
    servers = {"crm": {"type": "http", "url": "https://crm.example.invalid/mcp"}}
    (plugin / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return plugin


def sign_in_stack(
    settings: Settings,
    slack: FakeSlack,
    model: FakeAnthropic,
    crm: Crm,
    plugins_root: Path,
    *,
    ttl_s: float = 900.0,
    connection: str = "per_user",
) -> Stack:
    """The app with the CRM plugin on everywhere and sign-ins on (key, public URL, TTL)."""
    settings.config_path.write_text(
        f"""
plugins: [{crm_plugin(plugins_root)}]
channels:
  "*": [crm]
connectors:
  crm:
    url: "{crm.url}"
    connection: {connection}
"""
    )
    port = free_port()
    configured = settings.model_copy(
        update={
            "secret_key": SecretStr(new_key()),
            "public_url": f"http://127.0.0.1:{port}",
            "sign_in_ttl_s": ttl_s,
        }
    )
    return Stack(settings=configured, slack=slack, model=model, port=port)


def connect_urls(calls: list[SlackCall]) -> list[str]:
    """The Connect buttons' URLs of private sign-in prompts."""
    urls = []
    for call in calls:
        blocks = call.args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        for block in blocks or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == CONNECT:
                    urls.append(element["url"])
    return urls


async def prompt_for(slack: FakeSlack, user: str, count: int = 1) -> tuple[SlackCall, str]:
    """Wait for the `count`-th private sign-in prompt to `user`; (the call, its Connect URL)."""

    def to_user(call: SlackCall) -> bool:
        return call.args.get("user") == user and bool(connect_urls([call]))

    calls = await slack.until_call("chat.postEphemeral", count, where=to_user)
    last = calls[count - 1]
    return last, connect_urls([last])[0]
