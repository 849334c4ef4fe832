"""Run code in a bubblewrap sandbox: fresh namespaces, a read-only system, only the workspace.

Each run is `bwrap` (Debian's `bubblewrap`) with new user, PID, IPC, UTS, cgroup and network
namespaces (so 127.0.0.1 is the sandbox's own loopback with nothing listening), `/usr` and a few
files of `/etc` read-only, a fresh `/proc` and `/dev`, small size-capped tmpfs for `/tmp` and
`/dev/shm`, and the task's workspace as the only writable host directory, mounted at
`/workspace`. bwrap itself starts from an empty environment, so no process in the sandbox, not
even its PID 1, has any of the bot's variables.

Limits, inside the sandbox (`prlimit` before the program starts): address space (memory), CPU
seconds, file size (what is left of the workspace quota), core dumps off, and process count. The
process count (RLIMIT_NPROC) is not enforced for the host's root user, so when the bot runs as
root, bwrap is started as an unprivileged uid (`run_as`, 65534 by default) that owns the
workspaces; RLIMIT_NPROC is then counted per sandbox, in its own user namespace. Around the run:
a wall-clock timeout, a cap on captured output, and a watch on the workspace's disk use; any of
them kills the whole sandbox (bwrap's session; its PID namespace dies with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from connectors.errors import SandboxError
from connectors.sandbox.limits import MB, FileChange, Language, RunResult, SandboxLimits, Stopped
from connectors.sandbox.workspace import SANDBOX_ROOT, Workspace

WORKDIR = SANDBOX_ROOT
VENV_MOUNT = "/opt/sandbox-venv"
INSIDE_UID = 1000
NOBODY = 65534
MAX_CODE_CHARS = 100_000
TMP_BYTES = 64 * MB
SHM_BYTES = 16 * MB
DISK_POLL_S = 0.2
_ETC = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "fonts",
    "ssl",
    "ca-certificates",
)
_MERGED = ("bin", "lib", "lib64", "sbin")


@dataclass(slots=True)
class _Capture:
    limit: int
    data: bytearray = field(default_factory=bytearray)
    cut: int = 0

    def add(self, chunk: bytes) -> bool:
        """Keep what fits; True once the stream went past the limit."""
        room = self.limit - len(self.data)
        self.data += chunk[: max(room, 0)]
        self.cut += max(len(chunk) - max(room, 0), 0)
        return self.cut > 0

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class BubblewrapSandbox:
    """The `Sandbox` port on bubblewrap. `venv` is the sandbox's Python environment (read-only)."""

    def __init__(
        self,
        *,
        venv: Path | None = None,
        run_as: int | None = None,
        bwrap: str | None = None,
    ) -> None:
        self.venv = venv.absolute() if venv is not None and (venv / "bin").is_dir() else None
        self.run_as = run_as if run_as is not None else (NOBODY if os.geteuid() == 0 else None)
        self.bwrap = bwrap or shutil.which("bwrap")

    @property
    def owner(self) -> int | None:
        """The host uid that must own workspaces (None: the bot's own)."""
        return self.run_as

    @property
    def python(self) -> str:
        return f"{VENV_MOUNT}/bin/python3" if self.venv else "/usr/bin/python3"

    async def run(
        self, workspace: Workspace, language: Language, code: str, limits: SandboxLimits
    ) -> RunResult:
        """Run `code` with the workspace as its working directory; never raises for the code."""
        if len(code) > MAX_CODE_CHARS:
            raise SandboxError(
                f"the code is {len(code)} characters; the limit is {MAX_CODE_CHARS}. Write it to"
                " a file in the workspace in parts, then run the file."
            )
        before = await asyncio.to_thread(workspace.snapshot)
        quota = limits.disk_mb * MB
        used = await asyncio.to_thread(workspace.usage_bytes)
        if used >= quota:
            return RunResult(
                exit_code=None,
                stdout="",
                stderr=f"the workspace is full ({used // MB} MB of {limits.disk_mb} MB)",
                stopped="disk",
            )
        argv = self.command(language, code, limits, file_bytes=quota - used, workspace=workspace)
        started = time.monotonic()
        run = _Run(await self._spawn(argv), limits, workspace, quota)
        stopped = await run.finish()
        changed = await asyncio.to_thread(workspace.changes, before)
        if stopped == "disk":
            # Over the quota: what this run created goes, so the workspace is usable again.
            await asyncio.to_thread(_remove_new, workspace, changed)
            changed = [c for c in changed if not c.new]
        return RunResult(
            exit_code=run.exit_code,
            stdout=run.out.text(),
            stderr=run.err.text(),
            stdout_cut=run.out.cut,
            stderr_cut=run.err.cut,
            duration_s=time.monotonic() - started,
            stopped=stopped,
            changed=[c for c in changed if _shown(c.path)],
        )

    def command(
        self,
        language: Language,
        code: str,
        limits: SandboxLimits,
        *,
        file_bytes: int,
        workspace: Workspace,
    ) -> list[str]:
        if self.bwrap is None:
            raise SandboxError(
                "bubblewrap is not installed; install it (apt-get install bubblewrap) and run"
                " `threadwork doctor`"
            )
        program = (
            [self.python, "-B", "-c", code] if language == "python" else ["/bin/bash", "-c", code]
        )
        cpu = math.ceil(limits.timeout_s) + 1
        memory = limits.memory_mb * MB
        return [
            self.bwrap,
            *self._namespaces(),
            *self._filesystem(workspace),
            *self._environment(),
            "--",
            "/usr/bin/prlimit",
            f"--nproc={limits.processes}:{limits.processes}",
            f"--as={memory}:{memory}",
            f"--cpu={cpu}:{cpu}",
            f"--fsize={file_bytes}:{file_bytes}",
            "--core=0:0",
            "--",
            *program,
        ]

    @staticmethod
    def _namespaces() -> list[str]:
        return [
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-net",
            "--unshare-cgroup-try",
            "--disable-userns",
            "--uid",
            str(INSIDE_UID),
            "--gid",
            str(INSIDE_UID),
            "--hostname",
            "sandbox",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
        ]

    def _filesystem(self, workspace: Workspace) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for name in _MERGED:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", str(host.readlink()), f"/{name}"]
            elif host.is_dir():
                args += ["--ro-bind", str(host), f"/{name}"]
        for name in _ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(SHM_BYTES),
            "--tmpfs",
            "/dev/shm",
            "--size",
            str(TMP_BYTES),
            "--tmpfs",
            "/tmp",
            "--bind",
            str(workspace.root),
            WORKDIR,
        ]
        if self.venv is not None:
            args += ["--ro-bind", str(self.venv), VENV_MOUNT]
        return [*args, "--remount-ro", "/", "--chdir", WORKDIR]

    def _environment(self) -> list[str]:
        path = f"{VENV_MOUNT}/bin:" if self.venv else ""
        variables = {
            "PATH": f"{path}/usr/local/bin:/usr/bin:/bin",
            "HOME": WORKDIR,
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": f"{WORKDIR}/.cache/matplotlib",
            "XDG_CACHE_HOME": f"{WORKDIR}/.cache",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
        args = ["--clearenv"]
        for name, value in variables.items():
            args += ["--setenv", name, value]
        return args

    async def _spawn(self, argv: list[str]) -> asyncio.subprocess.Process:
        identity = {}
        if self.run_as is not None:
            identity = {"user": self.run_as, "group": self.run_as, "extra_groups": []}
        try:
            return await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={},  # bwrap (the sandbox's PID 1) starts with nothing of the bot's
                start_new_session=True,
                close_fds=True,
                cwd="/",
                **identity,  # type: ignore[arg-type]
            )
        except OSError as exc:
            raise SandboxError(f"could not start bubblewrap ({exc.strerror or exc})") from exc


class _Run:
    """One started sandbox: collect its output, watch the limits, kill it when one is hit."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        limits: SandboxLimits,
        workspace: Workspace,
        quota: int,
    ) -> None:
        self.process = process
        self.limits = limits
        self.workspace = workspace
        self.quota = quota
        self.out = _Capture(limits.output_bytes)
        self.err = _Capture(limits.output_bytes)
        self.stopped: Stopped | None = None
        self.exit_code: int | None = None

    async def finish(self) -> Stopped | None:
        assert self.process.stdout is not None and self.process.stderr is not None
        readers = [
            asyncio.create_task(self._read(self.process.stdout, self.out)),
            asyncio.create_task(self._read(self.process.stderr, self.err)),
        ]
        watcher = asyncio.create_task(self._watch_disk())
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                await asyncio.gather(*readers)
                self.exit_code = await self.process.wait()
        except TimeoutError:
            self._stop("timeout")
        finally:
            watcher.cancel()
            if self.process.returncode is None:
                self._kill()
            self.exit_code = await self.process.wait()
            await asyncio.gather(*readers, watcher, return_exceptions=True)
        return self.stopped

    async def _read(self, stream: asyncio.StreamReader, capture: _Capture) -> None:
        while chunk := await stream.read(65536):
            if capture.add(chunk) and self.stopped is None:
                self._stop("output")

    async def _watch_disk(self) -> None:
        while True:
            await asyncio.sleep(DISK_POLL_S)
            if await asyncio.to_thread(self.workspace.usage_bytes) > self.quota:
                self._stop("disk")
                return

    def _stop(self, why: Stopped) -> None:
        if self.stopped is None:
            self.stopped = why
        self._kill()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _remove_new(workspace: Workspace, changed: list[FileChange]) -> None:
    for change in changed:
        if change.new:
            with contextlib.suppress(OSError):
                (workspace.root / change.path).unlink()


def _shown(path: str) -> bool:
    """Caches the sandbox keeps for itself (`.cache/…`) are not reported as produced files."""
    return not any(part.startswith(".") for part in Path(path).parts)
