"""Where the bot token may go when a shared file is downloaded: Slack's hosts, or the API's."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.files import SlackThreadFiles


@pytest.fixture
def files() -> SlackThreadFiles:
    return SlackThreadFiles(AsyncWebClient(token="xoxb-1"), api_url="http://127.0.0.1:8123/api/")


@pytest.mark.parametrize(
    "url",
    [
        "https://files.slack.com/files-pri/T1-F1/download/a.csv",
        "https://slack.com/files/a.csv",
        "http://127.0.0.1:8123/files-pri/F1/a.csv",
    ],
)
def test_slack_file_hosts_and_the_api_host_get_the_token(files, url) -> None:
    assert files.trusted(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://files.slack.com/files-pri/a.csv",  # not TLS
        "https://files.slack.com.evil.example/a.csv",
        "https://evilslack.com/a.csv",
        "http://127.0.0.1:8124/files-pri/F1/a.csv",  # another local port
        "https://127.0.0.1:8123/a.csv",  # another scheme than the API's
        "file:///etc/passwd",
        "",
    ],
)
def test_every_other_host_does_not(files, url) -> None:
    assert not files.trusted(url)
