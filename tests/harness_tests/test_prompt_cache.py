"""The fake's prompt cache follows the documented rules, seen through the real SDK over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import pytest
from anthropic.types import MessageParam, ToolParam

from tests.harness.fake_anthropic import FakeAnthropic, ToolUse, estimate_input_tokens
from tests.harness.prompt_cache import estimate_tokens

MODEL = "claude-test"  # minimum cacheable length 1024 tokens
LONG = "Standing instructions for the agent. " * 200  # ~1850 tokens: cacheable on its own


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(clock=clock) as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="k", base_url=fake.url, max_retries=0, _strict_response_validation=True
    ) as client:
        yield client


def system(ttl: str | None = None) -> list[Any]:
    marker = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    return [{"type": "text", "text": LONG, "cache_control": marker}]


def conversation(turns: int) -> list[MessageParam]:
    """A user question and `turns` rounds of assistant tool call + user tool result."""
    messages: list[MessageParam] = [{"role": "user", "content": "Look into ticket 42, please."}]
    for n in range(turns):
        messages.append(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": f"toolu_{n}", "name": "t", "input": {}}],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": f"result {n}"}
                ],
            }
        )
    return messages


async def create(client: anthropic.AsyncAnthropic, **params: Any) -> anthropic.types.Usage:
    params.setdefault("model", MODEL)
    params.setdefault("max_tokens", 10)
    message = await client.messages.create(**params)
    return message.usage


def total(usage: anthropic.types.Usage) -> int:
    return (
        usage.input_tokens
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0)
    )


async def test_system_breakpoint_is_written_once_then_read(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    first = await create(client, system=system(), messages=conversation(0))
    second = await create(client, system=system(), messages=conversation(1))
    system_tokens = estimate_tokens({"type": "text", "text": LONG})
    assert (first.cache_creation_input_tokens, first.cache_read_input_tokens) == (system_tokens, 0)
    assert first.cache_creation is not None
    assert first.cache_creation.ephemeral_5m_input_tokens == system_tokens
    assert (second.cache_creation_input_tokens, second.cache_read_input_tokens) == (
        0,
        system_tokens,
    )
    assert second.input_tokens == total(second) - system_tokens
    assert total(second) == estimate_input_tokens(fake.requests[1].body)


async def test_a_prefix_below_the_minimum_length_is_not_cached(
    client: anthropic.AsyncAnthropic,
) -> None:
    short = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        usage = await create(client, system=short, messages=conversation(0))
        assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)


async def test_five_minute_entries_expire_unless_read_and_one_hour_entries_last(
    clock: Clock, client: anthropic.AsyncAnthropic
) -> None:
    await create(client, system=system(), messages=conversation(0))
    clock.now += 299
    assert (await create(client, system=system(), messages=conversation(0))).cache_read_input_tokens
    clock.now += 299  # the hit refreshed the entry: still live 598 s after it was written
    assert (await create(client, system=system(), messages=conversation(0))).cache_read_input_tokens
    clock.now += 301
    expired = await create(client, system=system(), messages=conversation(0))
    assert expired.cache_read_input_tokens == 0 and expired.cache_creation_input_tokens

    await create(client, system=system("1h"), messages=conversation(0))
    clock.now += 3000
    kept = await create(client, system=system("1h"), messages=conversation(0))
    assert kept.cache_read_input_tokens and kept.cache_creation_input_tokens == 0


async def test_automatic_caching_follows_the_conversation(
    client: anthropic.AsyncAnthropic,
) -> None:
    previous = 0
    for step in range(6):
        usage = await create(
            client,
            system=LONG,
            messages=conversation(step),
            cache_control={"type": "ephemeral"},
        )
        assert usage.cache_read_input_tokens == previous
        # Only the blocks added since the last request are new: written, nothing left uncached.
        assert usage.input_tokens == 0
        previous = total(usage)


async def test_the_lookback_window_is_twenty_blocks(client: anthropic.AsyncAnthropic) -> None:
    await create(
        client, system=system(), messages=conversation(1), cache_control={"type": "ephemeral"}
    )
    # conversation(1) has 3 message blocks; conversation(10) adds 18 more: inside the window.
    near = await create(
        client, system=system(), messages=conversation(10), cache_control={"type": "ephemeral"}
    )
    assert near.cache_read_input_tokens == total(near) - near.cache_creation_input_tokens
    assert near.cache_read_input_tokens > estimate_tokens({"type": "text", "text": LONG})
    # conversation(21) is 22 blocks past the last entry: only the system breakpoint still hits.
    far = await create(
        client, system=system(), messages=conversation(21), cache_control={"type": "ephemeral"}
    )
    assert far.cache_read_input_tokens == estimate_tokens({"type": "text", "text": LONG})


async def test_a_changed_tools_array_invalidates_system_and_messages(
    client: anthropic.AsyncAnthropic,
) -> None:
    tools: list[ToolParam] = [{"name": "t", "input_schema": {"type": "object"}}]
    more = [*tools, {"name": "u", "input_schema": {"type": "object"}}]
    params = {
        "system": system(),
        "messages": conversation(1),
        "cache_control": {"type": "ephemeral"},
    }
    await create(client, tools=tools, **params)
    same = await create(client, tools=tools, **params)
    changed = await create(client, tools=more, **params)
    assert same.cache_read_input_tokens == total(same)
    assert changed.cache_read_input_tokens == 0


async def test_deferred_tools_cost_nothing_until_a_tool_reference_loads_them(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    search: ToolParam = {"name": "find_tools", "input_schema": {"type": "object"}}
    big: ToolParam = {
        "name": "crm_lookup",
        "description": "Look a customer up. " * 50,
        "input_schema": {"type": "object"},
        "defer_loading": True,
    }
    asked = conversation(0)
    used = [
        *asked,
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_s", "name": "find_tools", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_s",
                    "content": [{"type": "tool_reference", "tool_name": "crm_lookup"}],
                }
            ],
        },
    ]
    fake.script("ticket 42", [ToolUse("find_tools"), ToolUse("crm_lookup")])
    before = await create(client, tools=[search, big], messages=asked)
    after = await create(client, tools=[search, big], messages=used)
    assert before.input_tokens == estimate_input_tokens({"tools": [search], "messages": asked})
    assert after.input_tokens - before.input_tokens > estimate_tokens(big) - 10


async def test_request_shapes_the_api_rejects(client: anthropic.AsyncAnthropic) -> None:
    marker = {"type": "ephemeral"}
    five = [{"type": "text", "text": f"part {n}", "cache_control": marker} for n in range(5)]
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        await create(client, system=five, messages=conversation(0))
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        await create(client, system=five[:4], messages=conversation(0), cache_control=marker)
    late_hour = [
        {"type": "text", "text": "a", "cache_control": marker},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]
    with pytest.raises(anthropic.BadRequestError, match="must not come after"):
        await create(client, system=late_hour, messages=conversation(0))
    unknown = [
        *conversation(0),
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_s", "name": "find", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_s",
                    "content": [{"type": "tool_reference", "tool_name": "nowhere"}],
                }
            ],
        },
    ]
    with pytest.raises(anthropic.BadRequestError, match="nowhere") as caught:
        await create(
            client, tools=[{"name": "find", "input_schema": {"type": "object"}}], messages=unknown
        )
    assert caught.value.error_code == "tool_reference_unresolved"
    deferred: ToolParam = {"name": "x", "input_schema": {"type": "object"}, "defer_loading": True}
    with pytest.raises(anthropic.BadRequestError, match="defer_loading"):
        await create(client, tools=[deferred], messages=conversation(0))
