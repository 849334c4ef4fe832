"""SlackAssistantPane: the orchestrator's `AssistantPane` port, Slack's assistant container.

When a person opens a conversation with the bot there (a new assistant thread, or the Messages
tab of the agent view), it suggests what the conversation's plugins offer
(`assistant.threads.setSuggestedPrompts`); the conversation itself is a DM, handled like any.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.slack.clients import SlackClients
from bot.slack.surfaces import suggested_prompts
from orchestrator import DeliveryFailed, Suggestion, ThreadRef


class SlackAssistantPane:
    def __init__(self, client: AsyncWebClient | SlackClients) -> None:
        self._clients = SlackClients.of(client)

    async def suggest(self, thread: ThreadRef, suggestions: Sequence[Suggestion]) -> None:
        try:
            client = await self._clients.for_team(thread.team_id)
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=thread.channel_id,
                thread_ts=thread.thread_ts or None,  # none: the Messages tab itself
                title=messages.suggestions_title(),
                prompts=suggested_prompts(suggestions),
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise DeliveryFailed(f"Slack refused the suggested prompts: {error}") from exc
