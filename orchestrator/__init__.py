"""Runs tasks: the planning loop, workers, task state, the job queue and the activity log.

Never imports `bot` or any Slack package. The Slack edge uses only the names exported here.
"""

from orchestrator.domain.activity import Activity
from orchestrator.domain.checkpoint import Checkpoint, Verdict
from orchestrator.domain.commands import (
    AnswerClick,
    Click,
    DisconnectRequest,
    ElicitationClick,
    ElicitationSubmission,
    FeedbackClick,
    Job,
    SharedFile,
    SlashCommand,
    StopRequest,
    UserMessage,
)
from orchestrator.domain.context import ThreadPost
from orchestrator.domain.elicitation import FormField
from orchestrator.domain.question import option_value, parse_option_value
from orchestrator.domain.signin import CallbackOutcome, display_name
from orchestrator.domain.task import ProgressEntry, ThreadRef, first_line
from orchestrator.domain.text import clip
from orchestrator.domain.views import (
    Answer,
    CallLine,
    CheckpointCard,
    CommandReply,
    ConnectorDown,
    ControlNotice,
    ElicitationCard,
    ElicitationForm,
    Failure,
    Home,
    HomeAccount,
    HomeTask,
    Note,
    Notice,
    Progress,
    QuestionCard,
    SignInPrompt,
    Stopped,
    StorageTrouble,
    SubagentCard,
    Suggestion,
    View,
)
from orchestrator.errors import (
    DeliveryFailed,
    DeliveryUnavailable,
    FileTransferFailed,
    OrchestratorError,
    StorageUnavailable,
)
from orchestrator.service import Accepted, Orchestrator

__all__ = [
    "DisconnectRequest",
    "Accepted",
    "Activity",
    "AnswerClick",
    "Answer",
    "CallLine",
    "ConnectorDown",
    "Note",
    "ProgressEntry",
    "Checkpoint",
    "CheckpointCard",
    "CommandReply",
    "Click",
    "ControlNotice",
    "ElicitationCard",
    "ElicitationClick",
    "ElicitationForm",
    "ElicitationSubmission",
    "FormField",
    "DeliveryFailed",
    "DeliveryUnavailable",
    "Failure",
    "FeedbackClick",
    "FileTransferFailed",
    "Home",
    "HomeAccount",
    "HomeTask",
    "Job",
    "Notice",
    "Orchestrator",
    "OrchestratorError",
    "Progress",
    "SharedFile",
    "SlashCommand",
    "QuestionCard",
    "SignInPrompt",
    "CallbackOutcome",
    "display_name",
    "StopRequest",
    "Stopped",
    "StorageTrouble",
    "StorageUnavailable",
    "SubagentCard",
    "Suggestion",
    "Suggestion",
    "ThreadPost",
    "ThreadRef",
    "option_value",
    "parse_option_value",
    "UserMessage",
    "clip",
    "first_line",
    "Verdict",
    "View",
]
