"""Typed activity events: what is stored, what is read back, and rows that no longer fit."""

from __future__ import annotations

from typing import Literal

import pytest

from orchestrator.domain.checkpoint import Approvers, Risk
from orchestrator.domain.events import (
    ActivityEvent,
    CheckpointCreated,
    CheckpointDecided,
    ModelCalled,
    TaskFailed,
    Unrecognised,
    parse,
)


def read_back(event: ActivityEvent) -> ActivityEvent:
    """What the SQL log does: envelope into columns, payload into `data`, then parse the row."""
    return parse(
        event.kind,
        event.payload(),
        task_id=event.task_id,
        agent_id=event.agent_id,
        correlation_id=event.correlation_id,
    )


def test_an_event_reads_back_as_the_same_typed_value() -> None:
    events: list[ActivityEvent] = [
        ModelCalled(
            task_id="t1", agent_id="main", model="m", input_tokens=10, output_tokens=2, attempts=3
        ),
        TaskFailed(task_id="t1", correlation_id="abc123", code="model_overloaded", attempts=5),
        CheckpointCreated(
            task_id="t1",
            agent_id="main",
            checkpoint="cp_1",
            status="pending",
            tool="ops__restart",
            arguments={"service": "web"},
            approvers=Approvers(users=("U1",), groups=("S1",)),
            risk=Risk(idempotent=True),
            expires_at=1700000000.5,
        ),
    ]
    for event in events:
        assert read_back(event) == event


def test_the_stored_payload_is_the_event_without_its_envelope() -> None:
    event = CheckpointDecided(
        task_id="t1", agent_id="a1", checkpoint="cp_1", status="approved", decision="approved"
    )
    payload = event.payload()
    assert payload == {
        "checkpoint": "cp_1",
        "status": "approved",
        "decision": "approved",
        "by": None,
        "reason": None,
    }
    assert list(payload)[:2] == ["checkpoint", "status"], "the columns' order of old rows"


def test_a_row_that_no_longer_fits_its_kind_is_kept_as_recorded() -> None:
    wrong_type = parse("model.call", {"model": "m", "input_tokens": "many"}, task_id="t1")
    unknown_kind = parse("deploy.rolled_back", {"version": "1.2"}, task_id="t1", agent_id="a")
    not_an_object = parse("task.created", ["U1"], task_id="t1")

    assert isinstance(wrong_type, Unrecognised) and wrong_type.kind == "model.call"
    assert wrong_type.payload() == {"model": "m", "input_tokens": "many"}
    assert isinstance(unknown_kind, Unrecognised) and unknown_kind.agent_id == "a"
    assert unknown_kind.payload() == {"version": "1.2"}
    assert isinstance(not_an_object, Unrecognised)
    assert not_an_object.payload() == {"data": ["U1"]}


def test_an_older_row_with_fewer_fields_reads_as_its_type() -> None:
    old = parse(
        "checkpoint.created",
        {"checkpoint": "cp_1", "tool": "t", "approvers": {"users": ["U1"], "groups": []}},
        task_id="t1",
    )
    assert isinstance(old, CheckpointCreated)
    assert old.status is None and old.approvers == Approvers(users=("U1",))


def test_a_row_cannot_overwrite_its_envelope_from_its_data() -> None:
    event = parse("task.created", {"user": "U1", "task_id": "other"}, task_id="t1")
    assert event.task_id == "t1" and event.kind == "task.created"


def test_a_new_event_type_is_one_class() -> None:
    class CodeRan(ActivityEvent):
        kind: Literal["test.code_ran"] = "test.code_ran"
        exit_code: int

    event = read_back(CodeRan(task_id="t1", agent_id="main", exit_code=3))

    assert isinstance(event, CodeRan) and event.exit_code == 3
    with pytest.raises(TypeError, match="test.code_ran"):

        class Twin(ActivityEvent):
            kind: Literal["test.code_ran"] = "test.code_ran"
