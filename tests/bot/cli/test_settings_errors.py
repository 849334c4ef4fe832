"""Every subcommand of the real `threadwork` entry point reads the environment the same way: a bad
value is one line naming the variable and what to do, exit code 2, never a traceback.

Each case starts the real console script (a few seconds of imports), so a sample of subcommands
runs here: `main` builds the settings before any subcommand is dispatched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

THREADWORK = Path(sys.executable).parent / "threadwork"
SUBCOMMANDS = [
    # One of each way a subcommand used to read the environment on its own.
    ["serve", "--http"],
    ["plugins", "list"],
    ["connectors", "check"],
    ["connections", "list"],
    ["runs", "show", "task_x"],
]


def threadwork(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert THREADWORK.exists(), f"{THREADWORK} missing: pip install -e '.[test]'"
    return subprocess.run(
        [str(THREADWORK), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def clean_env(**bad: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "THREADWORK_", "REDIS_", "DATABASE_"))
    }
    return env | bad


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=" ".join)
def test_a_bad_value_is_one_line_naming_the_variable_and_exit_2(
    command: list[str], tmp_path: Path
) -> None:
    result = threadwork(*command, env=clean_env(THREADWORK_WORKERS="lots"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "THREADWORK_WORKERS is not valid" in lines[0]
    assert "valid integer" in lines[0] and "unset it" in lines[0]
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    assert result.stdout == "", "nothing ran"


def test_each_bad_variable_gets_its_own_line(tmp_path: Path) -> None:
    env = clean_env(THREADWORK_WORKERS="0", THREADWORK_RECLAIM_AFTER="-1")
    result = threadwork("plugins", "list", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert any("THREADWORK_WORKERS is not valid" in line for line in lines)
    assert any("THREADWORK_RECLAIM_AFTER is not valid" in line for line in lines)


def test_a_bad_value_in_the_env_file_is_reported_the_same_way(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("THREADWORK_REDIS_CONNECTIONS=1\n")
    result = threadwork("runs", "list", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "THREADWORK_REDIS_CONNECTIONS is not valid" in result.stderr
    assert "greater than or equal to 4" in result.stderr
    assert "Traceback" not in result.stderr
