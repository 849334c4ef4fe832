"""Operational HTTP endpoints: `/healthz` (liveness), `/readyz` (dependencies), `/metrics`.

Both health endpoints say whether the database answers and how many activity rows wait in the
Redis outbox for it (`"outbox": {"pending": N}`); `/healthz` answers 200 whatever they say.

Mounted on the Slack listener's HTTP app by `serve --http`, and served on their own port by
`threadwork worker --metrics-port N`. `/readyz` answers 503 when Redis is unreachable (no event
can be accepted); an unreachable database is reported (`"sql": false`) with 200, because tasks
go on and activity rows wait in the outbox. `/metrics` reads the shared state (queue, pending
approvals, tasks by status) at scrape time, each source bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import messages
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0
T = TypeVar("T")


def add_probes(app: web.Application, runtime: Runtime) -> None:
    async def healthz(_: web.Request) -> web.Response:
        checks = await readiness(runtime)
        return web.json_response({"ok": True, "sql": checks["sql"], "outbox": checks["outbox"]})

    async def readyz(_: web.Request) -> web.Response:
        checks = await readiness(runtime)
        ready = checks["redis"]["ok"]
        return web.json_response({"ok": ready, **checks}, status=200 if ready else 503)

    async def metrics(_: web.Request) -> web.Response:
        await refresh(runtime)
        body = generate_latest(runtime.observability.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


async def readiness(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Whether Redis and the database answer now (recorded as `threadwork_dependency_up`)."""
    redis, sql, pending = await asyncio.gather(
        _check(runtime.core.redis.ping()),
        _check(runtime.core.activity.ping()),
        _value(runtime.core.recorder.pending()),
    )
    runtime.observability.observe_dependency("redis", redis is None)
    runtime.observability.observe_dependency("sql", sql is None)
    outbox: dict[str, Any] = {"pending": pending}
    if pending:
        outbox["note"] = messages.outbox_waiting(pending, sql_up=sql is None)
    return {
        "redis": {"ok": redis is None, **({"error": redis} if redis else {})},
        "sql": {"ok": sql is None, **({"error": sql} if sql else {})},
        "outbox": outbox,
    }


async def refresh(runtime: Runtime) -> None:
    """Set the gauges of shared state; a source that fails keeps its last values."""
    obs = runtime.observability
    queue, approvals, tasks = await asyncio.gather(
        _value(runtime.core.queue.stats()),
        _value(runtime.core.checkpoints.pending()),
        _value(runtime.core.activity.tasks_by_status()),
    )
    if queue is not None:
        obs.observe_queue(queue)
    if approvals is not None:
        obs.observe_approvals(approvals)
    if tasks is not None:
        obs.observe_tasks(tasks)


async def serve_probes(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    extra: Callable[[web.Application], None] | None = None,
) -> None:
    """Serve the probes alone on `host:port` until `stop` is set (for worker processes, and for
    a Socket Mode listener, which adds the sign-in callback with `extra`)."""
    app = web.Application()
    add_probes(app, runtime)
    if extra is not None:
        extra(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics and health on http://%s:%d/metrics", host, port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _check(probe: Awaitable[Any]) -> str | None:
    """None when `probe` succeeds in time, else what went wrong in one line."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await probe
    except TimeoutError:
        return f"no answer within {PROBE_TIMEOUT_S:g} s"
    except Exception as exc:  # a probe reports, it never raises
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


async def _value(source: Awaitable[T]) -> T | None:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            return await source
    except Exception as exc:  # a scrape shows stale gauges rather than failing
        log.debug("metrics source failed: %s", exc)
        return None
