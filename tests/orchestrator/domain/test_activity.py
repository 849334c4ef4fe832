"""What the status line says the task is doing, derived from its current step."""

from __future__ import annotations

from bot import messages
from orchestrator.domain.activity import Activity, for_calls
from orchestrator.domain.task import ToolCall


def said(call: ToolCall) -> str:
    activity = for_calls([call])
    return messages.status_line(activity.kind, activity.subject)


def test_loading_a_skill_reads_as_reading_it() -> None:
    call = ToolCall(id="t1", name="load_skill", input={"name": "ops-notes:runbook"})
    assert said(call) == "is reading the runbook…"


def test_a_connector_tool_is_named_without_its_namespace() -> None:
    call = ToolCall(id="t1", name="ops__notes__search_notes", input={})
    assert said(call) == "is running search_notes…"


def test_sub_agents_are_counted() -> None:
    call = ToolCall(id="t1", name="spawn_subagents", input={"agents": [{}, {}, {}]})
    assert said(call) == "is working with 3 sub-agents…"


def test_the_first_open_call_names_the_step() -> None:
    done = ToolCall(id="t1", name="find_tools", input={})
    done.finish("ok")
    running = ToolCall(id="t2", name="run_code", input={})
    assert for_calls([done, running]) == Activity("running_code")
