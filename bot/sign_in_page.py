"""The OAuth redirect's landing page: `GET /oauth/callback` on the bot's HTTP server.

A thin handler: read `state`, `code`, `iss` and `error` from the query, make one call into the
orchestrator, and answer a plain HTML page saying what happened (rendered by `page`, a pure
function; wording in `bot.messages`). Whatever the browser brings, no stack trace is shown: an
unexpected failure is a page with a correlation id that is also in the log.
"""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot import messages
from orchestrator import CallbackOutcome, Orchestrator, display_name
from orchestrator.context import current_correlation_id

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
_STATUS: dict[str, int] = {"connected": 200, "declined": 200, "failed": 502}


def page(outcome: CallbackOutcome, connector: str, correlation_id: str) -> tuple[int, str]:
    """(HTTP status, HTML) of the page for one callback outcome."""
    title, text = messages.sign_in_page(outcome, display_name(connector), correlation_id)
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:36em;margin:4em auto;line-height:1.5">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return _STATUS.get(outcome, 400), body


def add_sign_in_callback(app: web.Application, orchestrator: Orchestrator) -> None:
    async def callback(request: web.Request) -> web.Response:
        query = request.query
        correlation_id = current_correlation_id()
        try:
            result = await orchestrator.sign_in_callback(
                query.get("state", "")[:200],
                code=query.get("code"),
                iss=query.get("iss"),
                error=query.get("error"),
            )
            outcome, connector = result.outcome, result.connector
        except Exception:  # the browser gets a page with a reference, never a trace
            log.exception("the sign-in callback failed", extra={"correlation_id": correlation_id})
            outcome, connector = "failed", ""
        status, body = page(outcome, connector, correlation_id)
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        return web.Response(status=status, text=body, content_type="text/html", headers=headers)

    app.router.add_get(CALLBACK_PATH, callback)
