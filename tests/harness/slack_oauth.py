"""The fake Slack's side of app installation: codes Slack hands the browser, `oauth.v2.access`,
and who each bot token is (its workspace), so one fake serves several workspaces.

`FakeSlack.install(team_id)` plays the person approving the app in that workspace and returns the
`code` Slack would redirect with; exchanging it (client id and secret in Basic auth, as
slack_sdk sends them) yields that workspace's own bot token. `auth.test` with such a token
answers as that workspace's bot; every other call keeps being recorded with the token it used.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from .slack_workspace import BOT_ID, BOT_USER, Json

SCOPES = "app_mentions:read,channels:history,chat:write"


@dataclass(frozen=True)
class Installed:
    team_id: str
    team_name: str
    token: str
    installer: str


@dataclass
class Installs:
    client_id: str = "1111.2222"
    client_secret: str = "test-client-secret"
    _codes: dict[str, Installed] = field(default_factory=dict)
    by_token: dict[str, Installed] = field(default_factory=dict)

    def approve(self, team_id: str, team_name: str, installer: str) -> str:
        token = f"xoxb-{team_id}-{secrets.token_hex(6)}"
        code = f"code-{secrets.token_hex(8)}"
        self._codes[code] = Installed(team_id, team_name, token, installer)
        return code

    def exchange(self, args: Json, authorization: str) -> Json:
        """`oauth.v2.access`: a single-use code for its workspace's bot token."""
        if not self._client_ok(args, authorization):
            return {"ok": False, "error": "invalid_client_id"}
        installed = self._codes.pop(str(args.get("code") or ""), None)
        if installed is None:
            return {"ok": False, "error": "invalid_code"}
        self.by_token[installed.token] = installed
        return {
            "ok": True,
            "app_id": "A0APP",
            "authed_user": {"id": installed.installer},
            "scope": SCOPES,
            "token_type": "bot",
            "access_token": installed.token,
            "bot_user_id": BOT_USER,
            "team": {"id": installed.team_id, "name": installed.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def identity(self, token: str | None) -> Json | None:
        """`auth.test` of an installed workspace's token."""
        installed = self.by_token.get(token or "")
        if installed is None:
            return None
        return {
            "ok": True,
            "url": f"https://{installed.team_name.lower()}.slack.com/",
            "team": installed.team_name,
            "team_id": installed.team_id,
            "user": "threadwork",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _client_ok(self, args: Json, authorization: str) -> bool:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:].strip()).decode()
            client_id, _, client_secret = decoded.partition(":")
        return client_id == self.client_id and client_secret == self.client_secret
