"""Start of a turn without services: what a person's message does to its task."""

from __future__ import annotations

import pytest

from orchestrator.domain.commands import UserMessage
from orchestrator.domain.task import Agent, CallLine, Failure, ThreadRef, ToolCall, Usage
from orchestrator.domain.turns import attributed, new_task, open_turn, tools_read_this_turn

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def message(text: str = "summarise the incident", ts: str = "1700000001.000200") -> UserMessage:
    return UserMessage(thread=THREAD, user_id="U0ALICE", text=text, message_ts=ts)


def test_the_first_message_opens_a_task_for_its_author_and_thread() -> None:
    task = new_task("task_1", message(), model="claude-test")
    assert (task.id, task.thread, task.requester) == ("task_1", THREAD, "U0ALICE")
    assert task.orchestrator.model == "claude-test"
    assert task.status == "queued"


def test_the_model_reads_who_wrote_the_message_and_what_a_command_expanded_to() -> None:
    assert attributed(message("hi there"), None) == "<@U0ALICE>: hi there"
    expanded = attributed(message("/ops:triage db-1 is slow"), "Triage this: db-1 is slow")
    assert expanded == "<@U0ALICE> ran /ops:triage:\n\nTriage this: db-1 is slow"


def test_opening_a_turn_adds_the_message_and_marks_it_applied() -> None:
    task = new_task("task_1", message(), model="m")
    open_turn(task, message(), "<@U0ALICE>: summarise the incident")
    main = task.orchestrator
    assert main.messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "<@U0ALICE>: summarise the incident"}],
        }
    ]
    assert main.status == "ready" and main.awaits_model()
    assert task.has_applied("1700000001.000200")


def test_a_new_turn_starts_its_counters_from_where_the_thread_is() -> None:
    task = new_task("task_1", message(), model="m")
    task.steps, task.orchestrator.steps = 7, 4
    task.usage = Usage(input_tokens=900, output_tokens=100)
    task.progress_ts, task.progress = "1700000002.000300", [CallLine(tool="lookup", status="done")]
    open_turn(task, message(ts="1700000009.000900"), "again")
    assert (task.turn_first_step, task.turn_first_model_calls, task.turn_first_tokens) == (
        7,
        4,
        1_000,
    )
    assert task.progress_ts is None and task.progress == [], "the turn gets its own reply"


@pytest.mark.parametrize("finished", ["completed", "failed", "cancelled"])
def test_a_message_in_a_finished_thread_queues_the_next_turn_of_the_same_task(
    finished: str,
) -> None:
    task = new_task("task_1", message(), model="m")
    task.status = finished  # type: ignore[assignment]
    task.failure = Failure(code="budget_exceeded", correlation_id="c0ffee")
    task.orchestrator.add_user_text("old question")
    task.orchestrator.messages.append({"role": "assistant", "content": "old answer"})
    task.orchestrator.move("done")
    open_turn(task, message(ts="1700000009.000900"), "new question")
    assert task.status == "queued"
    assert task.failure is None
    assert task.orchestrator.status == "ready"
    assert len(task.orchestrator.messages) == 3, "the conversation goes on, nothing is lost"


def test_a_message_joining_a_turn_in_progress_leaves_the_task_running() -> None:
    task = new_task("task_1", message(), model="m")
    task.move("running")
    open_turn(task, message(ts="1700000009.000900"), "one more thing")
    assert task.status == "running"


def test_a_message_after_an_unanswered_one_merges_into_the_same_user_turn() -> None:
    task = new_task("task_1", message(), model="m")
    open_turn(task, message(), "first")
    open_turn(task, message(ts="1700000009.000900"), "second")
    content = task.orchestrator.messages[-1]["content"]
    assert [b["text"] for b in content] == ["first", "second"]
    assert len(task.orchestrator.messages) == 1, "roles keep alternating"


def test_a_turn_with_waiting_calls_is_not_for_open_turn() -> None:
    task = new_task("task_1", message(), model="m")
    task.orchestrator.calls = [ToolCall(id="t1", name="x", status="awaiting_approval")]
    open_turn(task, message(), "hello")
    # The calls stay as they were: resolving them is the worker's job before it opens a turn.
    assert task.orchestrator.calls[0].status == "awaiting_approval"


def _use(name: str, call_id: str) -> dict:
    return {"type": "tool_use", "id": call_id, "name": name, "input": {}}


def _result(call_id: str) -> dict:
    return {"type": "tool_result", "tool_use_id": call_id, "content": "output"}


def _connector(name: str) -> bool:
    return "__" in name


def test_tools_read_this_turn_are_the_connector_calls_since_the_person_wrote() -> None:
    agent = Agent(id="main", model="m")
    agent.messages = [
        {"role": "user", "content": "<@U1>: earlier turn"},
        {"role": "assistant", "content": [_use("crm__old", "a")]},
        {"role": "user", "content": [_result("a")]},
        {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
        {"role": "user", "content": [{"type": "text", "text": "<@U1>: this turn"}]},
        {"role": "assistant", "content": [_use("find_tools", "b"), _use("crm__read", "c")]},
        {"role": "user", "content": [_result("b"), _result("c")]},
        {"role": "assistant", "content": [_use("docs__fetch", "d"), _use("crm__read", "e")]},
        {"role": "user", "content": [_result("d"), _result("e"), {"type": "text", "text": "x"}]},
        {"role": "assistant", "content": [_use("crm__write", "f"), _use("docs__fetch", "g")]},
    ]
    assert tools_read_this_turn(agent, _connector) == ("crm__read", "docs__fetch")


def test_a_request_made_before_reading_anything_names_nothing() -> None:
    agent = Agent(id="main", model="m")
    agent.messages = [
        {"role": "user", "content": "<@U1>: file it"},
        {"role": "assistant", "content": [_use("find_tools", "a")]},
        {"role": "user", "content": [_result("a")]},
        {"role": "assistant", "content": [_use("crm__write", "b")]},
    ]
    assert tools_read_this_turn(agent, _connector) == ()
