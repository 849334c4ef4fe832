"""Process entry points: `serve` (Slack listener + in-process workers) and `worker` (workers only).

HTTP mode serves `POST /slack/events` and `GET /healthz` with aiohttp; Socket Mode connects out with
the app token. Both stop cleanly on SIGINT/SIGTERM, letting jobs in hand finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from bot.slack.app import build_app

log = logging.getLogger(__name__)


async def serve(
    runtime: Runtime, *, http: bool, host: str, port: int, stop: asyncio.Event | None = None
) -> None:
    """Listen to Slack and run workers until `stop` is set (default: SIGINT/SIGTERM)."""
    settings = runtime.settings
    await runtime.core.migrate()
    await runtime.core.open()
    secret = settings.slack_signing_secret
    app = build_app(
        client=runtime.slack,
        signing_secret=secret.get_secret_value() if secret else None,
        orchestrator=runtime.core.orchestrator,
    )
    stop = stop or _stop_on_signals()
    workers = asyncio.create_task(runtime.core.worker().run(stop))
    try:
        if http:
            await _serve_http(app, runtime, host=host, port=port, stop=stop)
        else:
            await _serve_socket_mode(app, runtime, stop=stop)
    finally:
        stop.set()
        await workers
        await runtime.aclose()


async def work(runtime: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """Run workers only until `stop` is set (default: SIGINT/SIGTERM)."""
    await runtime.core.migrate()
    await runtime.core.open()
    stop = stop or _stop_on_signals()
    log.info("worker started; waiting for jobs")
    try:
        await runtime.core.worker().run(stop)
    finally:
        await runtime.aclose()


async def _serve_http(
    app: AsyncApp, runtime: Runtime, *, host: str, port: int, stop: asyncio.Event
) -> None:
    web_app = app.web_app(path="/slack/events")

    async def healthz(_: web.Request) -> web.Response:
        try:
            await runtime.core.redis.ping()
        except Exception as exc:  # a health probe reports, it never raises
            return web.json_response({"ok": False, "redis": str(exc)}, status=503)
        return web.json_response({"ok": True})

    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("listening on http://%s:%d/slack/events", host, port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve_socket_mode(app: AsyncApp, runtime: Runtime, *, stop: asyncio.Event) -> None:
    token = runtime.settings.slack_app_token
    assert token is not None
    handler = AsyncSocketModeHandler(app, token.get_secret_value())
    await handler.connect_async()
    log.info("connected to Slack in Socket Mode")
    try:
        await stop.wait()
    finally:
        await handler.close_async()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
