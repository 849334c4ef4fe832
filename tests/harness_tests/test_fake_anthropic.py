"""FakeAnthropic satisfies the real SDK under strict validation and scripts each conversation."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator

import aiohttp
import anthropic
import pytest
from anthropic.types import MessageParam

from tests.harness.fake_anthropic import (
    Error,
    FakeAnthropic,
    Reply,
    StreamError,
    Text,
    ToolUse,
    Turn,
    estimate_input_tokens,
    estimate_tokens,
)

MODEL = "claude-sonnet-4-6"


@pytest.fixture
async def client(fake_anthropic: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="k", base_url=fake_anthropic.url, max_retries=0, _strict_response_validation=True
    ) as client:
        yield client


def user(text: str) -> list[MessageParam]:
    return [{"role": "user", "content": text}]


async def test_create_returns_scripted_text_with_estimated_usage(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script("weather agent", [Reply("It is sunny.")])
    message = await client.messages.create(
        model=MODEL, max_tokens=100, system="You are the weather agent.", messages=user("Paris?")
    )
    assert [b.text for b in message.content if b.type == "text"] == ["It is sunny."]
    assert message.stop_reason == "end_turn"
    (request,) = fake_anthropic.requests
    assert message.usage.input_tokens == estimate_input_tokens(request.body)
    assert message.usage.output_tokens == estimate_tokens("It is sunny.")
    assert request.usage == (message.usage.input_tokens, message.usage.output_tokens)
    assert request.headers["authorization"] == "Bearer k"


async def test_tool_use_turn_with_two_calls(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script(
        "plan",
        [
            Turn(
                [
                    Text("Looking."),
                    ToolUse("get_weather", {"city": "Paris"}),
                    ToolUse("get_time", {"tz": "Europe/Paris"}, id="toolu_fixed"),
                ]
            )
        ],
    )
    message = await client.messages.create(model=MODEL, max_tokens=100, messages=user("plan it"))
    uses = [b for b in message.content if b.type == "tool_use"]
    assert message.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in uses] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"tz": "Europe/Paris"}),
    ]
    assert uses[0].id.startswith("toolu_") and uses[1].id == "toolu_fixed"


async def test_stream_assembles_text_and_tool_inputs(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script(
        "stream me",
        [Turn([Text("Checking the repo."), ToolUse("git_log", {"path": "/r", "n": [1, 2]})])],
    )
    async with client.messages.stream(
        model=MODEL, max_tokens=100, messages=user("stream me")
    ) as stream:
        chunks = [chunk async for chunk in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(chunks) == "Checking the repo." and len(chunks) == 2
    assert final.content[1].type == "tool_use"
    assert final.content[1].input == {"path": "/r", "n": [1, 2]}
    assert final.stop_reason == "tool_use"
    assert final.usage.output_tokens == fake_anthropic.requests[0].usage[1]  # type: ignore[index]


async def test_overloaded_is_overloaded_error_and_retry_gets_next_turn(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script("busy", [Error(529), Error(529), Reply("hi")])
    with pytest.raises(anthropic.OverloadedError):
        await client.messages.create(model=MODEL, max_tokens=10, messages=user("busy"))

    retrying = client.with_options(max_retries=1)
    message = await retrying.messages.create(model=MODEL, max_tokens=10, messages=user("busy"))
    assert message.content[0].type == "text" and message.content[0].text == "hi"
    assert len(fake_anthropic.requests) == 3


async def test_mid_stream_error_raises_api_status_error(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script("flaky", [StreamError(after_events=3)])
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(
            model=MODEL, max_tokens=10, messages=user("flaky")
        ) as stream:
            await stream.get_final_message()
    assert caught.value.type == "overloaded_error"
    assert caught.value.status_code == 200


async def test_concurrent_conversations_each_follow_their_own_script(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script("agent A", [Reply("A1", delay_s=0.05), Reply("A2")])
    fake_anthropic.script("agent B", [Reply("B1"), Reply("B2", delay_s=0.05)])

    async def converse(name: str) -> list[str]:
        texts = []
        for _ in range(2):
            message = await client.messages.create(
                model=MODEL, max_tokens=10, system=f"You are agent {name}.", messages=user("go")
            )
            texts.append(message.content[0].text)  # type: ignore[union-attr]
        return texts

    assert await asyncio.gather(converse("A"), converse("B")) == [["A1", "A2"], ["B1", "B2"]]


async def test_match_on_first_user_message_and_callable(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script(lambda body: body.get("max_tokens") == 7, [Reply("by callable")])
    fake_anthropic.script("ticket 42", [Reply("first"), Reply("second")])
    history: list[MessageParam] = [
        {"role": "user", "content": [{"type": "text", "text": "look at ticket 42"}]},
        {"role": "assistant", "content": "first"},
        {"role": "user", "content": "and then?"},
    ]
    reply = await client.messages.create(model=MODEL, max_tokens=10, messages=history[:1])
    follow_up = await client.messages.create(model=MODEL, max_tokens=10, messages=history)
    other = await client.messages.create(model=MODEL, max_tokens=7, messages=user("x"))
    assert [m.content[0].text for m in (reply, follow_up, other)] == [  # type: ignore[union-attr]
        "first",
        "second",
        "by callable",
    ]


async def test_handler_and_default(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.handler(
        lambda body: (
            Reply(f"echo {body['messages'][-1]['content']}") if body["max_tokens"] == 5 else None
        )
    )
    echoed = await client.messages.create(model=MODEL, max_tokens=5, messages=user("ping"))
    fallback = await client.messages.create(model=MODEL, max_tokens=6, messages=user("ping"))
    assert echoed.content[0].text == "echo ping"  # type: ignore[union-attr]
    assert fallback.content[0].text == "ok"  # type: ignore[union-attr]
    assert [r.answered_by for r in fake_anthropic.requests] == ["handler", "default"]


async def test_unmatched_request_fails_loudly_without_default(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.default(None)
    fake_anthropic.script("sales agent", [Reply("x")])
    with pytest.raises(anthropic.InternalServerError, match="no script"):
        await client.messages.create(model=MODEL, max_tokens=5, messages=user("unknown"))
    assert len(fake_anthropic.unmatched) == 1


async def test_tool_use_without_result_is_rejected_like_the_api(
    client: anthropic.AsyncAnthropic,
) -> None:
    messages: list[MessageParam] = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}],
        },
        {"role": "user", "content": "never mind"},
    ]
    with pytest.raises(anthropic.BadRequestError, match="toolu_1"):
        await client.messages.create(model=MODEL, max_tokens=5, messages=messages)


async def test_hold_keeps_the_call_in_flight_until_released(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    release = threading.Event()
    fake_anthropic.script("slow", [Turn([Text("finally")], hold=release)])
    call = asyncio.create_task(
        client.messages.create(model=MODEL, max_tokens=5, messages=user("slow"))
    )
    assert await fake_anthropic.until_in_flight(1) == 1
    assert await fake_anthropic.until_held(1) == 1
    assert not call.done()
    release.set()
    message = await asyncio.wait_for(call, 10)
    assert message.content[0].text == "finally"  # type: ignore[union-attr]
    assert fake_anthropic.in_flight == 0
    assert fake_anthropic.held == 0


async def test_count_tokens_and_bearer_auth(fake_anthropic: FakeAnthropic) -> None:
    async with anthropic.AsyncAnthropic(
        auth_token="tok", base_url=fake_anthropic.url, _strict_response_validation=True
    ) as bearer:
        counted = await bearer.messages.count_tokens(model=MODEL, messages=user("hello world"))
        await bearer.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))
    assert counted.input_tokens == estimate_input_tokens({"messages": user("hello world")})
    assert fake_anthropic.requests[0].headers["authorization"] == "Bearer tok"


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"x-api-key": "k"}, 200)])
async def test_requests_need_an_api_key_or_bearer_token(
    fake_anthropic: FakeAnthropic, headers: dict[str, str], status: int
) -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": user("hi")}
    url = f"{fake_anthropic.url}/v1/messages"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        assert response.status == status
        reply = await response.json()
    assert reply["type"] == ("error" if status == 401 else "message")


async def test_waits_return_matching_requests_or_explain_the_timeout(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    async def call() -> None:
        await client.messages.create(model=MODEL, max_tokens=5, messages=user("needle"))

    found, _ = await asyncio.gather(
        fake_anthropic.until_requests(where=lambda r: "needle" in r.first_user_text), call()
    )
    assert found[0].last_user_text == "needle"
    with pytest.raises(AssertionError, match="needle"):
        fake_anthropic.wait_for_requests(2, timeout=0.05)


async def test_create_with_stream_true_yields_the_event_sequence(
    fake_anthropic: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script("events", [Turn([Text("hi"), ToolUse("t", {"a": 1})])])
    stream = await client.messages.create(
        model=MODEL, max_tokens=5, messages=user("events"), stream=True
    )
    kinds = [event.type async for event in stream]
    assert kinds == [
        "message_start",
        *["content_block_start", "content_block_delta", "content_block_delta"],
        "content_block_stop",
        *["content_block_start", "content_block_delta", "content_block_delta"],
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


async def test_stopping_with_a_held_call_is_prompt_and_drops_the_call() -> None:
    fake = FakeAnthropic().start()
    fake.script("stuck", [Reply("never", hold=threading.Event())])
    async with anthropic.AsyncAnthropic(api_key="k", base_url=fake.url, max_retries=0) as client:
        call = asyncio.create_task(
            client.messages.create(model=MODEL, max_tokens=5, messages=user("stuck"))
        )
        await fake.until_in_flight(1)
        started = time.monotonic()
        await asyncio.to_thread(fake.stop)
        assert time.monotonic() - started < 2
        with pytest.raises(anthropic.APIConnectionError):
            await asyncio.wait_for(call, 10)


@pytest.mark.slow
def test_a_killed_subprocess_mid_call_leaves_the_fake_serving(
    fake_anthropic: FakeAnthropic,
) -> None:
    release = threading.Event()
    fake_anthropic.script("job 7", [Reply("first try", hold=release), Reply("second try")])
    code = (
        "import sys, anthropic;"
        "c = anthropic.Anthropic(api_key='k', base_url=sys.argv[1], max_retries=0);"
        "m = c.messages.create(model='m', max_tokens=5,"
        " messages=[{'role': 'user', 'content': 'job 7'}]);"
        "print(m.content[0].text)"
    )
    victim = subprocess.Popen([sys.executable, "-c", code, fake_anthropic.url])
    try:
        fake_anthropic.wait_for_in_flight(1)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    release.set()
    rerun = subprocess.run(
        [sys.executable, "-c", code, fake_anthropic.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert rerun.stdout.strip() == "second try"
