"""AnthropicModel against the fake Messages API over real HTTP: retries, refusals, usage."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from anthropic import AsyncAnthropic

from orchestrator.adapters.anthropic import AnthropicModel
from orchestrator.errors import ModelRejected, ModelUnavailable
from orchestrator.ports import ModelRequest
from tests.harness.fake_anthropic import (
    Error,
    FakeAnthropic,
    Reply,
    StreamError,
    Text,
    ToolUse,
    Turn,
)


@pytest.fixture
async def model(fake_anthropic: FakeAnthropic) -> AsyncIterator[AnthropicModel]:
    client = AsyncAnthropic(api_key="sk-ant-test", base_url=fake_anthropic.url, max_retries=0)
    yield AnthropicModel(client, max_attempts=5, retry_base_s=0.01)
    await client.close()


def request(text: str) -> ModelRequest:
    return ModelRequest(
        model="claude-test",
        system=[{"type": "text", "text": "You are Threadwork."}],
        messages=[{"role": "user", "content": [{"type": "text", "text": text}]}],
        max_tokens=256,
    )


async def test_an_overload_then_success_returns_the_reply_after_two_attempts(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script("busy", [Error(529), Reply("made it")])
    reply = await model.complete(request("busy"))
    assert reply.text == "made it"
    assert reply.attempts == 2
    assert len(fake_anthropic.requests) == 2


async def test_five_overloads_give_model_unavailable_after_five_attempts(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script("always busy", [Error(529)] * 5 + [Reply("too late")])
    with pytest.raises(ModelUnavailable) as caught:
        await model.complete(request("always busy"))
    assert caught.value.attempts == 5
    assert caught.value.status == 529
    assert len(fake_anthropic.requests) == 5


async def test_a_bad_request_is_rejected_without_retrying(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script(
        "malformed", [Error(400, "invalid_request_error", "messages: bad"), Reply("no")]
    )
    with pytest.raises(ModelRejected) as caught:
        await model.complete(request("malformed"))
    assert caught.value.status == 400
    assert caught.value.attempts == 1
    assert len(fake_anthropic.requests) == 1


async def test_an_error_inside_the_stream_is_retried_and_partial_text_dropped(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script(
        "hiccup",
        [
            StreamError("overloaded_error", after_events=3, partial=Turn(blocks=(Text("Half"),))),
            Reply("whole answer"),
        ],
    )
    reply = await model.complete(request("hiccup"))
    assert reply.text == "whole answer"
    assert reply.attempts == 2
    assert all(r.stream for r in fake_anthropic.requests), "turns are streamed"


async def test_rate_limit_retry_after_is_respected(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script(
        "slow down", [Error(429, "rate_limit_error", "slow down", retry_after_ms=300), Reply("ok")]
    )
    started = time.monotonic()
    reply = await model.complete(request("slow down"))
    first, second = fake_anthropic.requests
    assert reply.attempts == 2
    assert second.time - first.time >= 0.3
    assert time.monotonic() - started >= 0.3


async def test_usage_and_tool_calls_are_parsed(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script(
        "count",
        [
            Turn(
                blocks=(Text("Looking."), ToolUse("search", {"q": "incidents"}, id="toolu_1")),
                usage=(1234, 56),
            )
        ],
    )
    reply = await model.complete(request("count"))
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (1234, 56)
    assert reply.usage.model_calls == 1
    assert reply.stop_reason == "tool_use"
    assert reply.text == "Looking."
    assert [(t["id"], t["name"], t["input"]) for t in reply.tool_uses] == [
        ("toolu_1", "search", {"q": "incidents"})
    ]


async def test_the_request_carries_system_messages_and_no_tools_when_there_are_none(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    await model.complete(request("plain"))
    (sent,) = fake_anthropic.requests
    assert sent.body["system"] == [{"type": "text", "text": "You are Threadwork."}]
    assert sent.body["max_tokens"] == 256
    assert "tools" not in sent.body


async def test_a_refusal_inside_the_stream_is_not_retried(
    model: AnthropicModel, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.script("refused", [StreamError("invalid_request_error"), Reply("no")])
    with pytest.raises(ModelRejected) as caught:
        await model.complete(request("refused"))
    assert caught.value.attempts == 1
    assert len(fake_anthropic.requests) == 1
