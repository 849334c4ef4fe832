"""`threadwork usage [--channel C] [--user U] [--since 7d]`: what tasks cost, per channel and person.

Reads the task rows of the SQL activity log (DATABASE_URL) only. Every figure is a sum of task
rows, so the per-channel and the per-person totals each add up to the tasks' total, which is the
sum `threadwork runs list` shows line by line. A task counts in the window it was started in.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot import messages
from bot.cli.runs import EXIT_UNREACHABLE, Unreadable, read
from bot.settings import Settings
from orchestrator.adapters.sql.activity import SqlActivityLog
from orchestrator.adapters.sql.records import TaskRow
from orchestrator.domain.views import Spend
from plugins import parse_duration


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("usage", help="spend per channel and per person")
    parser.add_argument("--channel", metavar="C", help="only tasks in this Slack channel id")
    parser.add_argument("--user", metavar="U", help="only tasks this Slack user started")
    parser.add_argument(
        "--since", metavar="AGE", type=_age, help="only tasks started this recently (7d, 24h, 30m)"
    )
    parser.set_defaults(func=show_usage)


def spend_of(rows: Sequence[TaskRow]) -> Spend:
    """Sums over some task rows."""
    return Spend(
        tasks=len(rows),
        input_tokens=sum(total_input(r) for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cost_usd=sum(r.cost_usd for r in rows),
        unpriced_calls=sum(r.unpriced_calls for r in rows),
    )


def total_input(row: TaskRow) -> int:
    return row.input_tokens + row.cache_write_tokens + row.cache_read_tokens


def group(rows: Sequence[TaskRow], key: Callable[[TaskRow], str]) -> list[tuple[str, Spend]]:
    """Totals per key, most expensive first (ties by key)."""
    groups: dict[str, list[TaskRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    totals = [(name, spend_of(members)) for name, members in groups.items()]
    return sorted(totals, key=lambda item: (-item[1].cost_usd, item[0]))


def show_usage(args: argparse.Namespace, settings: Settings) -> int:
    since: timedelta | None = args.since
    start = datetime.now(UTC) - since if since is not None else None
    try:
        rows = read(settings, lambda log: _rows(log, start, args.channel, args.user))
    except Unreadable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREACHABLE
    if not rows:
        print(messages.no_usage(start, args.channel, args.user))
        return 0
    for line in report(rows, start):
        print(line)
    return 0


async def _rows(
    log: SqlActivityLog, start: datetime | None, channel: str | None, user: str | None
) -> list[TaskRow]:
    return await log.spend(since=start, channel_id=channel, requester=user)


def report(rows: Sequence[TaskRow], start: datetime | None) -> list[str]:
    total = spend_of(rows)
    lines = [messages.usage_headline(start, total.tasks, total.cost_usd)]
    lines.append(
        messages.usage_tokens(total.input_tokens, total.cache_read_tokens, total.output_tokens)
    )
    if total.unpriced_calls:
        lines.append(messages.usage_unpriced(total.unpriced_calls))
    for title, key in (("CHANNEL", _channel), ("PERSON", _person)):
        lines += ["", *_table(title, group(rows, key), total)]
    return lines


def _channel(row: TaskRow) -> str:
    return row.channel_id


def _person(row: TaskRow) -> str:
    return row.requester


def _table(title: str, groups: list[tuple[str, Spend]], total: Spend) -> list[str]:
    header = (title, "TASKS", "INPUT TOKENS", "CACHED", "OUTPUT", "COST")
    rows = [header, *(_cells(name, t) for name, t in groups), _cells("total", total)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _cells(name: str, t: Spend) -> tuple[str, ...]:
    share = f"{t.cache_read_tokens / t.input_tokens:.0%}" if t.input_tokens else "-"
    return (
        name,
        f"{t.tasks:,}",
        f"{t.input_tokens:,}",
        share,
        f"{t.output_tokens:,}",
        messages.money(t.cost_usd),
    )


def _age(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(messages.not_a_duration(text)) from exc
