"""One model call of an agent: the cost ceilings checked before it; the call itself, abandoned the
moment the task is stopped and, for the orchestrator, streamed into the thread; its usage and cost
charged to the agent, the task and the channel's month, timed and recorded."""

from __future__ import annotations

import time
from collections.abc import Callable

from orchestrator.domain.events import ModelCalled, ModelFailed
from orchestrator.domain.pricing import PriceTable, billing_month
from orchestrator.domain.task import Agent, Task, Usage
from orchestrator.engine.answers import AnswerWriter
from orchestrator.engine.prompt import CONVERSATION_TTL, cache_control, system_blocks
from orchestrator.engine.stopping import StopFlag, unless_stopped
from orchestrator.errors import CostLimitReached, ModelError
from orchestrator.ports import (
    ActivityLog,
    ModelClient,
    ModelReply,
    ModelRequest,
    SpendLedger,
    Telemetry,
    Toolbox,
)
from plugins import Limits


class ModelCalls:
    def __init__(
        self,
        *,
        model: ModelClient,
        activity: ActivityLog,
        toolbox: Toolbox,
        limits: Limits,
        telemetry: Telemetry,
        max_output_tokens: int,
        prices: PriceTable,
        spend: SpendLedger | None,
        clock: Callable[[], float],
    ) -> None:
        self._model = model
        self._activity = activity
        self._toolbox = toolbox
        self._limits = limits
        self._telemetry = telemetry
        self._max_output_tokens = max_output_tokens
        self._prices = prices
        self._spend = spend
        self._clock = clock

    async def check_cost(self, task: Task) -> None:
        """Stop before a model call once the task, or its channel this month, spent its ceiling
        (the call that crosses a ceiling still completes: a ceiling is checked, not reserved)."""
        per_task = self._limits.max_cost_per_task_usd
        if per_task is not None and task.usage.cost_usd >= per_task:
            raise CostLimitReached("task", task.usage.cost_usd, per_task)
        per_month = self._limits.max_cost_per_channel_month_usd
        if per_month is not None and self._spend is not None:
            spent = await self._spend.spent(task.thread, billing_month(self._clock()))
            if spent >= per_month:
                raise CostLimitReached("channel", spent, per_month)

    async def reply(
        self, task: Task, agent: Agent, *, flag: StopFlag | None, sink: AnswerWriter | None
    ) -> ModelReply:
        """The agent's next turn, appended to its messages and charged; `ModelError` is recorded
        and raised."""
        request = ModelRequest(
            model=agent.model,
            system=system_blocks(
                *([agent.system] if agent.system else []),
                *self._toolbox.catalogue(task, agent),
            ),
            messages=agent.messages,
            tools=await self._toolbox.definitions(task, agent),
            max_tokens=self._max_output_tokens,
            cache_control=cache_control(CONVERSATION_TTL),
        )
        started = time.monotonic()
        try:
            with self._telemetry.span(
                "model.call", task_id=task.id, agent_id=agent.id, model=agent.model
            ):
                reply = await self._complete(request, flag, sink)
        except ModelError as exc:
            self._telemetry.model_called(
                model=agent.model,
                usage=Usage(),
                seconds=time.monotonic() - started,
                outcome=exc.code,
            )
            await self._activity.record(
                ModelFailed(
                    task_id=task.id,
                    agent_id=agent.id,
                    code=exc.code,
                    status=exc.status,
                    attempts=exc.attempts,
                )
            )
            raise
        self._telemetry.model_called(
            model=agent.model, usage=reply.usage, seconds=time.monotonic() - started, outcome="ok"
        )
        agent.steps += 1
        cost = await self._charge(task, agent, reply.usage)
        agent.messages.append({"role": "assistant", "content": reply.content})
        await self._activity.record(
            ModelCalled(
                task_id=task.id,
                agent_id=agent.id,
                model=agent.model,
                stop_reason=reply.stop_reason,
                attempts=reply.attempts,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
                cache_read_tokens=reply.usage.cache_read_tokens,
                cache_write_tokens=reply.usage.cache_write_tokens,
                cache_write_1h_tokens=reply.usage.cache_write_1h_tokens,
                cost_usd=cost,
            )
        )
        return reply

    async def _complete(
        self, request: ModelRequest, flag: StopFlag | None, sink: AnswerWriter | None
    ) -> ModelReply:
        """The call, abandoned (its HTTP stream closed) the moment the task is stopped; its text
        streams into `sink` as it arrives."""
        if sink is not None:
            sink.begin_reply()
        if flag is None:
            return await self._model.complete(request, sink)
        return await unless_stopped(flag, self._model.complete(request, sink))

    async def _charge(self, task: Task, agent: Agent, usage: Usage) -> float | None:
        """Add the call's usage to the agent and the task, and its cost to the channel's month;
        the cost, None when the model has no price."""
        cost = self._prices.cost(agent.model, usage)
        charged = usage.model_copy(
            update={"cost_usd": cost or 0.0, "unpriced_calls": int(cost is None)}
        )
        agent.usage.add(charged)
        task.usage.add(charged)
        if cost and self._spend is not None:
            await self._spend.add(task.thread, billing_month(self._clock()), cost)
        return cost
