"""`threadwork connections list`: every connector account people connected, never a token;
`threadwork connections disconnect CONNECTOR`: revoke one (RFC 7009, where the server offers it)
and delete it.

One line per connection: connector, workspace, user (or "shared"), since when, last refresh.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import messages
from bot.cli.startup import run_on_runtime
from bot.runtime import Runtime
from bot.settings import Settings
from connectors import Caller, ConnectorError
from orchestrator.adapters.sql.activity import make_engine, upgrade
from orchestrator.adapters.sql.connections import ConnectionInfo, list_connections
from orchestrator.domain.identity import Identity

EXIT_UNREACHABLE = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("connections", help="connector accounts people connected")
    commands = parser.add_subparsers(dest="connections_command", metavar="{list,disconnect}")
    commands.required = True
    listing = commands.add_parser("list", help="every connection: connector, workspace, user")
    listing.add_argument("--team", metavar="T", help="only this workspace (team id)")
    listing.set_defaults(func=list_command)
    drop = commands.add_parser("disconnect", help="revoke and delete one connection")
    drop.add_argument("connector", metavar="CONNECTOR", help="plugin/server, as listed")
    drop.add_argument("--team", metavar="T", required=True, help="workspace (team id)")
    drop.add_argument("--user", metavar="U", default="", help="the person; omit for shared")
    drop.set_defaults(func=disconnect_command, logs="quiet")


def disconnect_command(args: argparse.Namespace, settings: Settings) -> int:
    return run_on_runtime(
        settings, lambda runtime: disconnect(runtime, args.connector, args.team, args.user)
    )


async def disconnect(runtime: Runtime, connector: str, team: str, user: str) -> int:
    """Revoke the connection's tokens at the server where it can, then delete it here."""
    store = runtime.core.connections
    if store is None:
        print(messages.sign_ins_off(), file=sys.stderr)
        return 1
    await runtime.core.open()
    try:
        revoked = False
        if runtime.core.pool.spec_of(connector) is not None:
            try:
                revoked = await runtime.core.pool.disconnect(connector, Caller(team, user))
            except ConnectorError as exc:
                print(messages.revocation_failed(connector, str(exc)), file=sys.stderr)
        found = await store.disconnect(Identity(team, user, connector))
    finally:
        await runtime.aclose()
    if not found:
        print(messages.no_such_connection(connector, team, user), file=sys.stderr)
        return 1
    print(messages.disconnected(connector, team, user, revoked))
    return 0


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
