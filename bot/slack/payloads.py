"""Parse Slack event payloads into orchestrator commands. Untrusted input stops here.

Returns None for events the bot must ignore (its own messages, edits, joins, unowned chatter).
"""

from __future__ import annotations

import json
import re
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import (
    AnswerClick,
    Click,
    ElicitationClick,
    ElicitationSubmission,
    FeedbackClick,
    SharedFile,
    SlashCommand,
    StopRequest,
    ThreadRef,
    UserMessage,
    Verdict,
    parse_option_value,
)

_ANY_USER = r"[UW][A-Z0-9]+"
_IGNORED_SUBTYPES = frozenset(
    {
        "bot_message",
        "message_changed",
        "message_deleted",
        "message_replied",
        "channel_join",
        "channel_leave",
        "thread_broadcast",
    }
)


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str | None = None
    title: str | None = None
    mimetype: str | None = None
    size: int = 0
    url_private_download: str | None = None
    mode: str | None = None


class _MessageEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    channel_type: str | None = None
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    channel: str
    subtype: str | None = None
    bot_id: str | None = None
    files: list[_File] = []

    def shared_files(self) -> tuple[SharedFile, ...]:
        """Files people shared (not tombstones of deleted ones, not external links)."""
        return tuple(
            SharedFile(
                id=f.id,
                name=f.name or f.title or f.id,
                mimetype=f.mimetype or "application/octet-stream",
                size=max(f.size, 0),
                url=f.url_private_download,
            )
            for f in self.files
            if f.mode not in ("tombstone", "external", "hidden_by_limit")
        )


def mention(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None = None
) -> UserMessage | None:
    """An `app_mention`: opens a task on the message's thread (or the message itself)."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id:
        return None
    if parsed.subtype not in (None, "file_share"):
        return None
    return UserMessage(
        thread=ThreadRef(
            team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts or parsed.ts
        ),
        user_id=parsed.user,
        text=_strip_bot_mentions(parsed.text, bot_user_id),
        message_ts=parsed.ts,
        mention=True,
        files=parsed.shared_files(),
    )


def thread_reply(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None
) -> UserMessage | None:
    """A plain message in a thread; the mention listener handles messages that mention the bot."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id or not parsed.thread_ts:
        return None
    if parsed.subtype in _IGNORED_SUBTYPES or parsed.user == bot_user_id:
        return None
    if bot_user_id and f"<@{bot_user_id}" in parsed.text:
        return None
    return UserMessage(
        thread=ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts),
        user_id=parsed.user,
        text=parsed.text.strip(),
        message_ts=parsed.ts,
        mention=False,
        files=parsed.shared_files(),
    )


def message(event: dict[str, Any], *, team_id: str, bot_user_id: str | None) -> UserMessage | None:
    """A `message` event: in a direct message (or the assistant's thread there) every message is
    to the bot, like a mention; in a channel only replies in threads the bot owns count."""
    if event.get("channel_type") == "im":
        return direct_message(event, team_id=team_id, bot_user_id=bot_user_id)
    return thread_reply(event, team_id=team_id, bot_user_id=bot_user_id)


def direct_message(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None
) -> UserMessage | None:
    """A person's message in their DM with the bot: opens a task on its thread (or itself)."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id or parsed.user == bot_user_id:
        return None
    if parsed.subtype not in (None, "file_share"):
        return None
    text = _strip_bot_mentions(parsed.text, bot_user_id) if bot_user_id else parsed.text.strip()
    return UserMessage(
        thread=ThreadRef(
            team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts or parsed.ts
        ),
        user_id=parsed.user,
        text=text,
        message_ts=parsed.ts,
        mention=True,
        files=parsed.shared_files(),
    )


def _parse(event: dict[str, Any]) -> _MessageEvent | None:
    try:
        return _MessageEvent.model_validate(event)
    except ValidationError:
        return None


def _strip_bot_mentions(text: str, bot_user_id: str | None) -> str:
    """Drop the bot's own mention; other people's mentions are part of the request."""
    if bot_user_id:
        token = rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>"
        return re.sub(r"\s{2,}", " ", re.sub(token, "", text)).strip()
    # Bot id unknown: the bot is the one addressed at the start or the end of the message.
    token = rf"<@{_ANY_USER}(?:\|[^>]*)?>"
    text = re.sub(rf"^\s*(?:{token}\s*)+", "", text)
    return re.sub(rf"(?:\s*{token})+\s*$", "", text).strip()


_VERDICTS = frozenset(get_args(Verdict))
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _Id(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str


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
    user: _Id
    team: _Id | None = None
    channel: _Id | None = None
    container: _Container = _Container()
    actions: list[_Action]


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")
    private_metadata: str = ""
    state: dict[str, Any] = {}


class _ViewSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: _Id
    team: _Id | None = None
    view: _View


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
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    action = parsed.actions[0] if parsed.actions else None
    verdict = action.action_id.removeprefix("checkpoint.") if action else ""
    channel = parsed.channel.id if parsed.channel else parsed.container.channel_id
    in_home = parsed.container.type == "view" and not channel
    if action is None or verdict not in _VERDICTS or parsed.team is None:
        return None
    if not (channel or in_home) or not _OPAQUE_ID.match(action.value):
        return None
    return Click(
        checkpoint_id=action.value,
        verdict=verdict,  # type: ignore[arg-type]
        user_id=parsed.user.id,
        team_id=parsed.team.id,
        channel_id=channel or None,
        thread_ts=parsed.container.thread_ts or parsed.container.message_ts,
    )


def rejection(body: dict[str, Any], *, reason_block: str) -> Click | None:
    """The submitted reject dialog; its metadata names the checkpoint and where it was opened."""
    try:
        parsed = _ViewSubmission.model_validate(body)
        metadata = json.loads(parsed.view.private_metadata or "{}")
    except (ValidationError, ValueError):
        return None
    checkpoint = metadata.get("checkpoint") if isinstance(metadata, dict) else None
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    if not isinstance(checkpoint, str) or not _OPAQUE_ID.match(checkpoint) or parsed.team is None:
        return None
    if channel is not None and not isinstance(channel, str):
        return None
    field = parsed.view.state.get("values", {}).get(reason_block, {}).get(reason_block, {})
    reason = str(field.get("value") or "").strip() if isinstance(field, dict) else ""
    thread_ts = metadata.get("thread_ts")
    return Click(
        checkpoint_id=checkpoint,
        verdict="reject",
        user_id=parsed.user.id,
        team_id=parsed.team.id,
        channel_id=channel,
        thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        reason=reason or None,
    )


def stop_click(body: dict[str, Any]) -> StopRequest | None:
    """A press of the progress message's Stop button; its value is the task id, nothing more."""
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    action = parsed.actions[0] if parsed.actions else None
    channel = parsed.channel.id if parsed.channel else parsed.container.channel_id
    thread_ts = parsed.container.thread_ts or parsed.container.message_ts
    if action is None or not _OPAQUE_ID.match(action.value) or parsed.team is None:
        return None
    if not channel or not thread_ts:
        return None
    return StopRequest(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        task_id=action.value,
    )


class _SessionStopped(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: str
    channel: str
    thread_ts: str


def session_stopped(event: dict[str, Any], *, team_id: str) -> StopRequest | None:
    """Slack's native Stop of an agent session (`agent_session_stopped`): names the thread."""
    try:
        parsed = _SessionStopped.model_validate(event)
    except ValidationError:
        return None
    return StopRequest(
        user_id=parsed.user,
        thread=ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts),
    )


def answer_click(body: dict[str, Any]) -> AnswerClick | None:
    """A press of a question's option button: its value names the question and the option."""
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    action = parsed.actions[0] if parsed.actions else None
    channel = parsed.channel.id if parsed.channel else parsed.container.channel_id
    thread_ts = parsed.container.thread_ts or parsed.container.message_ts
    target = parse_option_value(action.value) if action else None
    if target is None or parsed.team is None or not channel or not thread_ts:
        return None
    return AnswerClick(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        call_id=target[0],
        option=target[1],
    )


_FEEDBACK = re.compile(r"^(positive|negative):([A-Za-z0-9_-]{1,64})$")


def feedback_click(body: dict[str, Any]) -> FeedbackClick | None:
    """A press of 👍/👎 under an answer: the pressed button's value is `<verdict>:<task id>`."""
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    action = parsed.actions[0] if parsed.actions else None
    match = _FEEDBACK.match(action.value) if action else None
    channel = parsed.channel.id if parsed.channel else parsed.container.channel_id
    message_ts = parsed.container.message_ts
    thread_ts = parsed.container.thread_ts or message_ts
    if match is None or parsed.team is None or not channel or not thread_ts:
        return None
    return FeedbackClick(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        task_id=match.group(2),
        value=match.group(1),  # type: ignore[arg-type]
        message_ts=message_ts,
    )


def feedback_comment(body: dict[str, Any], *, comment_block: str) -> FeedbackClick | None:
    """The submitted 👎 dialog; its metadata names the task, the thread and the answer."""
    try:
        parsed = _ViewSubmission.model_validate(body)
        metadata = json.loads(parsed.view.private_metadata or "{}")
    except (ValidationError, ValueError):
        return None
    if not isinstance(metadata, dict) or parsed.team is None:
        return None
    task, channel, thread_ts = (metadata.get(k) for k in ("task", "channel", "thread_ts"))
    if not (isinstance(task, str) and _OPAQUE_ID.match(task)):
        return None
    if not isinstance(channel, str) or not isinstance(thread_ts, str):
        return None
    message_ts = metadata.get("message_ts")
    field = parsed.view.state.get("values", {}).get(comment_block, {}).get(comment_block, {})
    comment = str(field.get("value") or "").strip() if isinstance(field, dict) else ""
    return FeedbackClick(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        task_id=task,
        value="negative",
        message_ts=message_ts if isinstance(message_ts, str) else None,
        comment=comment,
    )


class _HomeOpened(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: str
    tab: str = "home"
    channel: str | None = None


def home_opened(event: dict[str, Any]) -> str | None:
    """`app_home_opened` on the Home tab: the user whose Home to publish (None for Messages)."""
    try:
        parsed = _HomeOpened.model_validate(event)
    except ValidationError:
        return None
    return parsed.user if parsed.tab == "home" else None


def messages_opened(event: dict[str, Any], *, team_id: str) -> ThreadRef | None:
    """`app_home_opened` on the Messages tab (Slack's agent view): the DM to suggest prompts in,
    as a thread with no ts (the conversation itself)."""
    try:
        parsed = _HomeOpened.model_validate(event)
    except ValidationError:
        return None
    if parsed.tab != "messages" or not parsed.channel:
        return None
    return ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts="")


_ELICIT_ACTIONS = {
    "elicitation.open": "open",
    "elicitation.link": "link",
    "elicitation.decline": "decline",
}


def elicitation_click(body: dict[str, Any]) -> ElicitationClick | None:
    """A press on a connector's request card: its value names the request, nothing more."""
    try:
        parsed = _BlockActions.model_validate(body)
    except ValidationError:
        return None
    action = parsed.actions[0] if parsed.actions else None
    channel = parsed.channel.id if parsed.channel else parsed.container.channel_id
    thread_ts = parsed.container.thread_ts or parsed.container.message_ts
    kind = _ELICIT_ACTIONS.get(action.action_id) if action else None
    if action is None or kind is None or not _OPAQUE_ID.match(action.value):
        return None
    if parsed.team is None or not channel or not thread_ts:
        return None
    return ElicitationClick(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        elicitation_id=action.value,
        action=kind,  # type: ignore[arg-type]
    )


def elicitation_submission(body: dict[str, Any]) -> ElicitationSubmission | None:
    """A submitted connector form: each field's text, choice or tick, keyed by field name."""
    try:
        parsed = _ViewSubmission.model_validate(body)
        metadata = json.loads(parsed.view.private_metadata or "{}")
    except (ValidationError, ValueError):
        return None
    if not isinstance(metadata, dict) or parsed.team is None:
        return None
    request, channel, thread_ts = (metadata.get(k) for k in ("elicitation", "channel", "thread_ts"))
    if not isinstance(request, str) or not _OPAQUE_ID.match(request):
        return None
    if not isinstance(channel, str) or not isinstance(thread_ts, str):
        return None
    values: dict[str, str | bool | None] = {}
    for block in parsed.view.state.get("values", {}).values():
        if not isinstance(block, dict):
            continue
        for name, field in block.items():
            if isinstance(field, dict):
                values[str(name)] = _field_value(field)
    return ElicitationSubmission(
        user_id=parsed.user.id,
        thread=ThreadRef(team_id=parsed.team.id, channel_id=channel, thread_ts=thread_ts),
        elicitation_id=request,
        values=values,
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


class _AssistantThread(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: str
    channel_id: str
    thread_ts: str


class _AssistantThreadStarted(BaseModel):
    model_config = ConfigDict(extra="ignore")
    assistant_thread: _AssistantThread


def assistant_thread_started(event: dict[str, Any], *, team_id: str) -> ThreadRef | None:
    """`assistant_thread_started`: a person opened a new conversation in the assistant."""
    try:
        parsed = _AssistantThreadStarted.model_validate(event)
    except ValidationError:
        return None
    thread = parsed.assistant_thread
    return ThreadRef(team_id=team_id, channel_id=thread.channel_id, thread_ts=thread.thread_ts)


class _Command(BaseModel):
    model_config = ConfigDict(extra="ignore")
    team_id: str
    channel_id: str
    user_id: str
    text: str = ""


_VERBS = {"": "help", "help": "help", "status": "status", "usage": "usage"}


def slash_command(body: dict[str, Any]) -> SlashCommand | None:
    """`/threadwork [help|status|usage]`; anything else is answered with the help."""
    try:
        parsed = _Command.model_validate(body)
    except ValidationError:
        return None
    text = parsed.text.strip()
    verb = _VERBS.get(text.split(" ", 1)[0].lower() if text else "", "unknown")
    return SlashCommand(
        team_id=parsed.team_id,
        channel_id=parsed.channel_id,
        user_id=parsed.user_id,
        verb=verb,  # type: ignore[arg-type]
        text=text[:100],
    )
