"""Benchmark: what the bubblewrap sandbox costs per `run_code`, and a 10 MB CSV end to end.

1. Overhead per run: `print(1)` through `BubblewrapSandbox.run` (namespaces, mounts, prlimit,
   output capture, workspace snapshots before and after) against the same interpreter started
   directly as a subprocess; the two are interleaved so machine load hits both alike.
2. End to end: a 10 MB CSV shared in a Slack thread (fake Slack over HTTP), downloaded into the
   workspace, summarised with pandas by a scripted `run_code`, the summary uploaded back into the
   thread with `files_upload_v2`; timed from the mention to the answer, next to the same pandas
   script run directly on the same file.

Run: .venv/bin/python bench/sandbox_bench.py [--runs 40] [--rows 250000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from connectors.sandbox import BubblewrapSandbox, SandboxLimits, Workspaces  # noqa: E402
from orchestrator.domain.events import CodeRan  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import free_port  # noqa: E402
from tests.stack import CHANNEL, Stack, running  # noqa: E402

VENV = ROOT / ".venv-sandbox"
SUMMARY = """
import pandas as pd
df = pd.read_csv('inputs/invoices.csv')
summary = df.groupby('vendor').agg(total=('amount', 'sum'), invoices=('amount', 'size'))
summary.sort_values('total', ascending=False).to_csv('outputs/summary.csv')
print(len(df), 'rows;', 'top vendor', summary.total.idxmax())
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def direct(python: str, code: str, cwd: Path) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        python, "-B", "-c", code, cwd=cwd, stdout=asyncio.subprocess.PIPE
    )
    await process.communicate()
    return (time.perf_counter() - started) * 1000


async def overhead(runs: int, root: Path) -> tuple[list[float], list[float]]:
    sandbox = BubblewrapSandbox(venv=VENV)
    workspace = Workspaces(root, owner=sandbox.owner).for_task("bench_overhead")
    python = str(VENV / "bin" / "python3") if sandbox.venv else "/usr/bin/python3"
    boxed, plain = [], []
    for _ in range(3):  # warm the page cache for both
        await sandbox.run(workspace, "python", "print(1)", SandboxLimits())
        await direct(python, "print(1)", workspace.root)
    for _ in range(runs):
        result = await sandbox.run(workspace, "python", "print(1)", SandboxLimits())
        assert result.stdout == "1\n", result
        boxed.append(result.duration_s * 1000)
        plain.append(await direct(python, "print(1)", workspace.root))
    return boxed, plain


def invoices_csv(rows: int) -> bytes:
    rng = random.Random(7)
    vendors = [f"vendor-{i:03d}" for i in range(200)]
    lines = ["invoice,vendor,amount,budget,due,notes"]
    for i in range(rows):
        lines.append(
            f"INV-{i:07d},{rng.choice(vendors)},{rng.uniform(10, 5000):.2f},"
            f"{rng.uniform(10, 5000):.2f},2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
            "net 30 terms"
        )
    return ("\n".join(lines) + "\n").encode()


async def code_run(stack: Stack, thread_ts: str) -> tuple[str, CodeRan]:
    """The task's id and its code.run record (written just after the answer is posted)."""
    async with asyncio.timeout(30):
        while True:
            for task_id in await stack.task_ids_for(thread_ts):
                runs = [e for e in await stack.events(task_id) if isinstance(e, CodeRan)]
                if runs:
                    return task_id, runs[0]
            await asyncio.sleep(0.1)


@dataclass
class EndToEnd:
    csv_bytes: int
    total_ms: float
    run_code_ms: float
    direct_ms: float
    uploaded_bytes: int


async def end_to_end(rows: int, root: Path) -> EndToEnd:
    content = invoices_csv(rows)
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack() as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix).model_copy(
            update={"workspaces": root, "sandbox_venv": VENV}
        )
        stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
        async with running(stack):
            shared = slack.share_file("invoices.csv", content)
            model.script(
                "summarise",
                [
                    Turn([ToolUse("run_code", {"language": "python", "code": SUMMARY})]),
                    Reply("Summary attached."),
                ],
            )
            started = time.perf_counter()
            mention = await stack.mention("summarise these invoices", files=[shared])
            await slack.until_thread(CHANNEL, mention["ts"], "Summary attached.", timeout=120)
            total_ms = (time.perf_counter() - started) * 1000
            task_id, run = await code_run(stack, mention["ts"])
            uploaded = slack.uploaded(CHANNEL, mention["ts"])["summary.csv"]
            workspace = root / task_id
        python = str(VENV / "bin" / "python3")
        direct_ms = await direct(python, SUMMARY, workspace)
    return EndToEnd(len(content), total_ms, run.duration_ms, direct_ms, len(uploaded))


def workspaces_root() -> Path:
    """Not a 0700 temporary directory: the sandbox's unprivileged uid must reach its workspace."""
    root = Path(tempfile.mkdtemp(prefix="tw-bench-workspaces-"))
    root.chmod(0o711)
    return root


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=168_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    root = workspaces_root()
    try:
        boxed, plain = await overhead(args.runs, root)
        e2e = await end_to_end(args.rows, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    b50, b99, p50, p99 = (
        percentile(boxed, 50),
        percentile(boxed, 99),
        percentile(plain, 50),
        percentile(plain, 99),
    )
    print(f"print(1), {args.runs} runs each, interleaved")
    print(f"  sandboxed run_code   p50 {b50:7.1f} ms   p99 {b99:7.1f} ms")
    print(f"  same python directly p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    print(f"  ratio (p50)          {b50 / p50:.2f}x   added {b50 - p50:.1f} ms per run")
    print(
        f"{e2e.csv_bytes / 2**20:.1f} MB CSV ({args.rows:,} rows) shared in a thread → pandas summary"
    )
    print(
        f"  mention → answer in thread (download, run, upload, 2 model turns) {e2e.total_ms:7.0f} ms"
    )
    print(
        f"  of which run_code in the sandbox                               {e2e.run_code_ms:7.0f} ms"
    )
    print(
        f"  same pandas script run directly                                {e2e.direct_ms:7.0f} ms"
    )
    print(f"  summary.csv uploaded back: {e2e.uploaded_bytes:,} bytes")


if __name__ == "__main__":
    asyncio.run(main())
