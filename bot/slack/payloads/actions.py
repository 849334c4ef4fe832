"""Parse button presses (`block_actions` payloads) on the cards and messages the bot posted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.slack.payloads.shapes import OPAQUE_ID, Id
from orchestrator import (
    AnswerClick,
    Click,
    DisconnectRequest,
    ElicitationClick,
    FeedbackClick,
    StopRequest,
    ThreadRef,
    Verdict,
    parse_option_value,
)

_VERDICTS = frozenset(get_args(Verdict))
_FEEDBACK = re.compile(r"^(positive|negative):([A-Za-z0-9_-]{1,64})$")
_ELICIT_ACTIONS = {
    "elicitation.open": "open",
    "elicitation.link": "link",
    "elicitation.decline": "decline",
}


class _Container(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str | None = None
    """`message` for a button in a thread, `view` for one in the App Home."""
    channel_id: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action_id: str
    value: str = ""


class _BlockActions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: Id
    team: Id | None = None
    channel: Id | None = None
    container: _Container = _Container()
    actions: list[_Action]


@dataclass(frozen=True)
class _Press:
    """The pressed button, who pressed it in which workspace, and where."""

    action: _Action
    user_id: str
    team_id: str
    channel_id: str | None
    thread_ts: str | None
    """The thread the button is in, or the message it is on when that is not in a thread."""
    message_ts: str | None
    in_view: bool

    def thread(self) -> ThreadRef | None:
        """The thread of a button pressed in a channel; None elsewhere (the App Home)."""
        if not self.channel_id or not self.thread_ts:
            return None
        return ThreadRef(team_id=self.team_id, channel_id=self.channel_id, thread_ts=self.thread_ts)


def _press(body: dict[str, Any]) -> _Press | None:
    """The first pressed button; None when the payload names no button or no workspace."""
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    if not parsed.actions or parsed.team is None:
        return None
    container = parsed.container
    return _Press(
        action=parsed.actions[0],
        user_id=parsed.user.id,
        team_id=parsed.team.id,
        channel_id=parsed.channel.id if parsed.channel else container.channel_id,
        thread_ts=container.thread_ts or container.message_ts,
        message_ts=container.message_ts,
        in_view=container.type == "view",
    )


def malformed_interaction(body: dict[str, Any]) -> bool:
    """True for a `block_actions` or `view_submission` payload missing the parts listeners read."""
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        return not (
            isinstance(actions, list)
            and actions
            and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        )
    if body.get("type") == "view_submission":
        view = body.get("view")
        return not (isinstance(view, dict) and isinstance(view.get("callback_id"), str))
    return False


def checkpoint_click(body: dict[str, Any]) -> Click | None:
    """A press of a checkpoint button on its card, or in the clicker's App Home (no channel);
    None when the payload is not one we could have sent."""
    press = _press(body)
    if press is None:
        return None
    verdict = press.action.action_id.removeprefix("checkpoint.")
    in_home = press.in_view and not press.channel_id
    if verdict not in _VERDICTS or not (press.channel_id or in_home):
        return None
    if not OPAQUE_ID.match(press.action.value):
        return None
    return Click(
        checkpoint_id=press.action.value,
        verdict=verdict,  # type: ignore[arg-type]
        user_id=press.user_id,
        team_id=press.team_id,
        channel_id=press.channel_id or None,
        thread_ts=press.thread_ts,
    )


def stop_click(body: dict[str, Any]) -> StopRequest | None:
    """A press of the progress message's Stop button; its value is the task id, nothing more."""
    press = _press(body)
    if press is None or (thread := press.thread()) is None:
        return None
    if not OPAQUE_ID.match(press.action.value):
        return None
    return StopRequest(user_id=press.user_id, thread=thread, task_id=press.action.value)


def answer_click(body: dict[str, Any]) -> AnswerClick | None:
    """A press of a question's option button: its value names the question and the option."""
    press = _press(body)
    if press is None or (thread := press.thread()) is None:
        return None
    if (target := parse_option_value(press.action.value)) is None:
        return None
    return AnswerClick(user_id=press.user_id, thread=thread, call_id=target[0], option=target[1])


def feedback_click(body: dict[str, Any]) -> FeedbackClick | None:
    """A press of 👍/👎 under an answer: the pressed button's value is `<verdict>:<task id>`."""
    press = _press(body)
    if press is None or (thread := press.thread()) is None:
        return None
    if (match := _FEEDBACK.match(press.action.value)) is None:
        return None
    return FeedbackClick(
        user_id=press.user_id,
        thread=thread,
        task_id=match.group(2),
        value=match.group(1),  # type: ignore[arg-type]
        message_ts=press.message_ts,
    )


def elicitation_click(body: dict[str, Any]) -> ElicitationClick | None:
    """A press on a connector's request card: its value names the request, nothing more."""
    press = _press(body)
    if press is None or (thread := press.thread()) is None:
        return None
    kind = _ELICIT_ACTIONS.get(press.action.action_id)
    if kind is None or not OPAQUE_ID.match(press.action.value):
        return None
    return ElicitationClick(
        user_id=press.user_id,
        thread=thread,
        elicitation_id=press.action.value,
        action=kind,  # type: ignore[arg-type]
    )


_CONNECTOR = re.compile(r"^[\w.-]{1,64}/[\w.-]{1,64}$")


def disconnect_click(body: dict[str, Any], *, action_id: str) -> DisconnectRequest | None:
    """A Disconnect press in the presser's App Home: which of their own accounts, or None."""
    press = _press(body)
    if press is None or press.action.action_id != action_id or not press.in_view:
        return None
    if not _CONNECTOR.match(press.action.value):
        return None
    return DisconnectRequest(
        team_id=press.team_id, user_id=press.user_id, connector=press.action.value
    )
