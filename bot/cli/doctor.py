"""`threadwork doctor`: check each thing the bot needs and say what to fix.

Every check runs even when an earlier one failed, so one run lists every problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select, text

from bot import messages
from bot.runtime import Runtime, model_options
from bot.settings import Settings
from connectors.sandbox import health
from orchestrator.adapters.sealing import parse_keys
from orchestrator.assemble import anthropic_client

CHECK_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


async def run_checks(runtime: Runtime) -> list[Check]:
    settings = runtime.settings
    probes: list[tuple[str, Callable[[], Awaitable[str]], str]] = [
        ("config", lambda: _config(settings), "Fix THREADWORK_CONFIG or remove the file."),
        ("credentials", lambda: _credentials(settings), "Set the variables named (README)."),
        ("secret key", lambda: _secret_key(settings), messages.secret_key_fix()),
        ("redis", lambda: _redis(runtime), f"Start Redis or set REDIS_URL ({settings.redis_url})."),
        (
            "database",
            lambda: _database(runtime),
            "Check DATABASE_URL; then `threadwork db upgrade`.",
        ),
        (
            "activity outbox",
            lambda: _outbox(runtime),
            "Bring the database back (DATABASE_URL); workers then write the rows by themselves.",
        ),
        ("slack", lambda: _slack(runtime), "Check SLACK_BOT_TOKEN and SLACK_API_URL."),
        ("model", lambda: _model(settings), "Check ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL."),
        ("sandbox", lambda: _sandbox(runtime), messages.sandbox_fix()),
    ]
    return [await _probe(name, probe, fix) for name, probe, fix in probes]


async def _probe(name: str, probe: Callable[[], Awaitable[str]], fix: str) -> Check:
    try:
        detail = await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return Check(name, False, f"no answer within {CHECK_TIMEOUT_S:.0f}s", fix)
    except Exception as exc:  # a check reports every failure, whatever its type
        return Check(name, False, _short(exc), fix)
    return Check(name, True, detail)


async def _config(settings: Settings) -> str:
    path = settings.config_path
    if not path.exists():
        return f"{path} not found: no plugins enabled"
    return f"{path} found"


async def _credentials(settings: Settings) -> str:
    half = oauth_half_set(settings)
    if half is not None:
        raise ValueError(half)
    needed: list[tuple[str, object]] = [("ANTHROPIC_API_KEY", settings.anthropic_api_key)]
    if not settings.installs_workspaces:
        needed.insert(0, ("SLACK_BOT_TOKEN", settings.slack_bot_token))
    missing = [name for name, value in needed if value is None]
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        missing.append("SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)")
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    mode = "Socket Mode" if settings.slack_app_token else "HTTP mode"
    if settings.installs_workspaces:
        mode += ", many workspaces through OAuth"
    return f"all set ({mode})"


def oauth_half_set(settings: Settings) -> str | None:
    """What to do when only one of the OAuth client id and secret is set."""
    id_set = settings.slack_client_id is not None
    secret_set = settings.slack_client_secret is not None
    if id_set == secret_set:
        return None
    if id_set:
        return messages.oauth_half_set("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
    return messages.oauth_half_set("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


async def _secret_key(settings: Settings) -> str:
    if settings.secret_key is None:
        return messages.secret_key_missing()
    value = settings.secret_key.get_secret_value()
    parse_keys(value)  # raises, saying which key is malformed
    count = len(value.split(","))
    return "set (1 key)" if count == 1 else f"set ({count} keys: the first seals, all unseal)"


async def _redis(runtime: Runtime) -> str:
    await runtime.core.redis.ping()
    return f"{runtime.settings.redis_url} answers"


async def _database(runtime: Runtime) -> str:
    async with runtime.core.engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version")
        )
        if not tables:
            return "reachable; schema not created yet (`threadwork db upgrade` or `serve` does it)"
        version = (
            await connection.execute(text("select version_num from alembic_version"))
        ).scalar()
    return f"reachable; schema at {version}"


async def _outbox(runtime: Runtime) -> str:
    recorder = runtime.core.recorder
    pending, refused = await asyncio.gather(recorder.pending(), recorder.set_aside())
    if pending:
        sql_up = True
        try:
            await runtime.core.activity.ping()
        except Exception:  # reported in the database check; here it only picks the wording
            sql_up = False
        raise ValueError(messages.outbox_waiting(pending, sql_up=sql_up))
    if refused:
        return f"empty; {refused} row(s) the database refused are kept in Redis (outbox:failed)"
    return "empty: every activity row is in the database"


async def _slack(runtime: Runtime) -> str:
    if runtime.installations is not None:
        await runtime.installations.create_tables()
        async with runtime.installations.store.engine.connect() as connection:
            table = runtime.installations.store.bots
            count = (await connection.execute(select(func.count()).select_from(table))).scalar_one()
        return messages.oauth_installs(int(count))
    if runtime.settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    reply = await runtime.slack.auth_test()
    return f"signed in as {reply.get('user')} in {reply.get('team')}"


async def _model(settings: Settings) -> str:
    if settings.anthropic_api_key is None:
        raise ValueError("ANTHROPIC_API_KEY is not set")
    client = anthropic_client(model_options(settings))
    try:
        count = await client.messages.count_tokens(
            model=settings.model, messages=[{"role": "user", "content": "ping"}]
        )
    finally:
        await client.close()
    return f"{settings.model} reachable ({count.input_tokens} tokens counted)"


async def _sandbox(runtime: Runtime) -> str:
    core = runtime.core
    if core.sandbox is None or core.workspaces is None:
        raise ValueError("no sandbox is wired into this process")
    return await health.check(core.sandbox, core.workspaces)


def _short(exc: Exception) -> str:
    text_ = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text_[:200]
