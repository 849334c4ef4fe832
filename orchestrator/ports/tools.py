"""Connector tools and what they need from people: the tool provider, sign-in, the toolbox the
model sees, and pending form requests (elicitations)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from connectors import Caller, Elicitor, ServerStatus, ToolCallResult, ToolInfo
from orchestrator.domain.elicitation import Elicitation, Reply
from orchestrator.domain.messages import (
    ToolSpec,
)
from orchestrator.domain.signin import SignInRequest
from orchestrator.domain.task import Agent, Task, ToolCall


class ToolProvider(Protocol):
    async def list_tools(
        self, namespaces: Collection[str] | None = None, caller: Caller | None = None
    ) -> list[ToolInfo]:
        """Tools of the servers of `namespaces` (plugins), or of every server; servers that
        need an account are listed for `caller`, once connected."""
        ...

    def status(self) -> list[ServerStatus]: ...

    async def call(
        self,
        model_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        elicitor: Elicitor | None = None,
        caller: Caller | None = None,
    ) -> ToolCallResult:
        """Run a tool as `caller`; the server's requests for input during the call go to
        `elicitor`. Raises `connectors.SignInRequired` when their account (or the workspace's
        shared one) is not connected."""
        ...


class SignInProvider(Protocol):
    """Connector accounts: who still has to sign in, and the two legs of a sign-in
    (`connectors.ConnectorPool`)."""

    async def unconnected(
        self, caller: Caller, namespaces: Collection[str] | None = None
    ) -> list[str]:
        """Connectors (`plugin/server`) of `namespaces` that `caller` has not connected."""
        ...

    async def begin_sign_in(self, label: str, caller: Caller, state: str) -> tuple[str, str]:
        """(authorize URL, pending values to keep sealed until the redirect)."""
        ...

    def mode(self, label: str) -> str:
        """'per_user', 'shared' (an admin connects it) or 'none'."""
        ...

    async def disconnect(self, label: str, caller: Caller) -> bool:
        """Revoke (RFC 7009, where offered; True then) and forget the account's tokens."""
        ...

    async def finish_sign_in(
        self, label: str, caller: Caller, pending: str, *, code: str, iss: str | None
    ) -> None:
        """Exchange the code and store the tokens sealed; raises `connectors.ConnectorError`."""
        ...


class SignInStore(Protocol):
    """Sign-in requests by their `state` (Redis), and when each expires."""

    async def create(self, state: str, request: SignInRequest) -> None:
        """Keep `request` (its pending values sealed) under `state` until a while past expiry,
        and schedule its expiry."""
        ...

    async def claim(self, state: str) -> tuple[SignInRequest, bool] | None:
        """The request of `state`, and whether this is the first claim (single use)."""
        ...

    async def due(self, now: float, *, count: int = 50) -> list[str]:
        """Task ids with a sign-in request past its expiry; each is handed out once."""
        ...

    async def end(self, task_id: str, call_id: str, reason: str) -> None:
        """The sign-in of that call came back without a connection (cancelled or failed)."""
        ...

    async def ended(self, task_id: str, call_id: str) -> str | None:
        """Why that call's sign-in ended without a connection, if it did."""
        ...


class Toolbox(Protocol):
    async def definitions(self, task: Task, agent: Agent) -> list[ToolSpec]:
        """Tool definitions (Messages API `tools`) for the agent's next turn. The same list on
        every turn of a task (the cache prefix starts with it): tools not found yet are
        announced with `defer_loading` and loaded by `tool_reference` blocks in results."""
        ...

    def catalogue(self, task: Task, agent: Agent) -> list[str]:
        """System prompt sections describing what exists (one line per skill/connector/agent)."""
        ...

    def expand_command(self, task: Task, text: str) -> str | None:
        """The prompt of a `/plugin:command args` message, or None if `text` is not one."""
        ...

    async def resolve(self, task: Task, agent: Agent, calls: list[ToolCall]) -> None:
        """Move every `pending` call of the turn on: run it, suspend it, or fail it.

        Must leave each call in `done`, `failed` or `awaiting_approval` (or a waiting status a
        later job resolves). Runs independent read-only calls concurrently.
        """
        ...

    async def resume(self, task: Task) -> list[ToolCall]:
        """Move on waiting calls whose outside event happened (a decision); returns them."""
        ...

    async def withdraw(self, task: Task, reason: str) -> list[ToolCall]:
        """Give every waiting call a result now (a new message arrived); returns them."""
        ...


class ElicitationStore(Protocol):
    """Connectors' requests for input waiting in a live tool call, and the replies (any process)."""

    async def save(self, elicitation: Elicitation) -> None: ...

    async def load(self, task_id: str, elicitation_id: str) -> Elicitation | None: ...

    async def offer_reply(self, task_id: str, elicitation_id: str, reply: Reply) -> bool:
        """Store the reply unless one is stored already; True if this one won."""
        ...

    async def reply_for(self, task_id: str, elicitation_id: str) -> Reply | None: ...
