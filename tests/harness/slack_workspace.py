"""The workspace behind the fake Slack Web API: messages, reactions, views, users, user groups.

`Workspace.answer(method, args)` applies one Web API call to this state and returns Slack's JSON
reply. Transport concerns (auth, rate limits, injected failures, recording) live in `fake_slack`.
Not thread-safe on its own: the fake calls it under its lock.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .block_kit import (
    MESSAGE_MAX_BLOCKS,
    MESSAGE_TEXT_MAX,
    VIEW_MAX_BLOCKS,
    block_errors,
)
from .slack_streams import StreamMethods
from .slack_ts import next_ts

Json = dict[str, Any]

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEAM"


def default_auth() -> Json:
    return {
        "ok": True,
        "url": "https://acme.slack.com/",
        "team": "Acme",
        "team_id": TEAM_ID,
        "user": "threadwork",
        "user_id": BOT_USER,
        "bot_id": BOT_ID,
    }


@dataclass(frozen=True)
class SlackMessage:
    """A message as a user currently sees it (after edits; deleted messages are not listed)."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: tuple[Json, ...]
    user: str
    edited: int
    """How many times `chat.update` changed it."""
    files: tuple[Json, ...] = ()
    """Files shared with the message (`id`, `name`, `title`, `size`, `mimetype`)."""
    streaming: bool = False
    """A `chat.startStream` message not stopped yet (its text still grows)."""

    @property
    def all_text(self) -> str:
        """`text` plus every text string inside `blocks`: what a reader of the message sees."""
        parts = [self.text]
        for block in self.blocks:
            _collect_text(block, parts)
        return "\n".join(part for part in parts if part)

    def to_api(self) -> Json:
        """The message as Slack's `conversations.replies` returns it."""
        out: Json = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.blocks:
            out["blocks"] = list(self.blocks)
        if self.user == BOT_USER:
            out["bot_id"] = BOT_ID
        if self.edited:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.files:
            out["files"] = list(self.files)
        return out


@dataclass
class SlackFile:
    """A file in the workspace: shared by a person (seeded) or uploaded by the bot."""

    id: str
    name: str
    mimetype: str
    content: bytes | None = None
    """None until the upload POST arrived."""
    length: int = 0
    """The length `files.getUploadURLExternal` announced."""
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class SlackEphemeral:
    channel: str
    user: str
    text: str
    blocks: tuple[Json, ...]
    thread_ts: str | None
    message_ts: str


@dataclass(frozen=True)
class SlackView:
    id: str
    trigger_id: str | None
    view: Json


def _collect_text(node: Any, parts: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            # Task cards and plans title themselves with a bare string.
            if key in ("text", "title") and isinstance(value, str):
                parts.append(value)
            else:
                _collect_text(value, parts)
    elif isinstance(node, list):
        for item in node:
            _collect_text(item, parts)


def _error(code: str, **extra: Any) -> Json:
    return {"ok": False, "error": code, **extra}


@dataclass
class Workspace:
    auth: Json = field(default_factory=default_auth)
    users: dict[str, Json] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[tuple[str, str], SlackMessage] = field(default_factory=dict)
    ephemerals: list[SlackEphemeral] = field(default_factory=list)
    reactions: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    views: dict[str, SlackView] = field(default_factory=dict)
    homes: dict[str, Json] = field(default_factory=dict)
    prompts: dict[tuple[str, str], list[Json]] = field(default_factory=dict)
    """(channel, thread ts) → the assistant's suggested prompts set there."""
    """User id → the Home tab view last published for them."""
    files: dict[str, SlackFile] = field(default_factory=dict)
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    """(channel, thread ts) -> the assistant status showing; Slack clears it on a bot reply."""
    status_log: list[tuple[str, str, str]] = field(default_factory=list)
    """(channel, thread ts, status) of every status set or cleared, in order."""
    refused_block_types: set[str] = field(default_factory=set)
    """Block types this workspace does not render: messages holding them get `invalid_blocks`."""
    upload_base: str = ""
    """Where `files.getUploadURLExternal` sends uploads (set by the fake once it listens)."""
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _view_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _table: dict[str, Callable[[Json], Json]] = field(init=False, repr=False)
    stream_methods: StreamMethods = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.stream_methods = StreamMethods(self)
        self._table = self._handlers() | self.stream_methods.handlers()

    def answer(self, method: str, args: Json) -> Json:
        handler = self._table.get(method)
        if handler is None:
            return _error("unknown_method")
        return handler(args)

    def _handlers(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "auth.test": lambda _args: dict(self.auth),
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "reactions.add": self._reaction_add,
            "reactions.remove": self._reaction_remove,
            "users.info": self._user_info,
            "usergroups.users.list": self._usergroup_users,
            "conversations.replies": self._replies,
            "views.open": self._view_open,
            "views.push": self._view_open,
            "views.update": self._view_update,
            "views.publish": self._view_publish,
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setSuggestedPrompts": self._set_prompts,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def new_file(self, name: str, mimetype: str, content: bytes | None = None) -> SlackFile:
        file = SlackFile(
            f"F{next(self._file_ids):08d}", name, mimetype, content, len(content or b"")
        )
        self.files[file.id] = file
        return file

    # files.* (the upload POST itself is `fake_slack`'s, on `upload_base`)

    def _upload_url(self, args: Json) -> Json:
        name, length = args.get("filename"), args.get("length")
        if not name or not str(length or "").isdigit():
            return _error("invalid_arguments")
        file = self.new_file(str(name), "application/octet-stream")
        file.length = int(str(length))
        return {"ok": True, "upload_url": f"{self.upload_base}{file.id}", "file_id": file.id}

    def _complete_upload(self, args: Json) -> Json:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            return _error("invalid_arguments")
        files = []
        for entry in entries:
            file = self.files.get(entry.get("id", ""))
            if file is None or file.content is None:
                return _error("file_not_found")
            if len(file.content) != file.length:
                return _error("file_upload_size_mismatch")
            file.title = entry.get("title") or file.name
            files.append(file)
        channel = args.get("channel_id")
        if channel:
            for file in files:
                file.channel, file.thread_ts = channel, args.get("thread_ts") or None
            shown = tuple(
                {"id": f.id, "name": f.name, "title": f.title, "size": f.length} for f in files
            )
            message = SlackMessage(
                channel,
                next_ts(),
                args.get("thread_ts") or None,
                args.get("initial_comment") or "",
                (),
                BOT_USER,
                0,
                shown,
            )
            self.add_message(message)
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in files]}

    def add_message(self, message: SlackMessage) -> None:
        self.messages[(message.channel, message.ts)] = message
        if message.user == BOT_USER and message.thread_ts:
            self.statuses.pop((message.channel, message.thread_ts), None)

    def in_channel(self, channel: str) -> list[SlackMessage]:
        found = [m for (c, _ts), m in self.messages.items() if c == channel]
        return sorted(found, key=lambda m: float(m.ts))

    def in_thread(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        return [
            m for m in self.in_channel(channel) if m.ts == thread_ts or m.thread_ts == thread_ts
        ]

    # chat.*

    def _content_error(self, args: Json, *, need_content: bool) -> Json | None:
        text, blocks = args.get("text"), args.get("blocks")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
            return _error("msg_too_long")
        if blocks is not None:
            errors = block_errors(blocks, max_blocks=MESSAGE_MAX_BLOCKS)
            errors += [
                f"unsupported type: {b['type']} [json-pointer:/blocks/{i}/type]"
                for i, b in enumerate(blocks)
                if isinstance(b, dict) and b.get("type") in self.refused_block_types
            ]
            if errors:
                return _error("invalid_blocks", errors=errors)
        if need_content and not text and not blocks:
            return _error("no_text")
        return None

    def _post_message(self, args: Json) -> Json:
        channel = args.get("channel")
        if not channel:
            return _error("channel_not_found")
        problem = self._content_error(args, need_content=True)
        if problem:
            return problem
        thread_ts = args.get("thread_ts") or None
        message = SlackMessage(
            channel=channel,
            ts=next_ts(),
            thread_ts=thread_ts,
            text=args.get("text") or "",
            blocks=tuple(args.get("blocks") or ()),
            user=BOT_USER,
            edited=0,
        )
        self.add_message(message)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_api()}

    def _update(self, args: Json) -> Json:
        key = (args.get("channel", ""), args.get("ts", ""))
        current = self.messages.get(key)
        if current is None:
            return _error("message_not_found")
        if current.user != BOT_USER:
            return _error("cant_update_message")
        problem = self._content_error(args, need_content=False)
        if problem:
            return problem
        updated = SlackMessage(
            channel=current.channel,
            ts=current.ts,
            thread_ts=current.thread_ts,
            text=args.get("text", current.text),
            blocks=tuple(args["blocks"]) if "blocks" in args else current.blocks,
            user=current.user,
            edited=current.edited + 1,
        )
        self.messages[key] = updated
        return {
            "ok": True,
            "channel": updated.channel,
            "ts": updated.ts,
            "text": updated.text,
            "message": updated.to_api(),
        }

    def _post_ephemeral(self, args: Json) -> Json:
        if not args.get("channel"):
            return _error("channel_not_found")
        if not args.get("user"):
            return _error("user_not_in_channel")
        problem = self._content_error(args, need_content=True)
        if problem:
            return problem
        ephemeral = SlackEphemeral(
            channel=args["channel"],
            user=args["user"],
            text=args.get("text") or "",
            blocks=tuple(args.get("blocks") or ()),
            thread_ts=args.get("thread_ts") or None,
            message_ts=next_ts(),
        )
        self.ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ephemeral.message_ts}

    def _delete(self, args: Json) -> Json:
        key = (args.get("channel", ""), args.get("ts", ""))
        if self.messages.pop(key, None) is None:
            return _error("message_not_found")
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _permalink(self, args: Json) -> Json:
        # People's messages (thread roots) may be ones the fake never saw: only the shape counts.
        channel, ts = args.get("channel", ""), args.get("message_ts", "")
        if not channel or not re.fullmatch(r"\d+\.\d{6}", ts):
            return _error("message_not_found")
        link = f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    # reactions.*: the target may be a user's message the fake never saw, so it is not checked.

    def _reaction_add(self, args: Json) -> Json:
        names = self.reactions.setdefault((args.get("channel", ""), args.get("timestamp", "")), [])
        if args.get("name") in names:
            return _error("already_reacted")
        names.append(args.get("name", ""))
        return {"ok": True}

    def _reaction_remove(self, args: Json) -> Json:
        names = self.reactions.get((args.get("channel", ""), args.get("timestamp", "")), [])
        if args.get("name") not in names:
            return _error("no_reaction")
        names.remove(args["name"])
        return {"ok": True}

    # users and groups

    def _user_info(self, args: Json) -> Json:
        user_id = args.get("user", "")
        if not user_id:
            return _error("user_not_found")
        name = user_id.lower()
        user: Json = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": f"User {user_id}",
            "tz": "UTC",
            "is_bot": user_id == BOT_USER,
            "deleted": False,
            "profile": {
                "real_name": f"User {user_id}",
                "display_name": name,
                "email": f"{name}@example.com",
            },
        }
        user.update(self.users.get(user_id, {}))
        return {"ok": True, "user": user}

    def _usergroup_users(self, args: Json) -> Json:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            return _error("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _replies(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        thread = self.in_thread(channel, ts)
        if not thread:
            return _error("thread_not_found")
        return {"ok": True, "messages": [m.to_api() for m in thread], "has_more": False}

    # views

    def _view_open(self, args: Json) -> Json:
        view = args.get("view")
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        errors = block_errors(view.get("blocks", []), max_blocks=VIEW_MAX_BLOCKS)
        if errors:
            return _error("invalid_blocks", errors=errors)
        view_id = f"V{next(self._view_ids):08d}"
        self.views[view_id] = SlackView(view_id, args.get("trigger_id"), view)
        return {"ok": True, "view": _view_json(view_id, view)}

    def _view_update(self, args: Json) -> Json:
        view_id, view = args.get("view_id", ""), args.get("view")
        if view_id not in self.views:
            return _error("not_found")
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        self.views[view_id] = SlackView(view_id, self.views[view_id].trigger_id, view)
        return {"ok": True, "view": _view_json(view_id, view)}

    def _view_publish(self, args: Json) -> Json:
        view, user = args.get("view"), args.get("user_id")
        if not user:
            return _error("invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "home":
            return _error("invalid_arguments")
        errors = block_errors(view.get("blocks", []), max_blocks=VIEW_MAX_BLOCKS)
        if errors:
            return _error("invalid_blocks", errors=errors)
        self.homes[user] = view
        return {"ok": True, "view": _view_json(f"VH{user}", view)}

    def _set_prompts(self, args: Json) -> Json:
        prompts = args.get("prompts")
        if isinstance(prompts, str):
            prompts = json.loads(prompts)
        if not args.get("channel_id") or not isinstance(prompts, list) or not 0 < len(prompts) <= 4:
            return _error("invalid_arguments")
        if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
            return _error("invalid_arguments")
        self.prompts[(args["channel_id"], args.get("thread_ts") or "")] = prompts
        return {"ok": True}

    def _set_status(self, args: Json) -> Json:
        channel, thread_ts, status = (
            args.get("channel_id"),
            args.get("thread_ts"),
            args.get("status"),
        )
        if not channel or not thread_ts or not isinstance(status, str):
            return _error("invalid_arguments")
        if len(args.get("loading_messages") or []) > 10:
            return _error("invalid_arguments")
        key = (str(channel), str(thread_ts))
        if status:
            self.statuses[key] = status
        else:
            self.statuses.pop(key, None)
        self.status_log.append((key[0], key[1], status))
        return {"ok": True}


def _view_json(view_id: str, view: Json) -> Json:
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "state": {"values": {}},
        "hash": f"hash-{view_id}",
        "app_id": "A0APP",
        "bot_id": BOT_ID,
        **view,
    }
