"""Process entry points: `serve` (Slack listener, with in-process workers unless told not to) and
`worker` (workers only).

HTTP mode serves `POST /slack/events` (and, when workspaces install through OAuth,
`GET /slack/install` and `GET /slack/oauth_redirect`) and the probes (`/healthz`, `/readyz`, `/metrics`) with
aiohttp; with one workspace, message events take a fast path past Bolt (`bot.slack.ingress`); Socket Mode connects out with the app token (probes then on `--metrics-port`). Workers
serve the probes on `--metrics-port`. All stop cleanly on SIGINT/SIGTERM, letting jobs finish
(for `THREADWORK_STOP_GRACE` seconds; the rest are handed back to other workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.probes import add_probes, serve_probes
from bot.runtime import Runtime
from bot.sign_in_page import add_sign_in_callback
from bot.slack.app import build_app
from bot.slack.ingress import BotUser, EventIngress
from orchestrator import context

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


async def serve(
    runtime: Runtime,
    *,
    http: bool,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    workers: bool = True,
    metrics_port: int | None = None,
    own_process: bool = False,
) -> None:
    """Listen to Slack (and run workers) until `stop` is set (default: SIGINT/SIGTERM).

    `workers=False` makes a listener only: it accepts events and clicks, never calls the model.
    `own_process` (the `serve` command): the process is this server's alone, so what start-up
    made is frozen out of the garbage collector's full passes (`gc.freeze`).
    """
    settings = runtime.settings
    await runtime.prepare()
    await runtime.core.open()
    secret = settings.slack_signing_secret
    app = build_app(
        client=runtime.slack,
        signing_secret=secret.get_secret_value() if secret else None,
        orchestrator=runtime.core.orchestrator,
        oauth_settings=runtime.installations.settings if runtime.installations else None,
    )
    stop = stop or _stop_on_signals()
    if own_process:
        _freeze_startup_objects()
    background = []
    if workers:
        background.append(asyncio.create_task(runtime.core.worker().run(stop)))
    if metrics_port is not None and not http:
        # Socket Mode has no HTTP server of its own: the sign-in callback shares the probes'.
        background.append(
            asyncio.create_task(
                serve_probes(
                    runtime,
                    host="0.0.0.0",
                    port=metrics_port,
                    stop=stop,
                    extra=lambda web_app: add_sign_in_callback(web_app, runtime.core.orchestrator),
                )
            )
        )
    try:
        if http:
            ingress = None
            if secret is not None and runtime.installations is None:
                ingress = EventIngress(
                    signing_secret=secret.get_secret_value(),
                    orchestrator=runtime.core.orchestrator,
                    bot=BotUser(runtime.slack),
                )
            await _serve_http(app, runtime, host=host, port=port, stop=stop, ingress=ingress)
        else:
            await _serve_socket_mode(app, runtime, stop=stop)
    finally:
        stop.set()
        await asyncio.gather(*background)
        await runtime.aclose()


async def work(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "0.0.0.0",
    own_process: bool = False,
) -> None:
    """Run workers only until `stop` is set (default: SIGINT/SIGTERM). `own_process` (the
    `worker` command): as for `serve`."""
    await runtime.prepare()
    await runtime.core.open()
    stop = stop or _stop_on_signals()
    if own_process:
        _freeze_startup_objects()
    log.info("worker started; waiting for jobs")
    probes = None
    if metrics_port is not None:
        probes = asyncio.create_task(_probes(runtime, metrics_port, stop, host=metrics_host))
    try:
        await runtime.core.worker().run(stop)
    finally:
        stop.set()
        if probes is not None:
            await probes
        await runtime.aclose()


async def _probes(runtime: Runtime, port: int, stop: asyncio.Event, host: str = "0.0.0.0") -> None:
    await serve_probes(runtime, host=host, port=port, stop=stop)


@web.middleware
async def _correlate(request: web.Request, handler: Any) -> web.StreamResponse:
    """Each request (and the listener work it starts) logs under its own correlation id."""
    with context.bound():
        response: web.StreamResponse = await handler(request)
        return response


async def _serve_http(
    app: AsyncApp,
    runtime: Runtime,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
    ingress: EventIngress | None,
) -> None:
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.middlewares.append(_correlate)
    if ingress is not None:  # message events skip Bolt (one workspace; see `ingress`)
        web_app.middlewares.append(ingress.middleware(EVENTS_PATH))
    add_probes(web_app, runtime)
    add_sign_in_callback(web_app, runtime.core.orchestrator)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("listening on http://%s:%d%s", host, port, EVENTS_PATH)
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


def _freeze_startup_objects() -> None:
    """Leave what start-up loaded (modules, the app, its clients: a few hundred thousand objects)
    out of the garbage collector's full passes: each pass over them took ~0.1 s, and a burst of
    events waited behind it. They live as long as the process anyway. The youngest generation
    is collected every 10,000 allocations instead of 700: with 500 tasks in flight a worker spent
    9% less CPU (`bench/active_tasks.py --ladder 500`: 2.05 s vs 2.26 s, twice each)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
