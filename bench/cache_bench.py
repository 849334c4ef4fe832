"""Benchmark: how much of a long task's input the prompt cache serves, and what that saves.

One scripted task runs through the real `serve` entry point (HTTP listener, in-process workers,
Redis, PostgreSQL, fake Slack and fake model over HTTP, the `atlas` test plugin's MCP server):
twenty model turns that find ten tools along the way and run nine of them. The requests the
orchestrator sent are recorded, then replayed through the fake's prompt-cache simulator
(`tests/harness/prompt_cache.py`, documented rules, characters/4 token estimate) in four shapes:

- today's:       the request shape the orchestrator sends (deferred tools + `tool_reference`,
                 system breakpoint + top-level `cache_control`);
- previous:      the shape before the change (only found tools in `tools`, so the array grows at
                 every find; a breakpoint on the system block only), rebuilt from the same
                 requests here in the bench;
- no breakpoint: today's requests without any `cache_control` (nothing cached): the baseline;
- and, for a task that waits 30 minutes for an approval halfway, the TTL choices
  5m everywhere / 1h on the system block / 1h everywhere.

Costs use the built-in list price of a Sonnet model ($3 in, $15 out, writes 1.25× / 2×,
reads 0.1× per million tokens). Run: .venv/bin/python bench/cache_bench.py
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from orchestrator.domain.pricing import Price  # noqa: E402
from orchestrator.domain.task import Usage  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.prompt_cache import CacheUsage, PromptCache  # noqa: E402
from tests.harness.services import free_port  # noqa: E402
from tests.stack import CHANNEL, Stack  # noqa: E402

Json = dict[str, Any]
PLUGINS = ROOT / "tests" / "fixtures" / "plugins"
MODEL = "claude-sonnet-4-5"  # minimum cacheable length 1024 tokens
PRICE = Price.from_input(3, 15)
TOOLS = [
    "revenue_by_region",
    "churned_accounts",
    "pipeline_forecast",
    "support_backlog",
    "invoice_aging",
    "usage_trends",
    "renewal_calendar",
    "discount_audit",
    "headcount_plan",
    "nps_comments",
]
STEP_S = 3.0
"""Simulated time between two model calls of the task."""
APPROVAL_WAIT_S = 30 * 60.0
WAIT_AFTER = 10
"""The approval wait comes after this many requests."""


def turns() -> list[Turn | Reply]:
    out: list[Turn | Reply] = []
    for index, name in enumerate(TOOLS):
        out.append(Turn([ToolUse("find_tools", {"query": f"atlas__reports__{name}"})]))
        if index < len(TOOLS) - 1:
            out.append(Turn([ToolUse(f"atlas__reports__{name}", {"period": "Q3"})]))
    return [*out, Reply("Quarterly review ready.")]


async def record_task() -> tuple[list[Json], int]:
    """Run the task in the real app: the request bodies the orchestrator sent, in order, and
    the output tokens of the answers."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack, FakeAnthropic() as model:
        config = Path(tmp) / "threadwork.yaml"
        config.write_text(f'plugins: [{PLUGINS / "atlas"}]\nchannels:\n  "*": [atlas]\n')
        with fresh_services() as (database_url, prefix):
            settings = settings_for(slack, model, database_url, prefix, config=config)
            settings = settings.model_copy(update={"model": MODEL})
            stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
            await stack.start()
            try:
                model.script("quarterly review", turns())
                mention = await stack.mention("quarterly review for Acme, every report")
                await slack.until_thread(CHANNEL, mention["ts"], "Quarterly review ready.", 120)
            finally:
                await stack.stop()
        output = sum(r.usage[1] for r in model.requests if r.usage)
        return [r.body for r in model.requests], output


# Request shapes


def unmarked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


def no_breakpoints(body: Json) -> Json:
    return unmarked(body)


def previous_shape(body: Json) -> Json:
    """The shape before the change: only tools found so far, each with its schema (the array
    grows), find results as text, one breakpoint on the system block."""
    old = copy.deepcopy(body)
    found = {
        ref["tool_name"]
        for message in old["messages"]
        for block in _blocks(message)
        if block.get("type") == "tool_result" and isinstance(block.get("content"), list)
        for ref in block["content"]
        if ref.get("type") == "tool_reference"
    }
    old["tools"] = [
        {k: v for k, v in t.items() if k != "defer_loading"}
        for t in old["tools"]
        if not t.get("defer_loading") or t["name"] in found
    ]
    for message in old["messages"]:
        for block in _blocks(message):
            if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                block["content"] = [
                    b for b in block["content"] if b.get("type") != "tool_reference"
                ]
    old.pop("cache_control", None)
    return old


def with_ttls(system: str, conversation: str) -> Callable[[Json], Json]:
    def shape(body: Json) -> Json:
        new = copy.deepcopy(body)
        new["system"][-1]["cache_control"] = {"type": "ephemeral", "ttl": system}
        new["cache_control"] = {"type": "ephemeral", "ttl": conversation}
        return new

    return shape


def _blocks(message: Json) -> list[Json]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


# Replay


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Figures:
    usages: list[CacheUsage]
    output_tokens: int
    """The same for every shape: the answers do not depend on the request shape."""

    @property
    def total_input(self) -> int:
        return sum(u.total_input_tokens for u in self.usages)

    @property
    def read_share(self) -> float:
        return sum(u.cache_read_input_tokens for u in self.usages) / self.total_input

    @property
    def input_cost(self) -> float:
        return sum(PRICE.cost(_usage(u, 0)) for u in self.usages)

    @property
    def cost(self) -> float:
        return self.input_cost + PRICE.cost(Usage(output_tokens=self.output_tokens))


def _usage(u: CacheUsage, output: int) -> Usage:
    return Usage(
        input_tokens=u.input_tokens,
        output_tokens=output,
        cache_read_tokens=u.cache_read_input_tokens,
        cache_write_tokens=u.cache_creation_input_tokens,
        cache_write_1h_tokens=u.cache_write_1h_tokens,
    )


def replay(
    bodies: Iterable[Json], output: int, shape: Callable[[Json], Json], *, wait_s: float = 0.0
) -> Figures:
    clock = Clock()
    cache = PromptCache(clock=clock)
    usages = []
    for index, body in enumerate(bodies):
        usages.append(cache.use(shape(body)))
        clock.now += STEP_S + (wait_s if index + 1 == WAIT_AFTER else 0.0)
    return Figures(usages, output)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    bodies, output = asyncio.run(record_task())
    assert len(bodies) == 20, f"expected 20 model calls, got {len(bodies)}"
    same_tools = all(json.dumps(b["tools"]) == json.dumps(bodies[0]["tools"]) for b in bodies)
    print(f"20-step task, ten tools found; the same tools array in every request: {same_tools}")
    print(f"{output:,} output tokens in all (the same for every shape)")
    baseline = replay(bodies, output, no_breakpoints)
    _table(
        baseline,
        [
            ("today's shape (5m everywhere)", replay(bodies, output, lambda b: b)),
            ("today's, 1h on the system block", replay(bodies, output, with_ttls("1h", "5m"))),
            ("previous shape", replay(bodies, output, previous_shape)),
            ("no breakpoint", baseline),
        ],
    )
    minutes = APPROVAL_WAIT_S / 60
    print(f"\nthe same task, waiting {minutes:.0f} min for an approval after step {WAIT_AFTER}:")
    waited = replay(bodies, output, no_breakpoints, wait_s=APPROVAL_WAIT_S)
    _table(
        waited,
        [
            (name, replay(bodies, output, with_ttls(system, rest), wait_s=APPROVAL_WAIT_S))
            for name, system, rest in (
                ("5m everywhere (today)", "5m", "5m"),
                ("1h on the system block", "1h", "5m"),
                ("1h everywhere", "1h", "1h"),
            )
        ],
    )


def _table(baseline: Figures, rows: list[tuple[str, Figures]]) -> None:
    print(
        f"{'shape':<34}{'input tokens':>13}{'from cache':>11}{'cost':>10}"
        f"{'vs none':>9}{'input vs none':>15}"
    )
    for name, f in rows:
        print(
            f"{name:<34}{f.total_input:>13,}{f.read_share:>11.1%}{'$' + format(f.cost, '.4f'):>10}"
            f"{f.cost / baseline.cost:>8.3f}×{f.input_cost / baseline.input_cost:>14.3f}×"
        )


if __name__ == "__main__":
    main()
