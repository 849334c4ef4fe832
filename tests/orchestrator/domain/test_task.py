"""The task model's pure rules: status moves, how a turn's results go back, JSON round trip."""

from __future__ import annotations

import json

import pytest

from orchestrator.domain.task import (
    ORCHESTRATOR,
    PROGRESS_CAP,
    Agent,
    CallLine,
    ConnectorDown,
    Note,
    ProgressEntry,
    Task,
    ThreadRef,
    ToolCall,
    move_agent,
    move_call,
    move_task,
    with_entry,
)
from orchestrator.errors import InvalidTransition

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def new_task() -> Task:
    return Task(
        id="task_1",
        thread=THREAD,
        requester="U0ALICE",
        agents={ORCHESTRATOR: Agent(id=ORCHESTRATOR, model="claude-test")},
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("queued", "running"),
        ("running", "awaiting_approval"),
        ("running", "completed"),
        ("awaiting_approval", "queued"),
        ("awaiting_input", "running"),
        ("completed", "queued"),  # a new message reopens a finished thread
        ("failed", "running"),
        ("queued", "cancelled"),
    ],
)
def test_allowed_task_moves(current: str, target: str) -> None:
    assert move_task(current, target) == target  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("queued", "completed"),  # nothing ran
        ("queued", "awaiting_approval"),
        ("completed", "failed"),
        ("cancelled", "completed"),
        ("awaiting_approval", "completed"),  # the approved call must run first
    ],
)
def test_refused_task_moves_raise(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as caught:
        move_task(current, target)  # type: ignore[arg-type]
    assert (caught.value.kind, caught.value.current, caught.value.target) == (
        "task",
        current,
        target,
    )


def test_task_move_updates_status_and_refuses_in_place() -> None:
    task = new_task()
    task.move("running")
    task.move("completed")
    assert task.status == "completed"
    with pytest.raises(InvalidTransition):
        task.move("awaiting_approval")
    assert task.status == "completed", "a refused move leaves the status alone"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "running"),
        ("pending", "awaiting_approval"),
        ("awaiting_approval", "running"),
        ("awaiting_approval", "failed"),  # rejected
        ("running", "done"),
        ("pending", "failed"),
    ],
)
def test_allowed_call_moves(current: str, target: str) -> None:
    assert move_call(current, target) == target  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("done", "running"),  # a side effect never runs twice
        ("failed", "done"),
        ("running", "awaiting_approval"),
        ("done", "failed"),
    ],
)
def test_refused_call_moves_raise(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as caught:
        move_call(current, target)  # type: ignore[arg-type]
    assert caught.value.kind == "tool call"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("ready", "done"),  # the model answered
        ("ready", "failed"),  # a sub-agent failed or was stopped
        ("ready", "ready"),  # a message joined a turn in progress
        ("done", "ready"),  # a new message opens the orchestrator's next turn
        ("done", "failed"),  # a sub-agent whose last step crashed after it answered
        ("waiting", "ready"),
    ],
)
def test_allowed_agent_moves(current: str, target: str) -> None:
    assert move_agent(current, target) == target  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [("failed", "ready"), ("failed", "done"), ("done", "waiting"), ("done", "done")],
)
def test_refused_agent_moves_raise(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as caught:
        move_agent(current, target)  # type: ignore[arg-type]
    assert (caught.value.kind, caught.value.current, caught.value.target) == (
        "agent",
        current,
        target,
    )


def test_agent_move_refuses_in_place() -> None:
    agent = Agent(id="sub_1", kind="subagent", model="m")
    agent.move("failed")
    with pytest.raises(InvalidTransition):
        agent.move("ready")
    assert agent.status == "failed", "a failed sub-agent stays failed"


def test_finishing_a_call_twice_is_refused() -> None:
    call = ToolCall(id="toolu_1", name="lookup")
    call.finish("first")
    with pytest.raises(InvalidTransition):
        call.finish("second")
    assert call.result == "first"


def test_close_turn_sends_all_results_in_the_models_order_in_one_user_message() -> None:
    agent = Agent(id=ORCHESTRATOR, model="m", messages=[{"role": "user", "content": "go"}])
    agent.messages.append({"role": "assistant", "content": [{"type": "text", "text": "ok"}]})
    agent.calls = [ToolCall(id=f"toolu_{i}", name=f"tool_{i}") for i in range(3)]
    # Results arrive out of order (the last finishes first) and one of them fails.
    agent.calls[2].finish("third")
    agent.calls[0].finish("first")
    agent.calls[1].finish("boom", is_error=True)
    assert agent.turn_resolved()

    agent.close_turn()

    assert agent.calls == []
    assert len(agent.messages) == 3
    last = agent.messages[-1]
    assert last["role"] == "user"
    assert [b["tool_use_id"] for b in last["content"]] == ["toolu_0", "toolu_1", "toolu_2"]
    assert [b["content"] for b in last["content"]] == ["first", "boom", "third"]
    assert [b.get("is_error", False) for b in last["content"]] == [False, True, False]
    assert agent.awaits_model()


def test_a_turn_with_an_unresolved_call_is_not_resolved() -> None:
    agent = Agent(id=ORCHESTRATOR, model="m")
    agent.calls = [ToolCall(id="a", name="x"), ToolCall(id="b", name="y")]
    agent.calls[0].finish("done")
    agent.calls[1].status = move_call("pending", "awaiting_approval")
    assert not agent.turn_resolved()
    assert not agent.awaits_model()


def test_add_user_text_merges_into_a_trailing_user_turn() -> None:
    agent = Agent(id=ORCHESTRATOR, model="m", messages=[{"role": "user", "content": "first"}])
    agent.add_user_text("second")
    assert len(agent.messages) == 1
    assert agent.messages[0]["content"] == [
        {"type": "text", "text": "first"},
        {"type": "text", "text": "second"},
    ]


def test_add_user_text_after_an_answer_opens_a_new_user_turn() -> None:
    agent = Agent(id=ORCHESTRATOR, model="m")
    agent.add_user_text("hello")
    agent.messages.append({"role": "assistant", "content": [{"type": "text", "text": "hi"}]})
    agent.add_user_text("again")
    assert [m["role"] for m in agent.messages] == ["user", "assistant", "user"]
    assert agent.messages[-1]["content"] == [{"type": "text", "text": "again"}]


def test_task_json_round_trip_keeps_everything() -> None:
    task = new_task()
    task.move("running")
    main = task.orchestrator
    main.add_user_text("<@U0ALICE>: list the open incidents")
    main.messages.append(
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "x", "input": {"q": 1}}],
        }
    )
    main.calls = [ToolCall(id="toolu_1", name="x", input={"q": 1})]
    main.calls[0].status = "awaiting_approval"
    main.calls[0].checkpoint_id = "cp_1"
    main.usage.input_tokens = 10
    task.usage.output_tokens = 7
    task.mark_applied("1700000000.000200")
    task.progress = [
        CallLine(tool="lookup", status="done"),
        ConnectorDown(connector="a/b", error="x"),
    ]

    again = Task.model_validate_json(task.model_dump_json())

    assert again == task
    assert again.orchestrator.calls[0].checkpoint_id == "cp_1"
    assert again.has_applied("1700000000.000200")


def test_task_json_rejects_unknown_fields() -> None:
    payload = new_task().model_dump(mode="json") | {"surprise": 1}
    with pytest.raises(ValueError, match="surprise"):
        Task.model_validate(payload)


def test_mark_applied_keeps_only_the_most_recent() -> None:
    task = new_task()
    for i in range(5):
        task.mark_applied(str(i), keep=3)
    assert task.applied_messages == ["2", "3", "4"]
    assert not task.has_applied("0")


def test_a_task_saved_with_progress_lines_loads_them_as_notes() -> None:
    """Tasks in Redis from before progress was typed keep what their reply showed."""
    saved = new_task().model_dump(mode="json")
    del saved["progress"]
    saved["progress_lines"] = ["✓ `lookup`", "⚠ connector a/b is unavailable: down"]

    task = Task.model_validate_json(json.dumps(saved))

    assert task.progress == [
        Note(text="✓ `lookup`"),
        Note(text="⚠ connector a/b is unavailable: down"),
    ]
    assert "progress_lines" not in task.model_dump()


def test_progress_keeps_the_last_entries_and_notes_a_connector_once() -> None:
    entries: list[ProgressEntry] = []
    for i in range(PROGRESS_CAP + 3):
        entries = with_entry(entries, CallLine(tool=f"t{i}", status="done"))
    assert len(entries) == PROGRESS_CAP
    assert entries[0] == CallLine(tool="t3", status="done")
    down = ConnectorDown(connector="a/b", error="refused")
    entries = with_entry(with_entry(entries, down, once=True), down, once=True)
    assert entries.count(down) == 1 and entries[-1] == down
