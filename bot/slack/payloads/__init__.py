"""Parse Slack payloads into orchestrator commands. Untrusted input stops here.

Each parser returns None for a payload the bot must ignore (its own messages, edits, joins,
unowned chatter, a button or dialog we could not have sent). By what they parse: `events` (Events
API), `actions` (button presses), `views` (submitted dialogs), `commands` (slash commands).
"""

from bot.slack.payloads.actions import (
    answer_click,
    checkpoint_click,
    disconnect_click,
    elicitation_click,
    feedback_click,
    malformed_interaction,
    stop_click,
)
from bot.slack.payloads.commands import slash_command
from bot.slack.payloads.events import (
    assistant_thread_started,
    direct_message,
    home_opened,
    mention,
    message,
    messages_opened,
    session_stopped,
    thread_reply,
)
from bot.slack.payloads.views import elicitation_submission, feedback_comment, rejection

__all__ = [
    "answer_click",
    "assistant_thread_started",
    "checkpoint_click",
    "direct_message",
    "disconnect_click",
    "elicitation_click",
    "elicitation_submission",
    "feedback_click",
    "feedback_comment",
    "home_opened",
    "malformed_interaction",
    "mention",
    "message",
    "messages_opened",
    "rejection",
    "session_stopped",
    "slash_command",
    "stop_click",
    "thread_reply",
]
