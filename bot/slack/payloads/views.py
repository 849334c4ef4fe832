"""Parse submitted dialogs (`view_submission` payloads): their metadata names what they answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.slack.payloads.shapes import OPAQUE_ID, Id
from orchestrator import Click, ElicitationSubmission, FeedbackClick, ThreadRef


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")
    private_metadata: str = ""
    state: dict[str, Any] = {}


class _ViewSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: Id
    team: Id | None = None
    view: _View


@dataclass(frozen=True)
class _Submission:
    """Who submitted a dialog in which workspace, the metadata we put in it, and its state."""

    user_id: str
    team_id: str
    metadata: dict[str, Any]
    state: dict[str, Any]

    def opaque_id(self, key: str) -> str | None:
        """The metadata's id under `key`, if it is one we could have written."""
        value = self.metadata.get(key)
        return value if isinstance(value, str) and OPAQUE_ID.match(value) else None

    def string(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None

    def thread(self) -> ThreadRef | None:
        """The thread the dialog was opened from, as its metadata names it."""
        channel, thread_ts = self.string("channel"), self.string("thread_ts")
        if channel is None or thread_ts is None:
            return None
        return ThreadRef(team_id=self.team_id, channel_id=channel, thread_ts=thread_ts)

    def typed(self, block: str) -> str:
        """What was typed in the text input of `block` (whose action id is the block's)."""
        field = self.state.get("values", {}).get(block, {}).get(block, {})
        return str(field.get("value") or "").strip() if isinstance(field, dict) else ""


def _submission(body: dict[str, Any]) -> _Submission | None:
    try:
        parsed = _ViewSubmission.model_validate(body)
        metadata = json.loads(parsed.view.private_metadata or "{}")
    except (ValidationError, ValueError):
        return None
    if not isinstance(metadata, dict) or parsed.team is None:
        return None
    return _Submission(
        user_id=parsed.user.id, team_id=parsed.team.id, metadata=metadata, state=parsed.view.state
    )


def rejection(body: dict[str, Any], *, reason_block: str) -> Click | None:
    """The submitted reject dialog; its metadata names the checkpoint and where it was opened."""
    submitted = _submission(body)
    if submitted is None or (checkpoint := submitted.opaque_id("checkpoint")) is None:
        return None
    channel = submitted.metadata.get("channel")
    if channel is not None and not isinstance(channel, str):
        return None
    return Click(
        checkpoint_id=checkpoint,
        verdict="reject",
        user_id=submitted.user_id,
        team_id=submitted.team_id,
        channel_id=channel,
        thread_ts=submitted.string("thread_ts"),
        reason=submitted.typed(reason_block) or None,
    )


def feedback_comment(body: dict[str, Any], *, comment_block: str) -> FeedbackClick | None:
    """The submitted 👎 dialog; its metadata names the task, the thread and the answer."""
    submitted = _submission(body)
    if submitted is None or (task := submitted.opaque_id("task")) is None:
        return None
    if (thread := submitted.thread()) is None:
        return None
    return FeedbackClick(
        user_id=submitted.user_id,
        thread=thread,
        task_id=task,
        value="negative",
        message_ts=submitted.string("message_ts"),
        comment=submitted.typed(comment_block),
    )


def elicitation_submission(body: dict[str, Any]) -> ElicitationSubmission | None:
    """A submitted connector form: each field's text, choice or tick, keyed by field name."""
    submitted = _submission(body)
    if submitted is None or (request := submitted.opaque_id("elicitation")) is None:
        return None
    if (thread := submitted.thread()) is None:
        return None
    values: dict[str, str | bool | None] = {}
    for block in submitted.state.get("values", {}).values():
        if not isinstance(block, dict):
            continue
        for name, field in block.items():
            if isinstance(field, dict):
                values[str(name)] = _field_value(field)
    return ElicitationSubmission(
        user_id=submitted.user_id, thread=thread, elicitation_id=request, values=values
    )


def _field_value(field: dict[str, Any]) -> str | bool | None:
    kind = field.get("type")
    if kind == "checkboxes":
        return bool(field.get("selected_options"))
    if kind == "static_select":
        option = field.get("selected_option")
        return str(option.get("value")) if isinstance(option, dict) else None
    value = field.get("value")
    return str(value) if value is not None else None
