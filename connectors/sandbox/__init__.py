"""The execution engine: per-task workspaces and code run in an isolated sandbox.

A built-in tool provider beside MCP: `Workspaces` (workspace.py) gives each task a directory with
`inputs/` and `outputs/`; `BubblewrapSandbox` (bubblewrap.py) runs Python or bash in it with no
network, no credentials and hard limits; `documents` turns workspace files into text or image
blocks for the model; `health` checks that all of it works on this machine.
"""

from connectors.sandbox.bubblewrap import BubblewrapSandbox
from connectors.sandbox.limits import FileChange, Language, RunResult, SandboxLimits
from connectors.sandbox.workspace import INPUTS, OUTPUTS, Workspace, Workspaces, inside

__all__ = [
    "INPUTS",
    "OUTPUTS",
    "BubblewrapSandbox",
    "FileChange",
    "Language",
    "RunResult",
    "SandboxLimits",
    "Workspace",
    "Workspaces",
    "inside",
]
