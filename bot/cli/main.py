"""The `threadwork` command line: serve, worker, db upgrade, doctor (and plugin/connector tools).

Builds `Settings` and logging once, for every subcommand, before it runs: a bad environment value
is one line naming the variable, and exit code 2. Each subcommand then checks what it needs and
hands over to the process entry points. Problems are reported as one readable paragraph and a
non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal

from pydantic import ValidationError
from redis.exceptions import RedisError

from bot import logs as log_setup
from bot import messages
from bot.cli import connections as cli_connections
from bot.cli import connectors as cli_connectors
from bot.cli import plugins as cli_plugins
from bot.cli import runs as cli_runs
from bot.cli import usage as cli_usage
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, load_settings
from orchestrator import StorageUnavailable
from plugins import ConfigError

EXIT_CONFIG = 2
LISTENER_REDIS_CONNECTIONS = 16
"""Redis connections of a listener alone (`serve --no-workers`) unless THREADWORK_REDIS_CONNECTIONS
says otherwise. Each event holds one for a single round trip at a time; a bigger pool only lets
more of a burst interleave, so every ack of the burst finishes late (`bench/ack_latency.py`)."""

Logs = Literal["service", "quiet", "default"]
"""How a subcommand logs: `service` at THREADWORK_LOG_LEVEL with timestamps (long-running and
service checks), `quiet` only critical records (its own output is the report), `default` Python's
own (warnings and errors on stderr)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_CONFIG
    settings = _settings()
    if settings is None:
        return EXIT_CONFIG
    _configure_logging(settings, getattr(args, "logs", "default"))
    try:
        return int(args.func(args, settings))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="threadwork", description=__doc__)
    sub = parser.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the Slack listener with in-process workers")
    serve.add_argument("--http", action="store_true", help="serve HTTP instead of Socket Mode")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="listener only: accept events and clicks, leave the work to `threadwork worker`",
    )
    serve.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="in Socket Mode, serve /metrics, /healthz, /readyz on this port",
    )
    serve.set_defaults(func=_serve, logs="service")

    worker = sub.add_parser("worker", help="run workers only (scale out)")
    worker.add_argument(
        "--metrics-port", type=int, default=None, help="serve /metrics, /healthz, /readyz here"
    )
    worker.add_argument("--metrics-host", default="0.0.0.0")
    worker.set_defaults(func=_worker, logs="service")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(
        func=_db_upgrade, logs="service"
    )

    doctor = sub.add_parser("doctor", help="check configuration and services")
    doctor.set_defaults(func=_doctor, logs="service")

    cli_plugins.register(sub)
    cli_connectors.register(sub)
    cli_connections.register(sub)
    cli_runs.register(sub)
    cli_usage.register(sub)
    return parser


def _settings() -> Settings | None:
    """The settings, or None after one line per bad variable on stderr."""
    try:
        return load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"])
            print(messages.setting_invalid(name, error["msg"]), file=sys.stderr)
        return None


def _configure_logging(settings: Settings, logs: Logs) -> None:
    if logs == "service":
        log_setup.configure(settings.log_level, settings.log_format)
    elif logs == "quiet":
        log_setup.configure("CRITICAL", settings.log_format)


def _missing(settings: Settings, *, listener: bool, http: bool) -> list[str]:
    needed: list[tuple[str, object]] = [("ANTHROPIC_API_KEY", settings.anthropic_api_key)]
    if settings.slack_client_id is not None and settings.slack_client_secret is None:
        needed.append(("SLACK_CLIENT_SECRET", None))
    elif settings.slack_client_secret is not None and settings.slack_client_id is None:
        needed.append(("SLACK_CLIENT_ID", None))
    elif not settings.installs_workspaces:
        needed.insert(0, ("SLACK_BOT_TOKEN", settings.slack_bot_token))
    if listener and http:
        needed.append(("SLACK_SIGNING_SECRET", settings.slack_signing_secret))
    elif listener:
        needed.append(("SLACK_APP_TOKEN", settings.slack_app_token))
    return [name for name, value in needed if value is None]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    http = bool(args.http)
    if missing := _missing(settings, listener=True, http=http):
        if (
            not http
            and settings.slack_signing_secret is not None
            and missing == ["SLACK_APP_TOKEN"]
        ):
            missing = ["SLACK_APP_TOKEN (or run `threadwork serve --http`)"]
        print(messages.missing_credentials(missing), file=sys.stderr)
        return EXIT_CONFIG
    from bot.server import serve

    if args.no_workers:
        settings = listener_settings(settings)
    return _run(
        settings,
        lambda rt: serve(
            rt,
            http=http,
            host=args.host,
            port=args.port,
            workers=not args.no_workers,
            metrics_port=args.metrics_port,
            own_process=True,
        ),
        role="listener" if args.no_workers else "serve",
    )


def listener_settings(settings: Settings) -> Settings:
    """The settings of a listener alone: its own Redis pool size unless one was set."""
    if "redis_max_connections" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"redis_max_connections": LISTENER_REDIS_CONNECTIONS})


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if missing := _missing(settings, listener=False, http=False):
        print(messages.missing_credentials(missing), file=sys.stderr)
        return EXIT_CONFIG
    from bot.server import work

    return _run(
        settings,
        lambda rt: work(
            rt, metrics_port=args.metrics_port, metrics_host=args.metrics_host, own_process=True
        ),
        role="worker",
    )


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from orchestrator.adapters.sql.activity import make_engine, upgrade

    async def go() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(go())
    except Exception as exc:  # reported as a sentence, not a traceback
        print(
            messages.startup_failed(
                "the database migration failed", str(exc)[:200], "Check DATABASE_URL."
            ),
            file=sys.stderr,
        )
        return 1
    print(f"database at {settings.database_url.split('@')[-1]} is up to date")
    return 0


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.doctor import run_checks

    async def go() -> int:
        try:
            runtime = build_runtime(settings)
        except ConfigError as exc:
            print(messages.config_invalid(settings.config_path, exc.errors), file=sys.stderr)
            return 1
        try:
            checks = await run_checks(runtime)
        finally:
            await runtime.aclose()
        for check in checks:
            mark = "ok  " if check.ok else "FAIL"
            print(f"{mark} {check.name:<12} {check.detail}")
            if not check.ok and check.fix:
                print(f"     {'':<12} fix: {check.fix}")
        return 0 if all(c.ok for c in checks) else 1

    return asyncio.run(go())


def _run(
    settings: Settings,
    start: Callable[[Runtime], Coroutine[Any, Any, None]],
    *,
    role: str,
) -> int:
    """Build the runtime, check Redis, run `start`; a listener alone runs on uvloop (see
    `_event_loop_runner`)."""

    async def go() -> None:
        try:
            runtime = build_runtime(settings, role=role)
        except ConfigError as exc:
            raise _StartupError(messages.config_invalid(settings.config_path, exc.errors)) from exc
        try:
            await runtime.core.redis.ping()
        except (RedisError, StorageUnavailable) as exc:
            await runtime.aclose()
            raise _StartupError(
                messages.startup_failed(
                    f"Redis at {settings.redis_url} is not reachable",
                    str(exc)[:120],
                    "Start Redis or set REDIS_URL.",
                )
            ) from exc
        await start(runtime)

    try:
        _event_loop_runner(role)(go())
    except _StartupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _event_loop_runner(role: str) -> Callable[[Coroutine[Any, Any, None]], None]:
    """uvloop for a listener alone (`serve --no-workers`): it spends most of its CPU accepting,
    reading and answering HTTP requests, where uvloop's loop costs far less than asyncio's.
    Processes that run tasks keep asyncio's loop. Without uvloop installed, asyncio's loop."""
    if role == "listener":
        try:
            import uvloop
        except ImportError:
            return asyncio.run
        return uvloop.run
    return asyncio.run


class _StartupError(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
