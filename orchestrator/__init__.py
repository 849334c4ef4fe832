"""Runs tasks: the planning loop, workers, task state, the job queue and the activity log.

Never imports `bot` or any Slack package. The Slack edge uses only the names exported here.
"""

from orchestrator.commands import Job, UserMessage
from orchestrator.errors import DeliveryFailed, OrchestratorError
from orchestrator.service import Accepted, Orchestrator
from orchestrator.task import ThreadRef
from orchestrator.views import Answer, Failure, Progress, View

__all__ = [
    "Accepted",
    "Answer",
    "DeliveryFailed",
    "Failure",
    "Job",
    "Orchestrator",
    "OrchestratorError",
    "Progress",
    "ThreadRef",
    "UserMessage",
    "View",
]
