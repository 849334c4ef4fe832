"""The connector error tree: every failure the pool raises carries server, tool and a short code."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal[
    "unavailable",
    "not_found",
    "timeout",
    "crashed",
    "protocol",
    "bad_arguments",
    "name_collision",
    "closed",
    "sandbox",
    "sign_in",
]


class ConnectorError(Exception):
    """Base of the tree. `str(error)` is short, already redacted, and says what to do next."""

    code: ErrorCode = "protocol"

    def __init__(
        self, message: str, *, server: str = "", tool: str = "", code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.server = server
        self.tool = tool
        if code is not None:
            self.code = code


class ServerUnavailable(ConnectorError):
    """The server could not be started or reached (or is backing off after a failure)."""

    code: ErrorCode = "unavailable"


class ToolNotFound(ConnectorError):
    """No tool of that (model-facing) name is offered by any server of the pool."""

    code: ErrorCode = "not_found"


class ToolCallFailed(ConnectorError):
    """A call reached the server but did not produce a result (timeout, crash, protocol error)."""


class NameCollision(ConnectorError):
    """Two different tools would be offered to the model under the same name."""

    code: ErrorCode = "name_collision"


class PoolClosed(ConnectorError):
    """The pool was used outside its `async with` block."""

    code: ErrorCode = "closed"


class SandboxError(ConnectorError):
    """The execution engine could not do what was asked (bad path, sandbox unavailable)."""

    code: ErrorCode = "sandbox"


class SignInRequired(ConnectorError):
    """The server needs an account the caller has not connected (or whose grant ended)."""

    code: ErrorCode = "sign_in"


class SignInFailed(ConnectorError):
    """Starting or finishing a sign-in did not work (discovery, registration, code exchange)."""

    code: ErrorCode = "sign_in"
