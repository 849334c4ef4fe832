"""The execution engine's core tools (`run_code`, `read_file`, `share_file`) and files from the thread.

Registered beside the other core tools by the toolbox, and offered only where the channel's
`execution:` policy enables them. Every task has one workspace (sub-agents share it): files
shared in the thread land in `inputs/`, code runs in the sandbox with the workspace as its
working directory, and files a run writes under `outputs/` are shared back into the thread.
Every run is in the activity log (code hash, language, duration, exit code, files produced).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from pathlib import Path
from typing import cast

from connectors.errors import SandboxError
from connectors.sandbox import OUTPUTS, FileChange, RunResult, SandboxLimits, Workspace, documents
from connectors.sandbox.documents import size_label
from orchestrator.domain.commands import SharedFile
from orchestrator.domain.events import CodeRan, FileReceived, FileShared
from orchestrator.domain.messages import ToolOutput, ToolSpec
from orchestrator.domain.task import Agent, Task, ToolCall
from orchestrator.errors import FileTransferFailed
from orchestrator.ports import ActivityLog, Sandbox, ThreadFiles, WorkspaceStore
from plugins import ExecutionConfig, ExecutionPolicy

log = logging.getLogger(__name__)

RUN_CODE = "run_code"
READ_FILE = "read_file"
SHARE_FILE = "share_file"
NAMES = frozenset({RUN_CODE, READ_FILE, SHARE_FILE})
STDOUT_CHARS = 20_000
STDERR_CHARS = 8_000
SWEEP_EVERY_S = 600.0
MB = 1024 * 1024

DEFINITIONS: list[ToolSpec] = [
    {
        "name": RUN_CODE,
        "description": (
            "Run Python 3 or bash in this thread's sandboxed workspace (the working directory)."
            " Files shared in the thread are in inputs/. Files you write to outputs/ are shared"
            " in the thread when the run ends. No network. Python has pandas, openpyxl,"
            " python-docx, python-pptx, matplotlib and reportlab when installed. Returns the exit"
            " code, stdout, stderr and the files created or changed."
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "language": {"type": "string", "enum": ["python", "bash"]},
                "code": {"type": "string", "description": "The program to run."},
            },
            "required": ["language", "code"],
        },
    },
    {
        "name": READ_FILE,
        "description": (
            "Read a workspace file as text (PDF, DOCX, XLSX, PPTX and CSV are converted), in"
            " pages of 20000 characters; images are shown to you as images."
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Relative to the workspace."},
                "offset": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Character to start at.",
                },
            },
            "required": ["path"],
        },
    },
    {
        "name": SHARE_FILE,
        "description": "Share a file of the workspace in the thread (outputs/ are shared anyway).",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "Relative to the workspace."}},
            "required": ["path"],
        },
    },
]

PROMPT = (
    "## Workspace\n"
    "This thread has a workspace: `run_code` runs Python or bash there without network,"
    " `read_file` reads its files, `share_file` posts one in the thread. Files people share"
    " appear in inputs/ (you are told their name, type and size); read or process them before"
    " answering about their content. Write deliverables (charts, documents, spreadsheets) to"
    " outputs/: they are posted in the thread when the run ends."
)


class Execution:
    """The core tools of the workspace, and taking shared files into it."""

    def __init__(
        self,
        *,
        sandbox: Sandbox,
        workspaces: WorkspaceStore,
        files: ThreadFiles,
        activity: ActivityLog,
        config: ExecutionConfig,
        idle_s: float,
    ) -> None:
        self._sandbox = sandbox
        self._workspaces = workspaces
        self._files = files
        self._activity = activity
        self._config = config
        self._idle_s = idle_s
        self._next_sweep = 0.0

    def policy(self, task: Task) -> ExecutionPolicy:
        return self._config.for_channel(task.thread.channel_id)

    def definitions(self, task: Task) -> list[ToolSpec]:
        return DEFINITIONS if self.policy(task).enabled else []

    def catalogue(self, task: Task) -> list[str]:
        return [PROMPT] if self.policy(task).enabled else []

    async def resolve(self, task: Task, agent: Agent, call: ToolCall) -> None:
        """Run one `run_code` / `read_file` / `share_file` call to its result."""
        if not self.policy(task).enabled:
            call.finish(f"Not available: {call.name} is turned off in this channel.", is_error=True)
            return
        workspace = await asyncio.to_thread(self._workspaces.for_task, task.id)
        try:
            if call.name == RUN_CODE:
                await self._run_code(task, agent, call, workspace)
            elif call.name == READ_FILE:
                await self._read_file(call, workspace)
            else:
                await self._share_file(task, agent, call, workspace)
        except SandboxError as exc:
            call.finish(f"{call.name} failed: {exc}", is_error=True)

    async def receive(self, task: Task, files: tuple[SharedFile, ...]) -> str:
        """Take files shared with a message into `inputs/`; one line per file for the model."""
        policy = self.policy(task)
        if not policy.enabled:
            names = ", ".join(f.name for f in files)
            return f"Files shared with this message, not available here (no workspace): {names}"
        workspace = await asyncio.to_thread(self._workspaces.for_task, task.id)
        lines = [await self._receive_one(task, workspace, file, policy) for file in files]
        return "Files shared with this message (in your workspace):\n" + "\n".join(lines)

    async def sweep(self) -> int:
        """Remove workspaces of tasks whose state expired (at most every few minutes)."""
        now = time.monotonic()
        if now < self._next_sweep:
            return 0
        self._next_sweep = now + SWEEP_EVERY_S
        removed = await asyncio.to_thread(self._workspaces.sweep, idle_s=self._idle_s)
        for task_id in removed:
            log.info("workspace of task %s removed: unused for the task's lifetime", task_id)
        return len(removed)

    # run_code ---------------------------------------------------------------------------------

    async def _run_code(
        self, task: Task, agent: Agent, call: ToolCall, workspace: Workspace
    ) -> None:
        language = call.input.get("language")
        code = call.input.get("code")
        if language not in ("python", "bash") or not isinstance(code, str) or not code.strip():
            call.finish(
                'run_code needs {"language": "python" or "bash", "code": "<the program>"}.',
                is_error=True,
            )
            return
        policy = self.policy(task)
        limits = SandboxLimits(
            timeout_s=policy.timeout_s,
            memory_mb=policy.memory_mb,
            disk_mb=policy.disk_mb,
            processes=policy.processes,
        )
        result = await self._sandbox.run(workspace, language, code, limits)
        outputs = [c for c in result.changed if c.path.startswith(f"{OUTPUTS}/")]
        shared = {
            c.path: await self._share(task, agent, workspace, c.path, policy) for c in outputs
        }
        call.finish(render(result, limits, shared), is_error=not result.ok)
        await self._activity.record(
            CodeRan(
                task_id=task.id,
                agent_id=agent.id,
                language=language,
                code_sha256=hashlib.sha256(code.encode()).hexdigest(),
                code_chars=len(code),
                duration_ms=round(result.duration_s * 1000),
                exit_code=result.exit_code,
                stopped=result.stopped,
                files=[c.path for c in result.changed],
            )
        )

    # read_file / share_file -------------------------------------------------------------------

    async def _read_file(self, call: ToolCall, workspace: Workspace) -> None:
        relative = str(call.input.get("path", "")).strip()
        offset = call.input.get("offset") or 0
        path = workspace.path(relative)
        if not isinstance(offset, int):
            call.finish("read_file: offset must be a whole number of characters.", is_error=True)
            return
        content = await asyncio.to_thread(documents.read, path, relative, offset=offset)
        # documents.read builds text and image blocks of the Messages API shape.
        call.finish(cast(ToolOutput, content))

    async def _share_file(
        self, task: Task, agent: Agent, call: ToolCall, workspace: Workspace
    ) -> None:
        relative = str(call.input.get("path", "")).strip()
        path = workspace.path(relative)
        if not path.is_file():
            call.finish(f"share_file: {relative} is not a file of the workspace.", is_error=True)
            return
        outcome = await self._share(task, agent, workspace, relative, self.policy(task))
        call.finish(f"{relative}: {outcome}", is_error=outcome != SHARED)

    async def _share(
        self, task: Task, agent: Agent, workspace: Workspace, relative: str, policy: ExecutionPolicy
    ) -> str:
        """Upload one workspace file into the thread; what happened, in a few words."""
        path = workspace.path(relative)
        size = path.stat().st_size
        if size > policy.max_file_mb * MB:
            return f"not shared: {size_label(size)} is over the {policy.max_file_mb} MB limit"
        if size == 0:
            return "not shared: the file is empty"
        try:
            await self._files.upload(task.thread, path, name=path.name)
        except FileTransferFailed as exc:
            return f"not shared: {exc}"
        await self._activity.record(
            FileShared(task_id=task.id, agent_id=agent.id, path=relative, bytes=size)
        )
        return SHARED

    # files in ---------------------------------------------------------------------------------

    async def _receive_one(
        self, task: Task, workspace: Workspace, file: SharedFile, policy: ExecutionPolicy
    ) -> str:
        described = f"{file.name} ({file.mimetype}, {size_label(file.size)})"
        cap = policy.max_file_mb * MB
        if file.size > cap:
            return f"- {described}: not taken, over the {policy.max_file_mb} MB limit"
        if not file.url:
            return f"- {described}: not taken, Slack gave no download link for it"
        name = input_name(workspace, file)
        try:
            size = await self._files.download(
                file, workspace.inputs / name, max_bytes=cap, team_id=task.thread.team_id
            )
        except FileTransferFailed as exc:
            return f"- {described}: could not be downloaded ({exc})"
        await self._activity.record(
            FileReceived(task_id=task.id, file=file.id, path=f"inputs/{name}", bytes=size)
        )
        return f"- inputs/{name} ({file.mimetype}, {size_label(size)})"


SHARED = "shared in the thread"


def input_name(workspace: Workspace, file: SharedFile) -> str:
    """A safe file name under `inputs/` for a shared file; another file's name is never reused."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(file.name).name).strip("._") or file.id
    name = stem[:120]
    existing = workspace.inputs / name
    if existing.exists() and not _same_file(existing, file):
        base, dot, suffix = name.rpartition(".")
        name = f"{base}-{file.id}.{suffix}" if dot and base else f"{name}-{file.id}"
    return name


def _same_file(path: Path, file: SharedFile) -> bool:
    return path.stat().st_size == file.size


def render(result: RunResult, limits: SandboxLimits, shared: dict[str, str]) -> str:
    """The model's view of one run: status line, output (cut with a note), stop reason, files."""
    status = "not started" if result.exit_code is None else f"exit code {result.exit_code}"
    lines = [f"{status} · {result.duration_s:.2f} s"]
    if result.stopped is not None:
        lines.append(f"Stopped: {_STOPPED[result.stopped].format(limits=limits)}")
    lines += _stream("stdout", result.stdout, result.stdout_cut, STDOUT_CHARS, keep="head")
    lines += _stream("stderr", result.stderr, result.stderr_cut, STDERR_CHARS, keep="tail")
    if result.changed:
        lines.append("Files created or changed:")
        lines += [_file_line(change, shared.get(change.path)) for change in result.changed]
    return "\n".join(lines)


_STOPPED = {
    "timeout": "it ran longer than the {limits.timeout_s:g} s time limit and was killed.",
    "output": "it printed more than the output limit and was killed; write large output to a"
    " file in outputs/ or print a summary.",
    "disk": "the workspace went over its {limits.disk_mb} MB quota; the files this run created"
    " were removed.",
}


def _stream(name: str, text: str, cut_bytes: int, chars: int, *, keep: str) -> list[str]:
    if not text and not cut_bytes:
        return []
    shown = text
    note = ""
    if len(text) > chars:
        hidden = len(text) - chars
        shown = text[:chars] if keep == "head" else text[-chars:]
        note = f"[{hidden} characters of {name} not shown]"
    if cut_bytes:
        note = (note + " " if note else "") + f"[{cut_bytes} more bytes of {name} were discarded]"
    return [f"--- {name} ---", shown.rstrip("\n"), *([note] if note else [])]


def _file_line(change: FileChange, shared: str | None) -> str:
    line = f"- {change.path} ({size_label(change.size)}, {'new' if change.new else 'changed'})"
    return line + (f": {shared}" if shared else "")
