"""How a run's outcome is written down: the task's record, a cost ceiling's view, and the reason
a sub-agent ended that its parent is told. Pure functions of the task and the exception."""

from __future__ import annotations

from orchestrator.domain.messages import is_text
from orchestrator.domain.task import Task
from orchestrator.domain.views import CostLimit
from orchestrator.errors import BudgetExceeded, CostLimitReached, ModelError
from orchestrator.ports import TaskRecord


def task_record(task: Task) -> TaskRecord:
    return TaskRecord(
        id=task.id,
        thread=task.thread,
        requester=task.requester,
        status=task.status,
        title=title(task),
        usage=task.usage,
    )


def cost_limit(exc: Exception) -> CostLimit | None:
    if not isinstance(exc, CostLimitReached):
        return None
    return CostLimit(scope=exc.scope, spent_usd=exc.spent_usd, limit_usd=exc.limit_usd)


def reason(exc: Exception) -> str:
    if isinstance(exc, ModelError):
        return f"the model API failed ({exc.code}, {exc.attempts} attempts)"
    if isinstance(exc, BudgetExceeded):
        return f"it reached its {exc.what} limit of {exc.limit}"
    if isinstance(exc, CostLimitReached):
        return f"the {exc.scope} cost limit of ${exc.limit_usd:.2f} was reached"
    return f"internal error ({type(exc).__name__})"


def title(task: Task) -> str:
    """The task's first request, as its record's title."""
    for message in task.orchestrator.messages:
        content = message["content"]
        if message["role"] == "user" and isinstance(content, list):
            for block in content:
                if is_text(block):
                    return block["text"][:200]
    return ""
