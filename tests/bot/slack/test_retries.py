"""How long the Slack client waits after a 429: the Retry-After it was given, within bounds."""

from __future__ import annotations

from bot.slack.retries import retry_after


def test_retry_after_is_read_from_the_header_whatever_its_case() -> None:
    assert retry_after({"Retry-After": ["3"]}) == 3.0
    assert retry_after({"retry-after": "2"}) == 2.0


def test_a_missing_or_unreadable_retry_after_waits_one_second() -> None:
    assert retry_after({}) == 1.0
    assert retry_after({"retry-after": ["soon"]}) == 1.0


def test_retry_after_is_kept_between_zero_and_thirty_seconds() -> None:
    assert retry_after({"retry-after": ["120"]}) == 30.0
    assert retry_after({"retry-after": ["-5"]}) == 0.0
