"""Live task state (Redis): the job queue, tasks, checkpoints, event intake, signals to running
tasks (stop, steering, answers) and thread leases."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from orchestrator.domain.checkpoint import Checkpoint
from orchestrator.domain.commands import Job, UserMessage
from orchestrator.domain.question import Outcome
from orchestrator.domain.task import Task, ThreadRef

Delivery = tuple[str, Job]
"""One job read off the queue, with the id that acknowledges it."""


class JobQueue(Protocol):
    async def enqueue(self, job: Job) -> None: ...

    async def receive(self, consumer: str, *, count: int, block_ms: int) -> list[Delivery]: ...

    async def reclaim(self, consumer: str, *, idle_ms: int, count: int) -> list[Delivery]: ...

    async def touch(self, consumer: str, delivery_id: str) -> None: ...

    async def touch_all(self, consumer: str, delivery_ids: Collection[str]) -> None:
        """`touch` each of `delivery_ids`: one round trip per stream shard they are on."""
        ...

    async def hand_back(
        self, consumer: str, delivery_ids: Collection[str], *, idle_ms: int
    ) -> None:
        """Mark `delivery_ids` idle for `idle_ms` (their worker is stopping without finishing
        them): the next `reclaim` by any worker takes them."""
        ...

    async def ack(self, delivery_id: str) -> None: ...


class CheckpointStore(Protocol):
    async def pending_ids(self, *, limit: int = 200) -> list[str]:
        """Ids of the checkpoints still pending, oldest first."""
        ...

    async def create(self, checkpoint: Checkpoint) -> Checkpoint:
        """Store `checkpoint` unless one with its id exists; returns the stored one."""
        ...

    async def load(self, checkpoint_id: str) -> Checkpoint | None: ...

    async def save(self, checkpoint: Checkpoint) -> None:
        """Persist if unchanged since loaded (bumps `version`), else raise `CheckpointConflict`."""
        ...

    async def claim_due(self, now: float, *, hold_s: float, count: int = 50) -> list[str]:
        """Ids whose deadline passed; each is held back for `hold_s` while the caller handles it."""
        ...

    async def schedule(self, checkpoint: Checkpoint) -> None:
        """Index `checkpoint` at its next deadline, or drop it from the index if it has none."""
        ...


class TaskStore(Protocol):
    async def load(self, task_id: str) -> Task | None: ...

    async def save(self, task: Task) -> None:
        """Persist `task` if nobody saved since it was loaded; bumps `task.version`.

        Raises `StaleTask` otherwise.
        """
        ...

    async def claim_thread(self, thread: ThreadRef, task_id: str) -> tuple[str, bool]:
        """Bind `thread` to `task_id` unless it already has a task: returns (task id, created)."""
        ...

    async def task_for_thread(self, thread: ThreadRef) -> str | None: ...

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen (within an hour), False for redeliveries."""
        ...

    async def forget_delivery(self, event_id: str) -> None:
        """Forget that an event id was seen, so its next delivery counts as the first."""
        ...


@dataclass(frozen=True, slots=True)
class Admission:
    """What taking in one Slack message event found."""

    repeat: bool = False
    """Slack delivered this event before: nothing else was done."""
    task_id: str | None = None
    """The thread's task; None for a reply in a thread no task owns (ignored)."""
    queued: bool = False
    """A mention opened this task and its first job is queued: nothing is left to do."""


class EventIntake(Protocol):
    """Takes in a message event in one step (one Redis round trip)."""

    async def admit(self, event_id: str, message: UserMessage) -> Admission:
        """Mark `event_id` seen (a repeat does nothing more); find the thread's task; a mention
        in a thread without one opens its task and queues the message's job, all at once."""
        ...

    async def forget(self, event_id: str, thread: ThreadRef) -> None:
        """Forget that the event was seen, so its next delivery counts as the first."""
        ...


class TaskSignals(Protocol):
    """Outside events for a task that may be running in another process: stop, steering input."""

    async def request_stop(self, task_id: str, by: str) -> None:
        """Raise the task's stop flag (the worker running it notices within a poll interval)."""
        ...

    async def stop_requested(self, task_id: str) -> str | None:
        """Who asked to stop the task, if its flag is up."""
        ...

    async def stops_requested(self, task_ids: Sequence[str]) -> dict[str, str]:
        """Who asked to stop each of `task_ids` whose flag is up: one small read of an index of
        stopped tasks (whatever the number of `task_ids`), and one more only when it names some."""
        ...

    async def stop_flags(self, task_ids: Sequence[str]) -> dict[str, str]:
        """The same, read from every task's own flag in one round trip (costs more the more
        tasks; finds a stop whose index entry was lost)."""
        ...

    async def clear_stop(self, task_id: str) -> None: ...

    async def steer(self, task_id: str, message: UserMessage) -> None:
        """Offer `message` to the task's running turn (its next model request picks it up)."""
        ...

    async def take_steering(self, task_id: str) -> list[UserMessage]:
        """The messages offered since the last call, oldest first; they are removed."""
        ...

    async def offer_answer(self, task_id: str, call_id: str, outcome: Outcome) -> bool:
        """Store what closed a question (an answer, or its expiry) unless something did already;
        True if this one won."""
        ...

    async def answer_for(self, task_id: str, call_id: str) -> Outcome | None:
        """What closed a question, if a button press or its deadline stored something."""
        ...

    async def schedule_question(self, task_id: str, call_id: str, expires_at: float) -> None:
        """Remember a waiting question's deadline (every process's sweep sees it)."""
        ...

    async def claim_due_questions(self, now: float, *, hold_s: float) -> list[tuple[str, str]]:
        """(task id, call id) of questions past their deadline, held from other sweepers."""
        ...

    async def drop_question(self, task_id: str, call_id: str) -> None:
        """Forget a question's deadline: it was answered, withdrawn or expired."""
        ...


class Leases(Protocol):
    """One worker runs a thread at a time: a lease per task, renewed while its holder works."""

    async def acquire(self, task_id: str, *, wait_s: float) -> str | None:
        """Wait up to `wait_s` for the task's lease; its token, or None if it is still held."""
        ...

    def held(self, task_id: str, token: str) -> AbstractAsyncContextManager[None]:
        """Keep the lease renewed while the body runs; cancel the body if the lease is lost."""
        ...
