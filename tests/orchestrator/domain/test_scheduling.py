"""Agent scheduling without services: who can take a step, and how many sub-agents may start."""

from __future__ import annotations

from orchestrator.domain.scheduling import can_progress, startable
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, ThreadRef, ToolCall

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def asked() -> Agent:
    """An agent whose conversation ends with an unanswered user message."""
    agent = Agent(id="a", model="m")
    agent.add_user_text("hello")
    return agent


def test_an_agent_with_an_unanswered_message_can_progress() -> None:
    assert can_progress(asked())


def test_an_empty_or_finished_agent_cannot() -> None:
    assert not can_progress(Agent(id="a", model="m"))
    done = asked()
    done.move("done")
    assert not can_progress(done)


def test_pending_calls_and_a_resolved_turn_are_steps_to_take() -> None:
    agent = asked()
    agent.calls = [ToolCall(id="t1", name="x")]
    assert can_progress(agent), "a pending call is run next"
    agent.calls[0].finish("ok")
    assert can_progress(agent), "a turn whose calls all have results is closed next"


def test_a_call_waiting_for_a_person_suspends_the_agent() -> None:
    agent = asked()
    agent.calls = [ToolCall(id="t1", name="x", status="awaiting_approval")]
    assert not can_progress(agent)


def task_with_subagents(count: int) -> Task:
    agents = {ORCHESTRATOR: Agent(id=ORCHESTRATOR, model="m")}
    for i in range(count):
        child = Agent(id=f"sub_{i}", kind="subagent", model="m", parent_id=ORCHESTRATOR)
        child.add_user_text("brief")
        agents[child.id] = child
    return Task(id="task_1", thread=THREAD, requester="U1", agents=agents)


def test_subagents_start_up_to_the_concurrency_limit_in_task_order() -> None:
    task = task_with_subagents(5)
    started = startable(task, [], max_concurrent_subagents=3)
    assert [a.id for a in started] == ["sub_0", "sub_1", "sub_2"]


def test_running_subagents_count_against_the_limit_and_are_not_started_twice() -> None:
    task = task_with_subagents(5)
    started = startable(task, ["sub_0", "sub_1"], max_concurrent_subagents=3)
    assert [a.id for a in started] == ["sub_2"]


def test_the_orchestrator_is_never_held_back_by_the_subagent_limit() -> None:
    task = task_with_subagents(2)
    task.orchestrator.add_user_text("go")
    started = startable(task, ["sub_0", "sub_1"], max_concurrent_subagents=2)
    assert [a.id for a in started] == [ORCHESTRATOR]


def test_nothing_to_start_means_the_task_is_suspended() -> None:
    task = task_with_subagents(0)
    assert startable(task, [], max_concurrent_subagents=8) == []
