"""What the model writes reaches Slack as text: no @channel, no pings, no forged links."""

from __future__ import annotations

from tests.harness.fake_anthropic import Reply
from tests.stack import CHANNEL, Stack

HOSTILE = "Done <!channel> <!here> ping <@U0SOMEONE> and see <https://evil.example|the docs>"


async def test_model_text_with_slack_markup_is_posted_escaped(stack: Stack) -> None:
    stack.model.script("say something rude", [Reply(HOSTILE)])
    mention = await stack.mention("say something rude")
    # The answer streams in: wait for its last words, not its first.
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "the docs&gt;")
    (answer,) = [m for m in thread if "ping" in m.all_text]
    shown = answer.all_text
    for markup in ("<!channel>", "<!here>", "<@U0SOMEONE>", "<https://evil.example|the docs>"):
        assert markup not in shown, markup
    assert "&lt;!channel&gt;" in shown and "&lt;@U0SOMEONE&gt;" in shown
    assert "&lt;https://evil.example|the docs&gt;" in shown
