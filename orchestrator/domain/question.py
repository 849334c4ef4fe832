"""Questions to a person: the `ask_user` core tool, its input, and who may answer. Pure, no I/O.

A question is a tool call in `awaiting_input`, the same shape as a call waiting for approval: the
task is suspended, and the requester's answer (a button with one of the options, or a reply in
the thread) becomes the call's result, verbatim. Like a checkpoint it has a deadline: unanswered
by then, it expires and the model is told nobody answered. A sub-agent asks through the task's
thread too: its question names it, and the answer goes back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.domain.messages import ToolSpec

ASK_TOOL = "ask_user"
MAX_OPTIONS = 10
MAX_QUESTION_CHARS = 2_000
MAX_OPTION_CHARS = 75

ASK_DEFINITION: ToolSpec = {
    "name": ASK_TOOL,
    "description": (
        "Ask the person who started this thread a question and wait for the answer. Use it when"
        " you need a decision you cannot make yourself (which environment, which account)."
        " Give up to 10 short options when the choices are known; they may also answer in their"
        " own words. The answer is the tool result."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "description": "One clear question."},
            "options": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": MAX_OPTIONS,
                "description": "Optional: the choices, each a few words.",
            },
        },
        "required": ["question"],
    },
}

_VALUE = re.compile(r"^(?P<call>[A-Za-z0-9_]{1,56})--(?P<index>\d{1,2})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    text: str
    options: tuple[str, ...] = ()


def parse_question(arguments: dict[str, Any]) -> Question | str:
    """The question the model asked, or why its input is not one (sent back as the tool error)."""
    text = arguments.get("question")
    if not isinstance(text, str) or not text.strip():
        return "ask_user needs a non-empty `question` string."
    options = arguments.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return "`options` must be a list of strings."
    cleaned = tuple(dict.fromkeys(o.strip() for o in options if o.strip()))
    if len(cleaned) > MAX_OPTIONS:
        return f"Give at most {MAX_OPTIONS} options; the person can always answer in words."
    if any(len(o) > MAX_OPTION_CHARS for o in cleaned):
        return f"Keep each option under {MAX_OPTION_CHARS} characters: it is a button label."
    return Question(text=text.strip()[:MAX_QUESTION_CHARS], options=cleaned)


def option_value(call_id: str, index: int) -> str:
    """What an option's button carries: the question's call id and the option's position."""
    return f"{call_id}--{index}"


def parse_option_value(value: str) -> tuple[str, int] | None:
    match = _VALUE.match(value)
    if match is None:
        return None
    return match.group("call"), int(match.group("index"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered:
    """The requester answered: `text` becomes the call's result, verbatim."""

    text: str
    by: str
    kind: Literal["answered"] = "answered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Expired:
    """Nobody answered before the question's deadline."""

    kind: Literal["expired"] = "expired"


Outcome = Answered | Expired
"""What closes a waiting question; the first one stored wins."""

EXPIRED_RESULT = (
    "No answer: nobody answered the question before it expired. Go on without it if you can,"
    " or say in your reply what you still need."
)


def may_answer(requester: str, user_id: str) -> bool:
    """Only the person who asked for the task answers its questions."""
    return user_id == requester
