"""Refusing a person: which of the user groups a rule names they are in, and telling them alone
why what they pressed or sent changed nothing (a delivery failure is logged, never raised)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from orchestrator.domain.task import ThreadRef
from orchestrator.domain.views import View
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import Directory, Notifier

log = logging.getLogger(__name__)


async def groups_with(
    directory: Directory, user_id: str, groups: Iterable[str], *, team_id: str
) -> frozenset[str]:
    """Those of `groups` (of workspace `team_id`) that have `user_id` as a member."""
    found = set()
    for group in groups:
        if user_id in await directory.members(group, team_id=team_id):
            found.add(group)
    return frozenset(found)


async def tell_refusal(
    notifier: Notifier, thread: ThreadRef, user_id: str, notice: View, *, what: str
) -> None:
    """Show `notice` to `user_id` alone; `what` names what was refused in the log."""
    try:
        await notifier.tell(thread, user_id, notice)
    except DeliveryFailed:
        log.warning("could not tell %s why their %s was refused", user_id, what)
