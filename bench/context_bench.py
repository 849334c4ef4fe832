"""Lazy versus eager context: size of the first model request with every plugin enabled.

Lazy (what Threadwork sends): the system prompt with one line per skill and connector, the core
tools, and every connector tool announced with `defer_loading: true` (not billed until a
`tool_reference` loads it). Eager (the naive alternative): every skill body in the system prompt
and every connector tool schema in `tools`. Both are measured in billed tokens, estimated the same
way (characters / 4 of each billed block, `tests/harness/prompt_cache.py`), side by side in one
run; the size of the request body is printed too.

    .venv/bin/python bench/context_bench.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors import ConnectorPool  # noqa: E402
from orchestrator.engine.prompt import system_blocks  # noqa: E402
from orchestrator.tools.catalog import Catalog  # noqa: E402
from orchestrator.tools.connections import server_specs  # noqa: E402
from orchestrator.tools.toolbox import _CORE_TOOLS  # noqa: E402
from plugins import AdminConfig, PluginRegistry  # noqa: E402
from tests.harness.prompt_cache import count_input_tokens  # noqa: E402

REAL = ROOT.parent / "shared" / "fixtures" / "real-plugins"
SOURCES = [REAL / "sales", REAL / "brand-voice", REAL / "pdf-viewer", ROOT / "examples" / "plugins"]
QUESTION = [
    {"role": "user", "content": [{"type": "text", "text": "prep me for my call with Acme"}]}
]


def tokens(request: dict[str, Any]) -> int:
    return count_input_tokens(request)


def body_kb(request: Mapping[str, object]) -> float:
    return len(json.dumps(request)) / 1024


async def main() -> None:
    logging.disable(logging.WARNING)  # unreachable placeholder servers are expected here
    registry = PluginRegistry.load(SOURCES)
    names = list(registry.plugins)
    config = AdminConfig(channels={"*": names})
    channel = Catalog(registry, config).for_channel("C0BENCH")
    specs, _ = server_specs(registry, config, os.environ)
    async with ConnectorPool(specs) as pool:
        tools = await pool.list_tools()

    lazy = {
        "system": system_blocks(*channel.prompt_sections()),
        "tools": [
            *_CORE_TOOLS,
            *({**t.schema_for_model(), "defer_loading": True} for t in tools),
        ],
        "messages": QUESTION,
    }
    bodies = [f"# Skill {key}\n{skill.body()}" for key, skill in channel.skills.items()]
    eager = {
        "system": system_blocks(*bodies),
        "tools": [t.schema_for_model() for t in tools],
        "messages": QUESTION,
    }
    lazy_t, eager_t = tokens(lazy), tokens(eager)
    print(f"plugins enabled: {', '.join(names)}")
    print(f"skills: {len(channel.skills)}   connector tools listed: {len(tools)}")
    print(f"{'request':<10}{'billed tokens':>18}{'body KiB':>10}")
    print(f"{'lazy':<10}{lazy_t:>18,}{body_kb(lazy):>10.1f}")
    print(f"{'eager':<10}{eager_t:>18,}{body_kb(eager):>10.1f}")
    print(f"lazy context: {lazy_t:,} vs {eager_t:,} tokens eager ({eager_t / lazy_t:.1f}x smaller)")


if __name__ == "__main__":
    asyncio.run(main())
