"""Parse slash commands (`/threadwork …`) into the command the orchestrator answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import SlashCommand


class _Command(BaseModel):
    model_config = ConfigDict(extra="ignore")
    team_id: str
    channel_id: str
    user_id: str
    text: str = ""


_VERBS = {"": "help", "help": "help", "status": "status", "usage": "usage"}


def slash_command(body: dict[str, Any]) -> SlashCommand | None:
    """`/threadwork [help|status|usage]`; anything else is answered with the help."""
    try:
        parsed = _Command.model_validate(body)
    except ValidationError:
        return None
    text = parsed.text.strip()
    verb = _VERBS.get(text.split(" ", 1)[0].lower() if text else "", "unknown")
    return SlashCommand(
        team_id=parsed.team_id,
        channel_id=parsed.channel_id,
        user_id=parsed.user_id,
        verb=verb,  # type: ignore[arg-type]
        text=text[:100],
    )
