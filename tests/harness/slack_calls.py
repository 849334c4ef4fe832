"""The fake Slack's wire: one recorded Web API call, injected failures, request argument parsing.

slack_sdk sends arguments as JSON, form or query parameters (JSON text inside forms for blocks and
the like); `parse_args` reads all of them the way Slack does, and takes the token from either the
`token` argument or the `Authorization` header.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .slack_workspace import Json, SlackMessage

# Fields slack_sdk sends as JSON text inside form or query parameters.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "files", "chunks")

ThreadCheck = Callable[[list[SlackMessage]], bool] | str


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the fake received and answered it."""

    method: str
    args: Json
    token: str | None
    time: float
    """`time.monotonic()` when the call arrived."""
    status: int
    response: Json

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method} [{outcome}] {short(self.args)}"


@dataclass
class InjectedFailure:
    status: int
    retry_after: int | None
    error: str
    remaining: int


def short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def thread_check(check: ThreadCheck) -> Callable[[list[SlackMessage]], bool]:
    if isinstance(check, str):
        return lambda messages: any(check in m.all_text for m in messages)
    return check


def parse_args(
    query: list[tuple[str, str]], raw: bytes, request: Request
) -> tuple[Json, str | None]:
    args: Json = dict(query)
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type and raw:
        args.update(json.loads(raw))
    elif "application/x-www-form-urlencoded" in content_type and raw:
        args.update(parse_qsl(raw.decode(), keep_blank_values=True))
    for name in _JSON_FIELDS:
        if isinstance(args.get(name), str) and args[name][:1] in ("[", "{"):
            args[name] = json.loads(args[name])
    token = args.pop("token", None)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    return args, token
