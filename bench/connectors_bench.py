"""Connector layer benchmarks (prints ratios, never fails).

1. Per-call overhead of `ConnectorPool.call` versus the bare SDK `Client.call_tool`, on the same
   server (mcp-server-time over stdio), measured side by side in one run.
2. Request size with every tool of the five real servers: eager (all schemas as JSON) versus
   lazy (one line per tool plus the schemas of a couple of searched tools), tokens ≈ chars / 4.

Run: .venv/bin/python bench/connectors_bench.py   (needs `npm ci --prefix ci/npm`)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors import ConnectorPool, StdioSpec, ToolInfo  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
NPM_BIN = REPO / "ci" / "npm" / "node_modules" / ".bin"
CALLS = 200
ARGS = {"timezone": "UTC"}


def time_spec() -> StdioSpec:
    return StdioSpec(
        name="time", command=str(VENV_BIN / "mcp-server-time"), args=("--local-timezone", "UTC")
    )


async def bare_sdk() -> list[float]:
    params = StdioServerParameters(
        command=str(VENV_BIN / "mcp-server-time"), args=["--local-timezone", "UTC"]
    )
    async with Client(params, read_timeout_seconds=60) as client:
        await client.list_tools()
        samples = []
        for _ in range(CALLS):
            start = time.perf_counter()
            await client.call_tool("get_current_time", ARGS)
            samples.append(time.perf_counter() - start)
    return samples


async def ours() -> list[float]:
    async with ConnectorPool([time_spec()]) as pool:
        await pool.list_tools()
        samples = []
        for _ in range(CALLS):
            start = time.perf_counter()
            await pool.call("time__get_current_time", ARGS)
            samples.append(time.perf_counter() - start)
    return samples


def five_servers(tmp: Path) -> list[StdioSpec]:
    repo = tmp / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return [
        time_spec(),
        StdioSpec(
            name="git", command=str(VENV_BIN / "mcp-server-git"), args=("--repository", str(repo))
        ),
        StdioSpec(
            name="everything", command=str(NPM_BIN / "mcp-server-everything"), args=("stdio",)
        ),
        StdioSpec(name="fs", command=str(NPM_BIN / "mcp-server-filesystem"), args=(str(tmp),)),
        StdioSpec(
            name="memory",
            command=str(NPM_BIN / "mcp-server-memory"),
            env={"MEMORY_FILE_PATH": str(tmp / "memory.jsonl")},
        ),
    ]


def tokens(text: str) -> int:
    return len(text) // 4


def request_sizes(tools: list[ToolInfo]) -> tuple[int, int]:
    eager = json.dumps([t.schema_for_model() for t in tools])
    catalogue = "\n".join(f"{t.model_name}: {t.summary}" for t in tools)
    searched = [t for t in tools if "read" in t.name][:2]
    lazy = catalogue + json.dumps([t.schema_for_model() for t in searched])
    return tokens(eager), tokens(lazy)


async def main() -> None:
    sdk = await bare_sdk()
    layer = await ours()
    sdk_ms, ours_ms = statistics.median(sdk) * 1000, statistics.median(layer) * 1000
    print(f"per-call median over {CALLS} calls (mcp-server-time, stdio):")
    print(f"  bare SDK Client : {sdk_ms:.3f} ms")
    print(f"  ConnectorPool   : {ours_ms:.3f} ms")
    print(f"  overhead ratio  : {ours_ms / sdk_ms:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        async with ConnectorPool(five_servers(Path(tmp))) as pool:
            tools = await pool.list_tools()
            down = [s.line() for s in pool.status() if not s.reachable]
    if down:
        print("unreachable servers (run `npm ci --prefix ci/npm`?):", *down, sep="\n  ")
    eager, lazy = request_sizes(tools)
    print(f"request size with {len(tools)} tools of {5 - len(down)} servers (tokens ≈ chars/4):")
    print(f"  eager (all schemas)            : {eager} tokens")
    print(f"  lazy (catalogue + 2 schemas)   : {lazy} tokens")
    print(f"  eager / lazy ratio             : {eager / max(lazy, 1):.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
