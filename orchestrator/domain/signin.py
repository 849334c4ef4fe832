"""Sign-ins: a tool call waiting for the requester to connect a connector account. Pure, no I/O.

A call that needs an account the requester has not connected waits in `awaiting_sign_in`, the
same shape as a call waiting for approval or an answer: the task is suspended, and the OAuth
callback (or the request expiring, or a new message) moves it on. What the callback brings back
is checked against a `SignInRequest`, the record its opaque `state` names: bound to one
workspace, person, connector, task and tool call, used once, and only before it expires.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from orchestrator.domain.task import Agent, Task, ToolCall

CallbackOutcome = Literal[
    "connected", "unknown", "used", "expired", "withdrawn", "declined", "failed"
]
"""What became of one visit of the OAuth callback: `connected`, or why nothing changed."""

EXPIRY_SKEW_S = 1.0
"""A request this close to its expiry counts as expired (clocks of processes differ a little)."""


class SignInRequest(BaseModel):
    """What a sign-in's `state` stands for, kept until the redirect comes back."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    team_id: str
    user_id: str
    connector: str
    """`plugin/server`."""
    task_id: str
    """'' for a shared connection an admin makes (nothing waits for it)."""
    agent_id: str
    call_id: str
    created_at: float
    expires_at: float
    pending: str
    """What the token exchange needs (the PKCE verifier among it): secret, stored sealed."""


def waiting_call(task: Task, request: SignInRequest) -> tuple[Agent, ToolCall] | None:
    """The call `request` was made for, if it still waits for exactly that sign-in (or is
    about to)."""
    if task.thread.team_id != request.team_id or task.requester != request.user_id:
        return None
    agent = task.agents.get(request.agent_id)
    if agent is None:
        return None
    for call in agent.calls:
        if call.id != request.call_id:
            continue
        if call.status == "awaiting_sign_in" and call.sign_in == request.connector:
            return agent, call
        # The prompt goes out before the step that asked is saved: a sign-in that quick finds
        # the call still `pending`, and the resume that follows finds it waiting, then connected.
        if call.status == "pending":
            return agent, call
    return None


def callback_outcome(
    request: SignInRequest | None, *, first_use: bool, waiting: bool, now: float
) -> CallbackOutcome | None:
    """Why a callback changes nothing, or None when it may complete the sign-in."""
    if request is None:
        return "unknown"
    if now >= request.expires_at:
        return "expired"
    if not first_use:
        return "used"
    if not waiting:
        return "withdrawn"
    return None


def expired(call: ToolCall, now: float) -> bool:
    return call.sign_in_until is not None and now >= call.sign_in_until - EXPIRY_SKEW_S


def wanted(unconnected: list[str], query: str, *, found_any: bool) -> list[str]:
    """Which unconnected connectors a `find_tools` query asks for: those the query names, or
    all of them when nothing connected matched it."""
    words = {w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) > 1}
    named = [label for label in unconnected if words & set(re.findall(r"[a-z0-9]+", label))]
    if named:
        return named
    return [] if found_any else list(unconnected)


def display_name(connector: str) -> str:
    """`crm/crm` → `crm`; `sales/crm` → `crm` (the server's name is what people know)."""
    return connector.rsplit("/", 1)[-1]


def shared_result(connector: str) -> str:
    return (
        f"Not run: {connector} uses one account shared by the workspace, and an admin has not"
        f" connected it yet (`threadwork connectors connect {connector}`). Say so."
    )


def expired_result(connector: str, user_id: str) -> str:
    return (
        f"Not run: <@{user_id}> did not connect their {display_name(connector)} account before "
        "the sign-in request expired. Say so, and that asking again sends a new request."
    )


EXCHANGE_FAILED = "exchange_failed"
"""Why a sign-in ended when the server refused the code (not an OAuth `error` value)."""


def ended_reason(error: str | None) -> str:
    """The OAuth `error` a sign-in page sent back (RFC 6749 §4.1.2.1), kept only as a short
    word; `access_denied` when it sent nothing usable."""
    word = re.sub(r"[^a-z_]", "", (error or "").lower())[:40]
    return word or "access_denied"


def ended_result(connector: str, user_id: str, reason: str) -> str:
    """What the model is told when the person cancelled, or the sign-in failed, at the page."""
    if reason == "access_denied":
        why = "cancelled at the sign-in page"
    elif reason == EXCHANGE_FAILED:
        why = f"{display_name(connector)}'s server refused the sign-in"
    else:
        why = f"the sign-in page ended with '{reason}'"
    return (
        f"Not run: <@{user_id}> did not connect {display_name(connector)}: {why}. Say so, and"
        " that asking again sends a new request."
    )


def withdrawn_result(reason: str) -> str:
    return f"Not run: {reason}; the sign-in request was withdrawn."


def unconnected_note(connectors: list[str]) -> str:
    """Told to the model with `find_tools` results: connectors it could use after a sign-in."""
    if not connectors:
        return ""
    names = ", ".join(connectors)
    return (
        f"\nNot connected yet for this person: {names} (search for it by name to ask them to "
        "connect their account)."
    )
