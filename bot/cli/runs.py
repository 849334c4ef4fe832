"""`threadwork runs list` and `threadwork runs show TASK_ID`: recorded tasks and their trails.

Reads the SQL activity log only (DATABASE_URL), so it needs no Slack or model credentials. The
schema is brought up to date first, so a fresh database simply has no runs yet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot import messages
from bot.settings import Settings
from bot.slack.permalinks import thread_of
from orchestrator.adapters.sql.activity import Recorded, SqlActivityLog, make_engine, upgrade
from orchestrator.adapters.sql.records import TaskRow
from orchestrator.domain.checkpoint import Approvers
from orchestrator.domain.events import (
    ActivityEvent,
    CheckpointCreated,
    CheckpointDecided,
    CheckpointExecuted,
    CheckpointRefused,
    CodeRan,
    FeedbackCommented,
    FeedbackGiven,
    FileReceived,
    FileShared,
    ModelCalled,
    ModelFailed,
    TaskCompleted,
    TaskCreated,
    TaskFailed,
    TaskMessage,
    ToolCalled,
)
from orchestrator.domain.text import clip

EXIT_UNKNOWN = 1
EXIT_UNREACHABLE = 2
EXIT_USAGE = 2
DEFAULT_LIMIT = 20
TITLE_CHARS = 60
VALUE_CHARS = 200

T = TypeVar("T")
Trail = tuple[TaskRow | None, list[Recorded]]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `runs list [--limit N] [--channel C]` and `runs show TASK_ID` to the main CLI."""
    parser = subparsers.add_parser("runs", help="recorded tasks and what happened in them")
    commands = parser.add_subparsers(dest="runs_command", metavar="{list,show}")
    commands.required = True
    listing = commands.add_parser("list", help="recent tasks, newest first")
    listing.add_argument(
        "--limit", type=_positive, default=DEFAULT_LIMIT, metavar="N", help="show at most N tasks"
    )
    listing.add_argument("--channel", metavar="C", help="only tasks in this Slack channel id")
    listing.add_argument(
        "--thread",
        metavar="LINK",
        help="only the task of this thread: a message link, CHANNEL:TS, or TS with --channel",
    )
    listing.set_defaults(func=list_runs)
    showing = commands.add_parser("show", help="one task and every activity recorded for it")
    showing.add_argument("task_id", metavar="TASK_ID")
    showing.set_defaults(func=show_run)


def list_runs(args: argparse.Namespace, settings: Settings) -> int:
    """Print one line per task, newest first; a hint when nothing is recorded yet."""
    channel: str | None = args.channel
    limit: int = args.limit
    thread = None
    if args.thread is not None:
        thread = thread_of(args.thread, channel=channel)
        if thread is None:
            print(messages.not_a_thread(args.thread), file=sys.stderr)
            return EXIT_USAGE
    try:
        tasks = read(
            settings, lambda log: _recent(log, limit=limit, channel=channel, thread=thread)
        )
    except Unreadable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREACHABLE
    if not tasks:
        print(messages.no_runs(channel, thread))
        return 0
    for line in _table(tasks):
        print(line)
    return 0


def show_run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the task's header and its activity trail; 1 if no such task is recorded."""
    task_id: str = args.task_id
    try:
        task, events = read(settings, lambda log: _trail(log, task_id))
    except Unreadable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREACHABLE
    if task is None and not events:
        print(messages.unknown_run(task_id), file=sys.stderr)
        return EXIT_UNKNOWN
    for line in _header(task_id, task):
        print(line)
    print()
    for line in _trail_lines(events):
        print(line)
    return 0


# Reading


def read(settings: Settings, query: Callable[[SqlActivityLog], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_query(settings.database_url, query))
    except Exception as exc:  # reported as one sentence, not a traceback
        where = settings.database_url.split("@")[-1]
        raise Unreadable(messages.activity_log_unreachable(where, _detail(exc))) from exc


async def _query(url: str, query: Callable[[SqlActivityLog], Awaitable[T]]) -> T:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        return await query(SqlActivityLog(engine))
    finally:
        await engine.dispose()


async def _recent(
    log: SqlActivityLog, *, limit: int, channel: str | None, thread: tuple[str, str] | None
) -> list[TaskRow]:
    if thread is not None:
        return (await log.tasks_in_thread(*thread))[:limit]
    if channel:
        return await log.tasks_in_channel(channel, limit=limit)
    return await log.tasks(limit=limit)


async def _trail(log: SqlActivityLog, task_id: str) -> Trail:
    return await log.task(task_id), await log.events(task_id)


def _detail(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return _cut(str(cause) or type(cause).__name__, VALUE_CHARS)


class Unreadable(Exception):
    pass


# `runs list`

_COLUMNS = (
    "ID",
    "STATUS",
    "CHANNEL",
    "CREATED (UTC)",
    "REQUESTER",
    "TOKENS IN/OUT",
    "COST",
    "TITLE",
)


def _table(tasks: Sequence[TaskRow]) -> list[str]:
    rows = [_COLUMNS, *(_row(task) for task in tasks)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]


def _row(task: TaskRow) -> tuple[str, ...]:
    return (
        task.id,
        task.status,
        task.channel_id,
        _utc(task.created_at).strftime("%Y-%m-%dT%H:%MZ"),
        task.requester,
        f"{all_input(task):,}/{task.output_tokens:,}",
        _cost(task),
        _cut(task.title, TITLE_CHARS),
    )


# `runs show`


def _header(task_id: str, task: TaskRow | None) -> list[str]:
    if task is None:
        return [f"task       {task_id}", f"           {messages.run_not_summarised()}"]
    return [
        f"task       {task.id}",
        f"status     {task.status}",
        f"where      channel {task.channel_id}, thread {task.thread_ts} (team {task.team_id})",
        f"requester  {task.requester}",
        f"created    {_stamp(task.created_at)}",
        f"updated    {_stamp(task.updated_at)}",
        f"title      {_cut(task.title, 200)}",
        "tokens     "
        + messages.input_breakdown(
            task.input_tokens, task.cache_write_tokens, task.cache_read_tokens
        )
        + f" / {task.output_tokens:,} out",
        f"cost       {_cost(task)}",
        *([f"           {messages.unpriced(task.unpriced_calls)}"] if task.unpriced_calls else []),
    ]


def all_input(task: TaskRow) -> int:
    """Every input token of the task: uncached, written to the cache, read from it."""
    return task.input_tokens + task.cache_write_tokens + task.cache_read_tokens


def _cost(task: TaskRow) -> str:
    return messages.money(task.cost_usd) + ("+" if task.unpriced_calls else "")


def _trail_lines(entries: Sequence[Recorded]) -> list[str]:
    if not entries:
        return [messages.run_has_no_activity()]
    kind_width = max(len(entry.event.kind) for entry in entries)
    agent_width = max(len(entry.event.agent_id or "") for entry in entries)
    lines = []
    for entry in entries:
        when = _utc(entry.at).strftime("%H:%M:%S.%f")[:-3]
        event = entry.event
        agent = (event.agent_id or "").ljust(agent_width)
        line = f"{when}  {event.kind.ljust(kind_width)}  {agent}  {_summary(event)}"
        lines.append(line.rstrip())
    return lines


def _summary(event: ActivityEvent) -> str:
    """One line about the event; `key=value` pairs for a kind without a summary of its own."""
    match event:
        case TaskCreated():
            return f"started by {event.user}"
        case TaskMessage():
            text = f"{event.user} wrote {_plural(event.chars, 'char')}"
            return text + (f" (ts {event.ts})" if event.ts else "")
        case TaskCompleted():
            return f"done after {_plural(event.steps, 'step')}"
        case TaskFailed():
            return _task_failed(event)
        case ModelCalled():
            return _model_call(event)
        case ModelFailed():
            return _model_error(event)
        case ToolCalled():
            return _tool_call(event)
        case CheckpointCreated():
            return _checkpoint_created(event)
        case CheckpointDecided():
            return _checkpoint_decided(event)
        case CheckpointExecuted():
            return _checkpoint_executed(event)
        case CheckpointRefused():
            return _checkpoint_refused(event)
        case CodeRan():
            return _code_run(event)
        case FeedbackGiven():
            return f"{event.value} from {event.user}" + _on_message(event.message_ts)
        case FeedbackCommented():
            text = f"{event.user} wrote: {_json(event.comment)}"
            return text + _on_message(event.message_ts)
        case FileReceived() | FileShared():
            return f"{event.path} ({event.bytes:,} bytes)"
    return _generic(event.payload())


def _code_run(event: CodeRan) -> str:
    text = f"{event.language} {event.code_sha256[:12]}: exit {event.exit_code}"
    if event.stopped:
        text += f", stopped ({event.stopped})"
    text += f" in {event.duration_ms:,} ms"
    if event.files:
        text += f", files {', '.join(event.files)}"
    return text


def _on_message(ts: str | None) -> str:
    return f" (answer {ts})" if ts else ""


def _generic(data: dict[str, Any]) -> str:
    return " ".join(f"{key}={_value(value)}" for key, value in data.items() if value is not None)


def _task_failed(event: TaskFailed) -> str:
    parts = [event.code]
    if event.detail:
        parts[0] += f": {_cut(event.detail, VALUE_CHARS)}"
    if event.attempts:
        parts.append(f"after {_plural(event.attempts, 'attempt')}")
    if event.correlation_id:
        parts.append(f"ref {event.correlation_id}")
    return ", ".join(parts)


def _model_call(event: ModelCalled) -> str:
    read, written = event.cache_read_tokens, event.cache_write_tokens
    text = f"{event.model}: {event.input_tokens + read + written:,} in"
    if read or written:
        text += f" ({read:,} cache read, {written:,} written)"
    text += f" / {event.output_tokens:,} out, stop {event.stop_reason}"
    if event.cost_usd is not None:
        text += f", {messages.call_cost(event.cost_usd)}"
    attempts = event.attempts or 1
    return text + (f", {attempts} attempts" if attempts > 1 else "")


def _model_error(event: ModelFailed) -> str:
    text = event.code
    if event.status:
        text += f" (HTTP {event.status})"
    if event.attempts:
        text += f" after {_plural(event.attempts, 'attempt')}"
    return text


def _tool_call(event: ToolCalled) -> str:
    text = f"{event.tool} on {event.server or '?'}: {event.outcome}"
    if event.duration_ms:
        text += f" in {event.duration_ms:,} ms"
    text += f", args {_json(event.arguments)}"
    if event.error:
        text += f", error: {_cut(event.error, VALUE_CHARS)}"
    return text


def _checkpoint_created(event: CheckpointCreated) -> str:
    text = f"{event.checkpoint}: {event.tool}"
    if event.server:
        text += f" on {event.server}"
    text += f", args {_json(event.arguments)}"
    if approvers := _approvers(event.approvers):
        text += f", approvers {approvers}"
    if event.expires_at is not None:
        text += f", expires {_when(event.expires_at)}"
    return text


def _checkpoint_decided(event: CheckpointDecided) -> str:
    text = f"{event.checkpoint} {event.decision}"
    if event.by:
        text += f" by {event.by}"
    if event.reason:
        text += f": {_cut(event.reason, VALUE_CHARS)}"
    return text


def _checkpoint_executed(event: CheckpointExecuted) -> str:
    text = f"{event.checkpoint}: {event.outcome}"
    if event.duration_ms is not None:
        text += f" in {event.duration_ms:,} ms"
    if event.attempt:
        text += f" (attempt {event.attempt})"
    return text


def _checkpoint_refused(event: CheckpointRefused) -> str:
    asked = f"{event.verdict} from " if event.verdict else ""
    text = f"{event.checkpoint}: refused {asked}{event.user}"
    return text + (f": {_cut(event.why, VALUE_CHARS)}" if event.why else "")


# Formatting


def _approvers(approvers: Approvers | None) -> str:
    if approvers is None:
        return ""
    names = [*approvers.users, *(f"group {g}" for g in approvers.groups)]
    if approvers.requester and not approvers.requester_excluded:
        names.append(f"requester {approvers.requester}")
    return ", ".join(names) or _json(approvers.model_dump(mode="json"))


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(value: Any) -> str:
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        return _cut(value, VALUE_CHARS)
    return _json(value)


def _json(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return _cut(text, VALUE_CHARS)


def _cut(text: str, limit: int) -> str:
    return clip(text, limit, flat=True)


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _stamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this log writes is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(messages.not_a_positive_number(text))
    return number
