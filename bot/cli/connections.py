"""`threadwork connections list`: every connector account people connected, never a token.

One line per connection: connector, workspace, user (or "shared"), since when, last refresh.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import messages
from bot.settings import Settings
from orchestrator.adapters.sql.activity import make_engine, upgrade
from orchestrator.adapters.sql.connections import ConnectionInfo, list_connections

EXIT_UNREACHABLE = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("connections", help="connector accounts people connected")
    commands = parser.add_subparsers(dest="connections_command", metavar="{list}")
    commands.required = True
    listing = commands.add_parser("list", help="every connection: connector, workspace, user")
    listing.add_argument("--team", metavar="T", help="only this workspace (team id)")
    listing.set_defaults(func=list_command)


def list_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        found = asyncio.run(_list(settings.database_url, args.team))
    except Exception as exc:  # reported as one sentence, not a traceback
        where = settings.database_url.split("@")[-1]
        print(messages.activity_log_unreachable(where, str(exc)[:200]), file=sys.stderr)
        return EXIT_UNREACHABLE
    if not found:
        print(messages.no_connections())
        return 0
    for line in render(found):
        print(line)
    return 0


def render(found: list[ConnectionInfo]) -> list[str]:
    """Aligned lines, a header first; pure, so it is tested on its output."""
    rows = [("CONNECTOR", "WORKSPACE", "USER", "SINCE", "REFRESHED")]
    for item in found:
        who = item.identity
        rows.append(
            (
                who.connector,
                who.team_id,
                "shared" if who.shared else who.user_id,
                item.since.strftime("%Y-%m-%d %H:%M"),
                item.refreshed.strftime("%Y-%m-%d %H:%M") if item.connected else "signed out",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


async def _list(url: str, team: str | None) -> list[ConnectionInfo]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        return await list_connections(async_sessionmaker(engine), team_id=team)
    finally:
        await engine.dispose()
