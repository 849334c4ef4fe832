"""Does the sandbox work on this machine? One real run, and what to do when it fails.

Used by `threadwork doctor`: starts `print`-sized Python in a scratch workspace, reports the
startup time and which of the sandbox's Python packages are missing, and turns bubblewrap's
errors into the fix (user namespaces off, a workspaces directory the sandbox's uid cannot reach).
"""

from __future__ import annotations

import json
import shutil

from connectors.errors import SandboxError
from connectors.sandbox.bubblewrap import BubblewrapSandbox
from connectors.sandbox.limits import SandboxLimits
from connectors.sandbox.workspace import Workspaces

PACKAGES = ("pandas", "openpyxl", "docx", "pptx", "matplotlib", "reportlab")
"""Import names of what the sandbox's environment offers (python-docx is `docx`)."""
_PROBE = (
    "import importlib.util, json, sys\n"
    f"missing = [p for p in {PACKAGES!r} if importlib.util.find_spec(p) is None]\n"
    "print(json.dumps({'python': sys.version.split()[0], 'missing': missing}))\n"
)
USERNS_FIX = "unprivileged user namespaces are off on this machine"
_USERNS_SIGNS = ("namespace", "uid map", "Operation not permitted", "setting up uid")


async def check(sandbox: BubblewrapSandbox, workspaces: Workspaces) -> str:
    """A line saying the sandbox works; raises `SandboxError` saying what to fix when not."""
    if sandbox.bwrap is None:
        raise SandboxError("bubblewrap is not installed: `apt-get install bubblewrap`")
    workspace = workspaces.for_task("doctor-check")
    try:
        result = await sandbox.run(workspace, "python", _PROBE, SandboxLimits(timeout_s=20))
    finally:
        shutil.rmtree(workspace.root, ignore_errors=True)
    if result.exit_code != 0:
        raise SandboxError(diagnose(result.stderr, workspaces, sandbox))
    facts = json.loads(result.stdout)
    line = f"bubblewrap runs Python {facts['python']} ({result.duration_s * 1000:.0f} ms)"
    if sandbox.venv is None:
        return line + f"; no sandbox environment: run_code has the standard library only ({_build})"
    if facts["missing"]:
        return line + f"; missing packages: {', '.join(facts['missing'])} ({_build})"
    return line + "; pandas, openpyxl, python-docx, python-pptx, matplotlib, reportlab present"


_build = "`./dev serve` builds .venv-sandbox, or set THREADWORK_SANDBOX_VENV"


def diagnose(stderr: str, workspaces: Workspaces, sandbox: BubblewrapSandbox) -> str:
    first = stderr.strip().splitlines()[-1] if stderr.strip() else "no error output"
    if "Can't find source path" in stderr or "Permission denied" in stderr:
        who = f"uid {sandbox.run_as}" if sandbox.run_as is not None else "the bot's user"
        return (
            f"the sandbox ({who}) cannot reach {workspaces.root}: set THREADWORK_WORKSPACES to a"
            f" directory whose parents every user may enter ({first})"
        )
    if any(sign in stderr for sign in _USERNS_SIGNS):
        return f"{USERNS_FIX} ({first})"
    return f"the sandbox did not start: {first}"
