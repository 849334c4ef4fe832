"""The private sign-in prompt and the callback's landing page: pure renderers."""

from __future__ import annotations

import json

from bot.sign_in_page import page
from bot.slack.blocks import SIGN_IN_ACTION, render
from orchestrator import SignInPrompt
from tests.harness.block_kit import block_errors

URL = "https://crm.example.com/authorize?client_id=abc&state=opaque&code_challenge=xyz"


def test_the_prompt_names_the_connector_and_links_its_sign_in_page() -> None:
    text, blocks = render(SignInPrompt(connector="sales/crm", url=URL, expires_at=1.8e9))
    assert "Threadwork needs your crm account to continue" in text
    (button,) = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == SIGN_IN_ACTION and button["url"] == URL
    assert button["text"]["text"] == "Connect crm"
    assert "value" not in button, "the button carries nothing but the link"
    assert block_errors(blocks) == []


def test_each_callback_outcome_has_its_own_plain_page() -> None:
    ok_status, ok = page("connected", "sales/crm", "corr-1")
    assert ok_status == 200 and "You can close this page" in ok and "crm" in ok
    seen = {ok}
    for outcome in ("unknown", "used", "expired", "withdrawn"):
        status, body = page(outcome, "sales/crm", "corr-1")
        assert status == 400 and "Nothing" in body
        seen.add(body)
    assert len(seen) == 5
    failed_status, failed = page("failed", "sales/crm", "corr-9")
    assert failed_status == 502 and "corr-9" in failed


def test_the_page_escapes_what_it_shows() -> None:
    _, body = page("connected", "x/<script>alert(1)</script>", "c")
    assert "<script>" not in body and json.dumps(body)
