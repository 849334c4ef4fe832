"""The orchestrator's exception tree. Callers branch on types and fields, never on message text.

OrchestratorError
├── ModelError                 the model API failed
│   ├── ModelUnavailable       retryable failures (429/529/5xx, mid-stream errors) outlasted our retries
│   └── ModelRejected          the API refused the request (4xx): retrying would not help
├── StaleTask                  a compare-and-set save lost: another worker moved the task on
├── StorageUnavailable         Redis (live task state) cannot be reached right now
├── DeliveryFailed             Slack refused to show something (the run goes on)
├── DeliveryUnavailable        Slack cannot be reached right now (the task pauses, then resumes)
├── LeaseLost                  this worker no longer holds the thread's lease
├── InvalidTransition          a status change the task model does not allow
├── CheckpointConflict         a checkpoint changed between reading and writing it
├── BudgetExceeded             a task or agent ran out of steps or tokens
├── CostLimitReached           a task, or its channel this month, spent its money ceiling
├── SecretKeyInvalid           THREADWORK_SECRET_KEY is missing or not a Fernet key
├── SealBroken                 a sealed value cannot be opened with the configured keys
└── TaskStopped                a person stopped the task (control flow inside the runner)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from orchestrator.domain.budget import BudgetKind


class OrchestratorError(Exception):
    """Base of every error the orchestrator raises on purpose."""

    code = "orchestrator_error"


class ModelError(OrchestratorError):
    code = "model_error"

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class ModelUnavailable(ModelError):
    code = "model_unavailable"


class ModelRejected(ModelError):
    code = "model_rejected"


class StaleTask(OrchestratorError):
    code = "stale_task"

    def __init__(self, task_id: str, expected_version: int) -> None:
        super().__init__(f"task {task_id} changed since version {expected_version}")
        self.task_id = task_id
        self.expected_version = expected_version


class StorageUnavailable(OrchestratorError):
    """Redis did not answer (down, restarting, unreachable); the work is retried once it does."""

    code = "storage_unavailable"


class LeaseLost(OrchestratorError):
    code = "lease_lost"

    def __init__(self, task_id: str) -> None:
        super().__init__(f"lease on task {task_id} was lost")
        self.task_id = task_id


class InvalidTransition(OrchestratorError):
    code = "invalid_transition"

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"{kind}: {current} -> {target} is not allowed")
        self.kind = kind
        self.current = current
        self.target = target


class CheckpointConflict(OrchestratorError):
    code = "checkpoint_conflict"

    def __init__(self, checkpoint_id: str) -> None:
        super().__init__(f"checkpoint {checkpoint_id} changed concurrently")
        self.checkpoint_id = checkpoint_id


class BudgetExceeded(OrchestratorError):
    code = "budget_exceeded"

    def __init__(self, what: str, limit: int, *, kind: BudgetKind) -> None:
        super().__init__(f"{what} limit of {limit} reached")
        self.what = what
        self.limit = limit
        self.kind = kind
        """Which budget (`domain.budget.BudgetKind`): the thread says what to do per kind."""


class CostLimitReached(OrchestratorError):
    code = "cost_limit"

    def __init__(
        self, scope: Literal["task", "channel"], spent_usd: float, limit_usd: float
    ) -> None:
        super().__init__(f"{scope} cost limit of ${limit_usd:.2f} reached (${spent_usd:.4f} spent)")
        self.scope: Literal["task", "channel"] = scope
        self.spent_usd = spent_usd
        self.limit_usd = limit_usd


class DeliveryFailed(OrchestratorError):
    """The notifier could not show something in Slack (after its own retries)."""

    code = "delivery_failed"


class DeliveryUnavailable(OrchestratorError):
    """Slack could not be reached (refused, cut, timed out) after the client's retries; the task
    pauses and is resumed from its last save, as in a storage outage."""

    code = "delivery_unavailable"


class SecretKeyInvalid(OrchestratorError):
    """`THREADWORK_SECRET_KEY` is missing or malformed; the message says which and how to fix."""

    code = "secret_key_invalid"


class SealBroken(OrchestratorError):
    """A sealed value does not open with any configured key."""

    code = "seal_broken"


class TaskStopped(OrchestratorError):
    code = "stopped"

    def __init__(self, by: str) -> None:
        super().__init__(f"stopped by {by}")
        self.by = by


class FileTransferFailed(OrchestratorError):
    """A file could not be taken from the thread or shared into it; the message says why."""

    code = "file_transfer_failed"
