"""Elicitation through the pool: a real MCP server asks mid-call, the call's own elicitor answers.

Our `elicit.py` server (2026-07-28 multi-round-trip flow): a form accepted with values, a
decline that reaches the server as a clean result, and a request no call claims (the pool's
default answers it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors import ConnectorPool, ElicitationReply, ElicitationRequest
from connectors.elicitation import DECLINED


async def _decline(request: ElicitationRequest) -> ElicitationReply:
    return DECLINED


def replies(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def test_a_form_request_reaches_the_calls_elicitor_and_its_values_the_server(
    our_server: Any, tmp_path: Path
) -> None:
    log = tmp_path / "elicit.jsonl"
    spec = our_server("elicit.py", env={"ELICIT_LOG": str(log)})
    asked: list[ElicitationRequest] = []

    async def person(request: ElicitationRequest) -> ElicitationReply:
        asked.append(request)
        return ElicitationReply(action="accept", content={"environment": "staging", "replicas": 2})

    async with ConnectorPool([spec], elicitation=_decline) as pool:
        await pool.list_tools()
        result = await pool.call("elicit__configure_deploy", {"service": "api"}, elicitor=person)
        assert not result.is_error, result.text
        assert '"environment": "staging"' in result.text
        (request,) = asked
        assert request.mode == "form" and "How should api be deployed?" in request.message
        assert request.schema["properties"]["replicas"]["type"] == "integer"

        declined = await pool.call("elicit__configure_deploy", {}, elicitor=_decline)
        assert not declined.is_error and "chose decline" in declined.text

        unbound = await pool.call("elicit__link_account", {})
        assert "answered: decline" in unbound.text, "no elicitor bound: the pool default"
    assert [r["reply"]["action"] for r in replies(log)] == ["accept", "decline", "decline"]
