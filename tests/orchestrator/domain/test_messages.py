"""Typed model messages: one reader for the text of content blocks; stored histories load as saved."""

from __future__ import annotations

import json

from orchestrator.domain.messages import text_of, tool_uses
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall, first_line


def test_text_of_joins_the_text_blocks_only() -> None:
    blocks = [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {}},
        {"type": "text", "text": ""},
        {"type": "thinking", "thinking": "not for people", "signature": "s"},
        {"type": "text", "text": "Found it."},
    ]
    assert text_of(blocks) == "Looking. Found it."
    assert text_of(blocks, "\n\n") == "Looking.\n\nFound it."
    assert text_of("plain") == "plain" and text_of(None) == ""
    assert [b["id"] for b in tool_uses(blocks)] == ["toolu_1"]


def test_first_line_reads_text_blocks_of_a_tool_result() -> None:
    result = [{"type": "text", "text": "error: no such ticket\nat line 3"}]
    assert first_line(result) == "error: no such ticket"
    assert first_line("x" * 200, limit=10) == "x" * 9 + "…"


def test_a_stored_history_loads_exactly_as_it_was_saved() -> None:
    """Blocks and keys we do not model (thinking, citations, cache_control) survive a reload."""
    agent = {
        "id": "main",
        "model": "claude-test",
        "messages": [
            {"role": "user", "content": "plain text turn"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hm", "signature": "sig"},
                    {"type": "text", "text": "Looking.", "citations": None},
                    {"type": "tool_use", "id": "toolu_1", "name": "x", "input": {"q": 1}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "ok"}],
                        "is_error": True,
                    },
                    {"type": "text", "text": "go on", "cache_control": {"type": "ephemeral"}},
                ],
            },
        ],
        "calls": [
            {
                "id": "toolu_2",
                "name": "y",
                "status": "done",
                "result": [{"type": "text", "text": "r"}],
            }
        ],
    }
    stored = {
        "id": "t_1",
        "thread": {"team_id": "T1", "channel_id": "C1", "thread_ts": "1.0"},
        "requester": "U1",
        "agents": {"main": agent},
    }

    task = Task.model_validate_json(json.dumps(stored))

    again = json.loads(task.model_dump_json())
    assert again["agents"]["main"]["messages"] == agent["messages"]
    assert again["agents"]["main"]["calls"][0]["result"] == agent["calls"][0]["result"]


def test_a_turn_goes_back_to_the_model_as_typed_blocks() -> None:
    agent = Agent(id="main", model="m")
    agent.add_user_text("first")
    agent.add_user_text("second")
    agent.calls = [ToolCall(id="toolu_1", name="x")]
    agent.calls[0].finish([{"type": "text", "text": "done"}])
    agent.close_turn()

    assert agent.messages[0] == {
        "role": "user",
        "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
    }
    assert agent.messages[1]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [{"type": "text", "text": "done"}],
        }
    ]
    assert (
        Task(
            id="t", thread=ThreadRef(team_id="T", channel_id="C", thread_ts="1"), requester="U"
        ).model_dump()["agents"]
        == {}
    )
