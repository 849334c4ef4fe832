"""Homes: each person's App Home — their recent tasks, the approvals waiting for them, their
connected accounts — built from the records and published to them alone, again whenever one of
those changes.

Changes are noticed at the two places they happen: a task's record (`RefreshingLog`) and a
checkpoint's save (`RefreshingCheckpoints`). Refreshes run in the background, coalesced per
person, and never fail the work that caused them: a Home that could not be published is simply
published again at the next change or the next time the person opens it. A task's record changes
several times a turn, so those refreshes wait a short window (trailing: the changes within it make
one publish) and are made only for people who have opened their Home at least once (`HomeVisits`);
anyone else's Home is built when they first open it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from orchestrator.domain.checkpoint import Checkpoint, Permitted, permission
from orchestrator.domain.events import ActivityEvent
from orchestrator.domain.views import Home
from orchestrator.ports import (
    AccountList,
    ActivityLog,
    CheckpointStore,
    Directory,
    HomeTab,
    HomeVisits,
    TaskHistory,
    TaskRecord,
)

log = logging.getLogger(__name__)

RECENT_TASKS = 10
MAX_APPROVALS = 15
_SCAN_PENDING = 500
REFRESH_WINDOW_S = 2.0
"""How long a task-record refresh waits for more changes of the same person's Home."""
_REMEMBERED_VISITORS = 10_000


class Homes:
    def __init__(
        self,
        *,
        tasks: TaskHistory,
        checkpoints: CheckpointStore,
        directory: Directory,
        accounts: AccountList,
        tab: HomeTab,
        visits: HomeVisits | None = None,
        window_s: float = REFRESH_WINDOW_S,
    ) -> None:
        self._tasks = tasks
        self._checkpoints = checkpoints
        self._directory = directory
        self._accounts = accounts
        self._tab = tab
        self._visits = visits
        self._window_s = window_s
        self._visitors: set[tuple[str, str]] = set()
        """People known (in this process) to have opened their Home: once seen, always seen."""
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()
        self._hurry = asyncio.Event()

    async def build(self, team_id: str, user_id: str) -> Home:
        """The person's Home now: only what is theirs, or theirs to decide."""
        tasks = await self._tasks.recent_tasks(team_id, user_id, limit=RECENT_TASKS)
        return Home(
            user_id=user_id,
            tasks=tuple(tasks),
            approvals=tuple(await self._waiting_for(team_id, user_id)),
            accounts=tuple(await self._accounts.accounts_of(team_id, user_id)),
        )

    async def show(self, team_id: str, user_id: str) -> None:
        """Publish the person's Home (something on it changed)."""
        await self._tab.publish(team_id, await self.build(team_id, user_id))

    async def opened(self, team_id: str, user_id: str) -> None:
        """The person opened their Home: remember it (task changes now refresh it), publish it."""
        await self._remember_visit(team_id, user_id)
        await self.show(team_id, user_id)

    def refresh(self, team_id: str, users: Iterable[str]) -> None:
        """Publish these people's Homes again soon, in the background (coalesced per person)."""
        for user_id in users:
            self._schedule((team_id, user_id), delay_s=0.0, visitors_only=False)

    def refresh_visitor(self, team_id: str, user_id: str) -> None:
        """Publish the person's Home after the refresh window if they ever opened it."""
        self._schedule((team_id, user_id), delay_s=self._window_s, visitors_only=True)

    def _schedule(self, key: tuple[str, str], *, delay_s: float, visitors_only: bool) -> None:
        running = self._running.get(key)
        if running is not None and not running.done():
            self._again.add(key)
            return
        self._running[key] = asyncio.create_task(self._refresh(key, delay_s, visitors_only))

    def refresh_deciders(self, cp: Checkpoint) -> None:
        """Refresh the Home of everyone who may decide `cp` (user groups are expanded first)."""
        key = (cp.thread.team_id, f"checkpoint:{cp.id}")
        if key not in self._running or self._running[key].done():
            self._running[key] = asyncio.create_task(self._refresh_deciders(cp))

    async def flush(self) -> None:
        """Publish the refreshes under way now, without their window, and wait (at shutdown)."""
        self._hurry.set()
        while pending := [t for t in self._running.values() if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _refresh(self, key: tuple[str, str], delay_s: float, visitors_only: bool) -> None:
        team_id, user_id = key
        while True:
            if delay_s > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), delay_s)
            self._again.discard(key)
            try:
                if not visitors_only or await self._visited(team_id, user_id):
                    await self.show(team_id, user_id)
            except Exception:  # never fails the work that changed the Home
                log.warning("could not refresh the Home of %s", user_id, exc_info=True)
            if key not in self._again:
                self._running.pop(key, None)
                return

    async def _remember_visit(self, team_id: str, user_id: str) -> None:
        if self._visits is None or (team_id, user_id) in self._visitors:
            return
        try:
            await self._visits.mark(team_id, user_id)
        except Exception:  # their Home is still published now; later changes may skip it
            log.warning("could not record that %s opened their Home", user_id, exc_info=True)
            return
        self._note_visitor(team_id, user_id)

    async def _visited(self, team_id: str, user_id: str) -> bool:
        if self._visits is None or (team_id, user_id) in self._visitors:
            return True
        try:
            seen = await self._visits.seen(team_id, user_id)
        except Exception:  # an extra publish is better than a stale Home
            log.warning("could not read whether %s opened their Home", user_id, exc_info=True)
            return True
        if seen:
            self._note_visitor(team_id, user_id)
        return seen

    def _note_visitor(self, team_id: str, user_id: str) -> None:
        if len(self._visitors) >= _REMEMBERED_VISITORS:
            self._visitors.clear()
        self._visitors.add((team_id, user_id))

    async def _refresh_deciders(self, cp: Checkpoint) -> None:
        people = set(cp.approvers.users)
        if cp.approvers.requester and not cp.approvers.requester_excluded:
            people.add(cp.approvers.requester)
        for group in cp.approvers.groups:
            try:
                people |= await self._directory.members(group, team_id=cp.thread.team_id)
            except Exception:
                log.warning("could not list user group %s", group, exc_info=True)
        self._running.pop((cp.thread.team_id, f"checkpoint:{cp.id}"), None)
        self.refresh(cp.thread.team_id, sorted(people))

    async def _waiting_for(self, team_id: str, user_id: str) -> list[Checkpoint]:
        found = []
        for checkpoint_id in await self._checkpoints.pending_ids(limit=_SCAN_PENDING):
            cp = await self._checkpoints.load(checkpoint_id)
            if cp is None or cp.status != "pending" or cp.thread.team_id != team_id:
                continue
            groups = frozenset(
                [
                    g
                    for g in cp.approvers.groups
                    if user_id in await self._directory.members(g, team_id=team_id)
                ]
            )
            allowed = permission(
                cp,
                user_id=user_id,
                team_id=team_id,
                channel_id=cp.thread.channel_id,
                groups_with_user=groups,
            )
            if isinstance(allowed, Permitted):
                found.append(cp)
                if len(found) == MAX_APPROVALS:
                    break
        return found


class RefreshingLog:
    """The activity log, refreshing the requester's Home whenever a task's record changes."""

    def __init__(self, log: ActivityLog, homes: Homes) -> None:
        self._log = log
        self._homes = homes

    async def upsert_task(self, record: TaskRecord) -> None:
        await self._log.upsert_task(record)
        self._homes.refresh_visitor(record.thread.team_id, record.requester)

    async def record(self, event: ActivityEvent) -> None:
        await self._log.record(event)


class RefreshingCheckpoints:
    """The checkpoint store, refreshing the Homes of a checkpoint's deciders when it changes."""

    def __init__(self, store: CheckpointStore, homes: Homes) -> None:
        self._store = store
        self._homes = homes

    async def pending_ids(self, *, limit: int = 200) -> list[str]:
        return await self._store.pending_ids(limit=limit)

    async def create(self, checkpoint: Checkpoint) -> Checkpoint:
        stored = await self._store.create(checkpoint)
        self._homes.refresh_deciders(stored)
        return stored

    async def load(self, checkpoint_id: str) -> Checkpoint | None:
        return await self._store.load(checkpoint_id)

    async def save(self, checkpoint: Checkpoint) -> None:
        await self._store.save(checkpoint)
        self._homes.refresh_deciders(checkpoint)

    async def claim_due(self, now: float, *, hold_s: float, count: int = 50) -> list[str]:
        return await self._store.claim_due(now, hold_s=hold_s, count=count)

    async def schedule(self, checkpoint: Checkpoint) -> None:
        await self._store.schedule(checkpoint)
