"""Elicitation: a server asks, in the middle of a tool call, for input from the person.

The SDK has one elicitation callback per session, but a session serves many calls; the request
goes to whoever made the call in flight. `calling(elicitor)` binds an `Elicitor` to the current
call; on 2026-07-28 sessions the SDK runs the callback between rounds in the caller's own task,
so the binding is found directly. On older sessions the callback runs in the session's reader
task: it goes to the one call in flight on that session, and is declined when several are.

The wait for the person happens inside the live tool call. On 2026-07-28 sessions the call's
timeout is paused while the person answers (the server is not waiting on an open request); on
older sessions the SDK's request timeout keeps running, so the answer must come within the
connector's `timeout`. An `Elicitor` bounds its own wait and answers `cancel` when it runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

ElicitAction = Literal["accept", "decline", "cancel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationRequest:
    """What the server asks for: a form (`schema`) or a visit to a page (`url`)."""

    server: str
    message: str
    mode: Literal["form", "url"]
    schema: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationReply:
    """The person's answer, as the SDK's `ElicitResult` carries it."""

    action: ElicitAction
    content: dict[str, Any] | None = None


Elicitor = Callable[[ElicitationRequest], Awaitable[ElicitationReply]]
DECLINED = ElicitationReply(action="decline")


@dataclass(slots=True)
class _InFlight:
    elicitor: Elicitor
    timeout: asyncio.Timeout | None = None


_current: contextvars.ContextVar[_InFlight | None] = contextvars.ContextVar(
    "connectors_elicitor", default=None
)


class Calls:
    """The calls in flight on one session, each with the elicitor bound to it (or none)."""

    def __init__(self) -> None:
        self._inflight: list[_InFlight] = []

    @contextlib.contextmanager
    def calling(self, elicitor: Elicitor | None) -> Iterator[_InFlight | None]:
        """Bind `elicitor` to the call made inside this block (no binding when None)."""
        if elicitor is None:
            yield None
            return
        entry = _InFlight(elicitor)
        token = _current.set(entry)
        self._inflight.append(entry)
        try:
            yield entry
        finally:
            self._inflight.remove(entry)
            _current.reset(token)

    def owner(self) -> _InFlight | None:
        """The call a request belongs to: the caller's own, or the only one in flight."""
        mine = _current.get()
        if mine is not None:
            return mine
        return self._inflight[0] if len(self._inflight) == 1 else None

    async def ask(self, request: ElicitationRequest) -> ElicitationReply:
        """Hand `request` to its call's elicitor; the call's timeout waits meanwhile."""
        owner = self.owner()
        if owner is None:
            return DECLINED
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await owner.elicitor(request)
        finally:
            timeout = owner.timeout
            when = timeout.when() if timeout is not None else None
            if timeout is not None and when is not None and not timeout.expired():
                timeout.reschedule(when + (loop.time() - started))
