"""MCP client layer: supervised sessions per server, tool discovery, calls, credentials, limits.

Public entry points: `ConnectorPool` (pool.py), the server specs (spec.py), our tool types
(tools.py) and the error tree (errors.py). No mcp type crosses this package's boundary.
"""

from connectors.elicitation import (
    DECLINED,
    ElicitAction,
    ElicitationReply,
    ElicitationRequest,
    Elicitor,
)
from connectors.errors import (
    ConnectorError,
    ServerUnavailable,
    SignInFailed,
    SignInRequired,
    ToolCallFailed,
    ToolNotFound,
)
from connectors.oauth import Accounts, AccountStorage, Caller, RefreshLocks
from connectors.pool import ConnectorPool, ServerStatus
from connectors.redaction import Redactor
from connectors.spec import Connection, HttpSpec, OAuthClient, ServerSpec, StdioSpec
from connectors.tools import ToolCallResult, ToolInfo

__all__ = [
    "DECLINED",
    "ElicitAction",
    "ElicitationReply",
    "ElicitationRequest",
    "Elicitor",
    "AccountStorage",
    "Accounts",
    "Caller",
    "Connection",
    "ConnectorError",
    "OAuthClient",
    "RefreshLocks",
    "SignInFailed",
    "SignInRequired",
    "ConnectorPool",
    "HttpSpec",
    "Redactor",
    "ServerSpec",
    "ServerStatus",
    "ServerUnavailable",
    "StdioSpec",
    "ToolCallFailed",
    "ToolCallResult",
    "ToolInfo",
    "ToolNotFound",
]
