"""Test harness: fakes at the network boundary, over real HTTP, plus the real services.

- `FakeSlack` (fake_slack): the Slack Web API; `AsyncWebClient(base_url=fake.url)`.
- `SlackSender` and payload builders (slack_sender): signed events and clicks to the real app.
- `FakeAnthropic` and turns (fake_anthropic): the Messages API, scripted per conversation.
- services: real Redis/PostgreSQL (started if absent), fresh databases, key prefixes, free ports.
- fixtures: pytest fixtures over all of the above, for a conftest to import.

Each fake serves from its own thread and loop, so in-process async tests and subprocesses (e.g. a
`threadwork serve` a test starts and SIGKILLs) can both talk to it; every wait has a blocking
form (`wait_for_*`) and an async one (`until_*`), bounded, failing with a dump of what arrived.
"""

from .anthropic_turns import Error, Reply, StreamError, Text, ToolUse, Turn
from .fake_anthropic import FakeAnthropic, RecordedRequest, Script
from .fake_slack import FakeSlack, SlackCall, SlackEphemeral, SlackMessage, SlackView
from .slack_sender import (
    Response,
    SlackSender,
    app_mention,
    block_action,
    sign,
    thread_message,
    view_submission,
)

__all__ = [
    "Error",
    "FakeAnthropic",
    "FakeSlack",
    "RecordedRequest",
    "Reply",
    "Response",
    "Script",
    "SlackCall",
    "SlackEphemeral",
    "SlackMessage",
    "SlackSender",
    "SlackView",
    "StreamError",
    "Text",
    "ToolUse",
    "Turn",
    "app_mention",
    "block_action",
    "sign",
    "thread_message",
    "view_submission",
]
