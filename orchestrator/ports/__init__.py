"""Ports: every Protocol behind which an I/O dependency of the orchestrator sits, and nothing else.

One module per side of the orchestrator: `model` (the planning model), `surfaces` (what Slack
shows and holds), `records` (the activity log), `tools` (connectors and sign-in), `state` (live
task state), `telemetry` and `execution` (the sandbox). Every port is importable from here.

Implementations: `adapters.redis` (`RedisTaskStore`, `RedisIntake`, `RedisCheckpointStore`,
`RedisJobQueue`, `RedisLeases`), `adapters.anthropic.AnthropicModel`,
`adapters.sql.activity.SqlActivityLog`, `tools.toolbox.PluginToolbox` (over a
`connectors.ConnectorPool` as its `ToolProvider`), `connectors.sandbox` (`BubblewrapSandbox` as
the `Sandbox`, `Workspaces`); the `Notifier`, `Directory` and `ThreadFiles` are implemented by the
Slack edge (`bot.slack`), `Telemetry` by `bot.telemetry` (Prometheus and OpenTelemetry;
`NoTelemetry` records nothing).
"""

from orchestrator.ports.execution import Sandbox, WorkspaceStore
from orchestrator.ports.model import ModelClient, ModelReply, ModelRequest, TextSink
from orchestrator.ports.records import (
    AccountList,
    ActivityLog,
    SpendLedger,
    TaskHistory,
    TaskRecord,
)
from orchestrator.ports.state import (
    Admission,
    CheckpointStore,
    Delivery,
    EventIntake,
    JobQueue,
    Leases,
    TaskSignals,
    TaskStore,
)
from orchestrator.ports.surfaces import (
    AnswerStream,
    AssistantPane,
    Directory,
    HomeTab,
    HomeVisits,
    Notifier,
    RateBudget,
    ThreadFiles,
    ThreadHistory,
)
from orchestrator.ports.telemetry import NoTelemetry, SpanValue, Telemetry
from orchestrator.ports.tools import (
    ElicitationStore,
    SignInProvider,
    SignInStore,
    Toolbox,
    ToolProvider,
)

__all__ = [
    "AccountList",
    "ActivityLog",
    "Admission",
    "AnswerStream",
    "AssistantPane",
    "CheckpointStore",
    "Delivery",
    "Directory",
    "ElicitationStore",
    "EventIntake",
    "HomeTab",
    "HomeVisits",
    "JobQueue",
    "Leases",
    "ModelClient",
    "ModelReply",
    "ModelRequest",
    "NoTelemetry",
    "Notifier",
    "RateBudget",
    "Sandbox",
    "SignInProvider",
    "SignInStore",
    "SpanValue",
    "SpendLedger",
    "TaskHistory",
    "TaskRecord",
    "TaskSignals",
    "TaskStore",
    "Telemetry",
    "TextSink",
    "ThreadFiles",
    "ThreadHistory",
    "ToolProvider",
    "Toolbox",
    "WorkspaceStore",
]
