"""What people paste to name a thread: a message link (of the parent or a reply), or CHANNEL:TS."""

from __future__ import annotations

import pytest

from bot.slack.permalinks import permalink, thread_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://acme.slack.com/archives/C0GENERAL/p1700000000123456",
            ("C0GENERAL", "1700000000.123456"),
        ),
        (
            "https://acme.slack.com/archives/C0GENERAL/p1700000099000001"
            "?thread_ts=1700000000.123456&cid=C0GENERAL",
            ("C0GENERAL", "1700000000.123456"),
        ),
        (
            "https://acme.enterprise.slack.com/archives/G0PRIV/p1700000000000100",
            ("G0PRIV", "1700000000.000100"),
        ),
        ("C0GENERAL:1700000000.123456", ("C0GENERAL", "1700000000.123456")),
        ("D0DM/1700000000.123456", ("D0DM", "1700000000.123456")),
        ("  C0GENERAL:1700000000.123456\n", ("C0GENERAL", "1700000000.123456")),
    ],
)
def test_links_and_pairs_name_the_thread(text: str, expected: tuple[str, str]) -> None:
    assert thread_of(text) == expected


def test_a_bare_ts_needs_the_channel() -> None:
    assert thread_of("1700000000.123456") is None
    assert thread_of("1700000000.123456", channel="C0OPS") == ("C0OPS", "1700000000.123456")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "task_abc",
        "https://example.com/archives/C0GENERAL/p1700000000123456",
        "https://acme.slack.com/archives/C0GENERAL",
        "https://acme.slack.com/archives/C0GENERAL/p17000",
        "C0GENERAL:yesterday",
    ],
)
def test_anything_else_is_not_a_thread(text: str) -> None:
    assert thread_of(text) is None


def test_a_made_link_has_slacks_permalink_form_and_names_its_thread() -> None:
    root = permalink("https://acme.slack.com/", "C0GENERAL", "1700000000.123456")
    assert root == "https://acme.slack.com/archives/C0GENERAL/p1700000000123456"
    assert thread_of(root) == ("C0GENERAL", "1700000000.123456")

    reply = permalink(
        "https://acme.slack.com/", "C0GENERAL", "1700000099.000001", thread_ts="1700000000.123456"
    )
    assert reply == (
        "https://acme.slack.com/archives/C0GENERAL/p1700000099000001"
        "?thread_ts=1700000000.123456&cid=C0GENERAL"
    )
    assert thread_of(reply) == ("C0GENERAL", "1700000000.123456")
