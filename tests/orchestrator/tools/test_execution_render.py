"""What the model reads after a run: status, output cut with a note, why it stopped, files."""

from __future__ import annotations

from connectors.sandbox import FileChange, RunResult, SandboxLimits
from orchestrator.tools.execution import STDOUT_CHARS, render

LIMITS = SandboxLimits(timeout_s=60, disk_mb=1024)


def test_a_clean_run_shows_status_output_and_shared_files() -> None:
    result = RunResult(
        exit_code=0,
        stdout="over budget: Acme\n",
        stderr="",
        duration_s=0.5,
        changed=[FileChange("outputs/chart.png", 2048, True)],
    )
    text = render(result, LIMITS, {"outputs/chart.png": "shared in the thread"})
    assert text == (
        "exit code 0 · 0.50 s\n--- stdout ---\nover budget: Acme\nFiles created or changed:\n"
        "- outputs/chart.png (2.0 KB, new): shared in the thread"
    )


def test_long_output_is_cut_with_a_note_and_stderr_keeps_its_end() -> None:
    result = RunResult(
        exit_code=1,
        stdout="x" * (STDOUT_CHARS + 10),
        stderr="noise\n" * 5000 + "ValueError: bad row",
        stdout_cut=4096,
    )
    text = render(result, LIMITS, {})
    assert "[10 characters of stdout not shown] [4096 more bytes of stdout were discarded]" in text
    assert text.rstrip().endswith("ValueError: bad row") or "ValueError: bad row\n[" in text


def test_a_stopped_run_says_why() -> None:
    result = RunResult(exit_code=-9, stdout="", stderr="", stopped="timeout", duration_s=60.01)
    assert "Stopped: it ran longer than the 60 s time limit and was killed." in render(
        result, LIMITS, {}
    )
    disk = RunResult(exit_code=-9, stdout="", stderr="", stopped="disk")
    assert "over its 1024 MB quota" in render(disk, LIMITS, {})
