"""Workers: take jobs off the stream, hold the thread's lease, apply the job, run the task.

Any number of workers, in any number of processes, share one consumer group. A job is
acknowledged only after the task was run and saved; a job left behind by a dead worker is
reclaimed after the reclaim delay and simply runs again: applying a message twice is a no-op
(messages are keyed by their Slack ts) and the runner resumes from the last saved step. A worker
told to stop takes no new jobs and gives the ones in hand a grace period; it cancels the rest and
hands them back, so the next reclaim by any worker takes them without waiting out the delay.

Redis outages never end a worker: the consume loop backs off and tries again until Redis
answers; a job whose task could not be saved stays pending (the thread is told the work will be
retried) and is reclaimed once Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable

from orchestrator import context
from orchestrator.domain import turns
from orchestrator.domain.commands import Job, SharedFile, UserMessage
from orchestrator.domain.context import earlier_messages
from orchestrator.domain.events import TaskCreated, TaskMessage
from orchestrator.domain.question import may_answer
from orchestrator.domain.task import Task
from orchestrator.engine.questions import Questions, waiting_question
from orchestrator.engine.runner import Runner
from orchestrator.errors import DeliveryUnavailable, LeaseLost, StaleTask, StorageUnavailable
from orchestrator.ports import (
    ActivityLog,
    Delivery,
    JobQueue,
    Leases,
    TaskSignals,
    TaskStore,
    ThreadHistory,
)

log = logging.getLogger(__name__)

OUTAGE_BACKOFF_S = (0.05, 5.0)
"""First and longest wait between two attempts to reach Redis while it is down (doubling)."""


CANCEL_WAIT_S = 5.0
"""How long a stopping worker waits for its cancelled jobs to wind down (release their leases,
close an open answer) before it hands them back regardless."""


class Worker:
    def __init__(
        self,
        *,
        queue: JobQueue,
        leases: Leases,
        store: TaskStore,
        runner: Runner,
        activity: ActivityLog,
        signals: TaskSignals,
        model: str,
        concurrency: int,
        reclaim_after_s: float,
        stop_grace_s: float = 20.0,
        sweep: Callable[[], Awaitable[int]] | None = None,
        sweep_every_s: float = 1.0,
        name: str | None = None,
        intake: Callable[[Task, tuple[SharedFile, ...]], Awaitable[str]] | None = None,
        questions: Questions | None = None,
        history: ThreadHistory | None = None,
    ) -> None:
        self._queue = queue
        self._leases = leases
        self._store = store
        self._runner = runner
        self._activity = activity
        self._signals = signals
        self._questions = questions
        self._history = history
        self._model = model
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._reclaim_after_s = reclaim_after_s
        self._stop_grace_s = stop_grace_s
        self._sweep = sweep
        self._sweep_every_s = sweep_every_s
        self._intake = intake
        self.name = name or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._running: dict[asyncio.Task[None], str] = {}
        """Jobs being handled, each with its delivery id."""
        self._in_hand: set[str] = set()
        """Deliveries whose task this worker runs: kept fresh together (`_keep_fresh`)."""
        self._next_reclaim = self._next_sweep = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume jobs until `stop` is set, then let the jobs in hand finish (`_drain`)."""
        toucher = asyncio.create_task(self._keep_fresh())
        try:
            await self._consume(stop)
            await self._drain()
        finally:
            toucher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await toucher

    async def _consume(self, stop: asyncio.Event) -> None:
        failures = 0
        while await self._free_slot(stop):
            try:
                deliveries = await self._next_deliveries()
            except StorageUnavailable as exc:
                failures += 1
                delay = min(OUTAGE_BACKOFF_S[0] * 2 ** (failures - 1), OUTAGE_BACKOFF_S[1])
                log.warning("task storage unavailable (%s); next attempt in %.2f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            if failures:
                log.info("task storage reachable again after %d failed attempts", failures)
                failures = 0
            for delivery_id, job in deliveries:
                await self._slots.acquire()
                task = asyncio.create_task(self._handle(delivery_id, job))
                self._running[task] = delivery_id
                task.add_done_callback(self._done)

    async def _free_slot(self, stop: asyncio.Event) -> bool:
        """Wait until a slot is free (True) or `stop` is set (False): a worker whose every slot
        is busy must still hear that it should stop."""
        if stop.is_set():
            return False
        if not self._slots.locked():
            return True
        slot = asyncio.ensure_future(self._slots.acquire())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait((slot, stopped), return_when=asyncio.FIRST_COMPLETED)
        for waiter in (slot, stopped):
            waiter.cancel()
        await asyncio.gather(slot, stopped, return_exceptions=True)
        if not slot.cancelled():
            self._slots.release()  # only waited for: the job that takes it acquires it again
        return not stop.is_set()

    async def _drain(self) -> None:
        """Give the jobs in hand `stop_grace_s` to finish; cancel the rest and hand them back.
        A cancelled job releases its lease unacknowledged, like one whose worker died, but
        another worker takes it at its next reclaim instead of after the reclaim delay."""
        if not self._running:
            return
        _, late = await asyncio.wait(list(self._running), timeout=self._stop_grace_s)
        if not late:
            return
        handed = [self._running[task] for task in late]  # still running: still listed
        log.warning(
            "stopping: %d job(s) still running after %.0f s; handing them back to other workers",
            len(late),
            self._stop_grace_s,
        )
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=CANCEL_WAIT_S)  # each releases its lease as it ends
        try:
            await self._queue.hand_back(
                self.name, handed, idle_ms=int(self._reclaim_after_s * 1000)
            )
        except StorageUnavailable as exc:  # they are reclaimed after the reclaim delay instead
            log.warning("could not hand back %d job(s): %s", len(handed), exc)

    async def _next_deliveries(self) -> list[Delivery]:
        """Jobs of dead workers first (every quarter reclaim delay), else new ones."""
        loop = asyncio.get_running_loop()
        if self._sweep is not None and loop.time() >= self._next_sweep:
            self._next_sweep = loop.time() + self._sweep_every_s
            await self._sweep_quietly()
        free = max(1, self._concurrency - len(self._running))
        if loop.time() >= self._next_reclaim:
            deliveries = await self._queue.reclaim(
                self.name, idle_ms=int(self._reclaim_after_s * 1000), count=free
            )
            self._next_reclaim = loop.time() + self._reclaim_after_s / 4
            if deliveries:
                return deliveries
        return await self._queue.receive(self.name, count=free, block_ms=250)

    async def _sweep_quietly(self) -> None:
        assert self._sweep is not None
        try:
            await self._sweep()
        except Exception:  # deadlines are retried on the next sweep; the worker goes on
            log.exception("checkpoint sweep failed")

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._slots.release()

    async def _handle(self, delivery_id: str, job: Job) -> None:
        with context.bound(task=job.task_id):
            await self._handle_bound(delivery_id, job)

    async def _handle_bound(self, delivery_id: str, job: Job) -> None:
        try:
            await self._lease_and_process(delivery_id, job)
        except StorageUnavailable as exc:
            # Not acknowledged: once Redis is back the job is reclaimed and the task resumes
            # from its last saved step.
            log.warning("job %s waits for task storage: %s", delivery_id, exc)
        except DeliveryUnavailable as exc:  # the same, once Slack answers again
            log.warning("job %s waits for Slack: %s", delivery_id, exc)

    async def _lease_and_process(self, delivery_id: str, job: Job) -> None:
        token = await self._leases.acquire(job.task_id, wait_s=self._reclaim_after_s)
        if token is None:
            log.info("task %s is busy elsewhere; job %s stays pending", job.task_id, delivery_id)
            return
        self._in_hand.add(delivery_id)
        try:
            async with self._leases.held(job.task_id, token):
                await self.process(job)
        except (LeaseLost, StaleTask) as exc:
            log.warning("gave up job %s: %s", delivery_id, exc)
            return
        finally:
            self._in_hand.discard(delivery_id)
        await self._queue.ack(delivery_id)

    async def _keep_fresh(self) -> None:
        """Every third of the reclaim delay, reset the idle time of every job in hand at once, so
        no other worker reclaims them."""
        while True:
            await asyncio.sleep(self._reclaim_after_s / 3)
            if not self._in_hand:
                continue
            try:
                await self._queue.touch_all(self.name, list(self._in_hand))
            except StorageUnavailable:  # the jobs may be reclaimed meanwhile; the lease decides
                log.warning(
                    "could not keep %d jobs fresh: task storage unavailable", len(self._in_hand)
                )

    async def process(self, job: Job) -> None:
        """Apply `job` to its task and run the task. The caller holds the task's lease."""
        task = await self._store.load(job.task_id)
        if job.kind == "stop":
            await self._stop(task, job)
            return
        if job.message is not None:
            if task is not None and task.has_applied(job.message.message_ts):
                if task.status in turns.FINISHED:
                    return  # steered into a turn that has finished since: nothing left to do
            elif task is not None and waiting_question(task) is not None:
                if not await self._answer(task, job.message):
                    return  # others' messages wait in the inbox for the next model request
            else:
                task = await self._apply(task, job.task_id, job.message)
        if task is None:
            log.warning("job for unknown task %s dropped", job.task_id)
            return
        if job.kind == "resume" and task.status in turns.FINISHED:
            log.info("resume of finished task %s ignored (%s)", task.id, task.status)
            return
        try:
            await self._runner.run(task)
        except StorageUnavailable:
            await self._runner.storage_trouble(task)
            raise
        except DeliveryUnavailable:  # nothing can be said in the thread: it resumes later
            log.warning("task %s paused: Slack unreachable", task.id)
            raise
        except (LeaseLost, StaleTask, asyncio.CancelledError):
            raise
        except Exception as exc:  # the last line of defence: never leave a thread hanging
            log.exception("task %s crashed", task.id)
            await self._runner.fail(task, exc)

    async def _stop(self, task: Task | None, job: Job) -> None:
        """A Stop for a task no worker is running (it waits, or finished meanwhile)."""
        if task is None or task.status in turns.FINISHED:
            await self._signals.clear_stop(job.task_id)
            return
        await self._runner.stop(task, job.stopped_by or "someone")

    async def _answer(self, task: Task, message: UserMessage) -> bool:
        """The requester's reply answers the waiting question, verbatim; True if it did."""
        asked = waiting_question(task)
        if asked is None or self._questions is None:
            return False
        if not may_answer(task.requester, message.user_id):
            return False
        agent, call = asked
        if not await self._questions.claim_reply(task, call, message.text, message.user_id):
            return False  # a press or the deadline came first; its resume job closes it
        await self._questions.resolve(task, agent, call, message.text, by=message.user_id)
        task.mark_applied(message.message_ts)
        await self._store.save(task)
        return True

    async def _context(self, message: UserMessage) -> str:
        """For a mention partway down a thread: the thread's earlier messages, bounded."""
        if self._history is None or message.message_ts == message.thread.thread_ts:
            return ""
        try:
            posts = await self._history.earlier(message.thread, message.message_ts)
        except Exception:  # the task starts without the context rather than not at all
            log.warning(
                "could not read the thread of task for %s", message.message_ts, exc_info=True
            )
            return ""
        return earlier_messages(posts)

    async def _apply(self, task: Task | None, task_id: str, message: UserMessage) -> Task:
        context = ""
        if task is None:
            context = await self._context(message)
            task = turns.new_task(task_id, message, model=self._model)
            await self._activity.record(TaskCreated(task_id=task_id, user=message.user_id))
        if task.has_applied(message.message_ts):
            return task
        if task.orchestrator.calls:
            await self._runner.withdraw(task, "the conversation moved on before it was decided")
        command = self._runner.expand_command(task, message.text)
        if task.status in turns.FINISHED:
            await self._signals.clear_stop(task.id)  # a Stop that came too late: not this turn
        text = turns.attributed(message, command)
        if message.files and self._intake is not None:
            # Downloaded before the model sees the message; a rerun downloads them again.
            text += "\n\n" + await self._intake(task, message.files)
        turns.open_turn(task, message, f"{context}\n\n{text}" if context else text)
        await self._store.save(task)
        await self._activity.record(
            TaskMessage(
                task_id=task.id,
                user=message.user_id,
                ts=message.message_ts,
                chars=len(message.text),
            )
        )
        return task
