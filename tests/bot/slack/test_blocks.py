"""Block Kit renderers: pure functions whose output Slack always accepts, whatever the size."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from bot.slack.blocks import render
from orchestrator import (
    Answer,
    CallLine,
    ConnectorDown,
    Failure,
    Note,
    Progress,
    StorageTrouble,
)
from orchestrator.domain.views import QuestionCard
from tests.harness.block_kit import block_errors

SECTION_MAX = 3000
FALLBACK_MAX = 3000


def paragraphs(total: int) -> str:
    """Realistic long model output: numbered paragraphs of a few hundred characters."""
    out: list[str] = []
    n = 0
    while sum(len(p) + 2 for p in out) < total:
        n += 1
        out.append(f"Paragraph {n}. " + " ".join(["The deployment went out and passed."] * 8))
    return "\n\n".join(out)[:total].rstrip()


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def all_text(blocks: list[dict]) -> str:
    parts = []
    for block in blocks:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts += [e["text"] for e in block["elements"]]
    return "\n".join(parts)


def cut_count(blocks: list[dict]) -> int | None:
    match = re.search(r"([\d,]+) more characters were cut", all_text(blocks[-1:]))
    return int(match.group(1).replace(",", "")) if match else None


def test_a_100k_answer_renders_within_slack_block_limits() -> None:
    fallback, blocks = render(Answer(text=paragraphs(100_000)))
    assert block_errors(blocks) == []
    assert len(blocks) <= 50
    assert all(len(s) <= SECTION_MAX for s in section_texts(blocks))
    assert len(fallback) <= FALLBACK_MAX


def test_a_cut_note_counts_what_was_left_out() -> None:
    text = paragraphs(200_000)
    fallback, blocks = render(Answer(text=text))
    assert block_errors(blocks) == []
    assert len(fallback) <= FALLBACK_MAX
    cut = cut_count(blocks)
    assert cut is not None, all_text(blocks[-1:])
    kept = sum(len(s) for s in section_texts(blocks))
    # Only the blank lines at chunk seams are counted on neither side.
    assert len(text) - 200 <= kept + cut <= len(text)


# Slack documents no message-wide total for blocks, yet answers `msg_blocks_too_long` once their
# text passes roughly 13,000 characters (slackapi/bolt-js#2509); bot.slack.blocks promises to fit a
# message, so a long answer has to be cut (or continued) well before 50 full sections.
MESSAGE_BLOCK_TEXT_BUDGET = 12_000


def test_a_100k_answer_is_cut_to_what_one_slack_message_accepts() -> None:
    _, blocks = render(Answer(text=paragraphs(100_000)))
    assert len(all_text(blocks)) <= MESSAGE_BLOCK_TEXT_BUDGET
    assert cut_count(blocks) is not None


def test_a_long_answer_keeps_its_beginning_in_order() -> None:
    text = paragraphs(100_000)
    _, blocks = render(Answer(text=text))
    position = 0
    for section in section_texts(blocks):
        found = text.find(section, position)
        assert found >= position, "sections are consecutive pieces of the answer"
        position = found + len(section)


def test_an_answer_that_fits_is_shown_whole_split_at_paragraphs() -> None:
    text = paragraphs(10_000)
    fallback, blocks = render(Answer(text=text))
    sections = section_texts(blocks)
    assert block_errors(blocks) == []
    assert 4 <= len(sections) <= 5
    assert "cut" not in all_text(blocks)
    assert "\n\n".join(sections) == text
    assert all(s.startswith("Paragraph ") for s in sections), "no paragraph is split"
    assert fallback == text[:FALLBACK_MAX]


def test_an_answer_without_line_breaks_is_split_hard_and_nothing_is_lost() -> None:
    text = "x" * 7_500
    _, blocks = render(Answer(text=text))
    sections = section_texts(blocks)
    assert [len(s) for s in sections] == [3000, 3000, 1500]
    assert "".join(sections) == text


def test_a_short_answer_is_one_section() -> None:
    fallback, blocks = render(Answer(text="  All three checks passed.\n"))
    assert fallback == "All three checks passed."
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": fallback}}]


def test_an_empty_answer_says_so() -> None:
    fallback, blocks = render(Answer(text="   "))
    assert fallback.strip()
    assert "without writing an answer" in all_text(blocks)


def test_rendering_is_pure() -> None:
    view = Answer(text=paragraphs(20_000))
    assert render(view) == render(view)


TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/orchestrator/runner.py", line 88, in run\n'
    "KeyError: 'main'"
)


@pytest.mark.parametrize(
    "code",
    ["model_unavailable", "model_rejected", "budget_exceeded", "delivery_failed", "internal_error"],
)
def test_failure_shows_the_correlation_id_and_never_a_traceback(code: str) -> None:
    view = Failure(code=code, correlation_id="0123456789ab", attempts=5, detail=TRACEBACK)
    fallback, blocks = render(view)
    shown = fallback + all_text(blocks)
    assert "0123456789ab" in fallback and "0123456789ab" in all_text(blocks)
    assert "Traceback" not in shown and "runner.py" not in shown and "KeyError" not in shown
    assert block_errors(blocks) == []


def test_failure_says_what_to_do_next() -> None:
    fallback, _ = render(
        Failure(code="model_unavailable", correlation_id="c0ffee000000", attempts=5)
    )
    assert "5 attempts" in fallback
    assert "reply in this thread" in fallback.lower()


@pytest.mark.parametrize(
    ("budget", "limit", "shown", "next_step"),
    [
        ("turn_steps", 40, "limit of 40 steps", "Reply in this thread to continue"),
        ("turn_tokens", 2_000_000, "limit of 2,000,000 tokens", "Reply in this thread to continue"),
        ("task_tokens", 10_000_000, "10,000,000 tokens in all", "Start a new thread"),
    ],
)
def test_a_budget_failure_names_the_limit_hit_and_what_to_do(
    budget: str, limit: int, shown: str, next_step: str
) -> None:
    view = Failure(
        code="budget_exceeded",
        correlation_id="c0ffee000000",
        budget=budget,  # type: ignore[arg-type]
        limit=limit,
    )
    fallback, blocks = render(view)
    assert shown in fallback and next_step in fallback
    assert "c0ffee000000" in fallback
    assert block_errors(blocks) == []


@pytest.mark.parametrize(
    ("state", "word"),
    [("working", "Working"), ("waiting", "approval"), ("done", "Done"), ("failed", "Stopped")],
)
def test_progress_headline_per_state(state: str, word: str) -> None:
    fallback, blocks = render(Progress(state=state, steps=3, tokens=12_345))  # type: ignore[arg-type]
    assert word in fallback
    assert "3 steps" in fallback and "12.3k tokens" in fallback
    assert all_text(blocks).startswith(fallback)


def test_each_state_has_its_own_headline() -> None:
    states = ["working", "waiting", "done", "failed"]
    headlines = {render(Progress(state=s))[0] for s in states}  # type: ignore[arg-type]
    assert len(headlines) == len(states)


def test_progress_lists_what_was_done_and_fits_when_long() -> None:
    entries = tuple(CallLine(tool=f"tool_{i}", status="done") for i in range(2_000))
    fallback, blocks = render(Progress(state="working", entries=entries, steps=1))
    assert "1 step" in fallback and "1 steps" not in fallback
    assert "✓ `tool_0`" in all_text(blocks)
    assert block_errors(blocks) == []
    assert all(len(e["text"]) <= SECTION_MAX for b in blocks for e in b.get("elements", []))


def test_progress_shows_each_call_with_its_mark_and_a_failure_with_its_reason() -> None:
    entries = (
        CallLine(tool="ops__search", status="done"),
        CallLine(tool="ops__restart", status="awaiting_approval"),
        CallLine(tool="spawn_subagents", status="awaiting_subagents"),
        CallLine(tool="ops__page", status="failed", error="no such pager"),
        CallLine(tool="ops__slow", status="running"),
        ConnectorDown(connector="ops/notes", error="connection refused"),
        Note(text="✓ `lookup` (saved by an older version)"),
    )
    _, blocks = render(Progress(state="working", entries=entries))
    assert all_text(blocks).splitlines()[1:] == [
        "✓ `ops__search`",
        "⏸ `ops__restart`",
        "⇉ `spawn_subagents`",
        "✗ `ops__page`: no such pager",
        "… `ops__slow`",
        "⚠ connector ops/notes is unavailable: connection refused",
        "✓ `lookup` (saved by an older version)",
    ]


def test_a_running_task_shows_a_stop_button_carrying_only_its_id() -> None:
    _text, blocks = render(Progress(state="working", task_id="task_abc"))
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    (button,) = actions["elements"]
    assert button["action_id"] == "task.stop" and button["value"] == "task_abc"
    assert block_errors(blocks) == []


@pytest.mark.parametrize("state", ["done", "failed", "stopped"])
def test_a_finished_task_has_no_stop_button(state: str) -> None:
    _text, blocks = render(Progress(state=state, stopped_by="U0ALICE"))  # type: ignore[arg-type]
    assert not [b for b in blocks if b["type"] == "actions"]


def test_a_stopped_task_says_who_stopped_it() -> None:
    text, _blocks = render(Progress(state="stopped", stopped_by="U0ALICE"))
    assert "Stopped by <@U0ALICE>" in text


def test_a_storage_outage_note_says_the_task_will_retry_with_a_reference() -> None:
    text, blocks = render(StorageTrouble(correlation_id="c0ffee"))
    assert "having trouble with task storage" in text and "retry" in text
    assert "`c0ffee`" in all_text(blocks)
    assert block_errors(blocks) == []


def test_progress_lines_cannot_ping_or_link() -> None:
    entry = CallLine(tool="x", status="failed", error="<!channel> <@U0BOB>")
    _text, blocks = render(Progress(state="working", entries=(entry,)))
    shown = all_text(blocks)
    assert "<!channel>" not in shown and "<@U0BOB>" not in shown
    assert "&lt;!channel&gt;" in shown


def test_an_expired_question_has_no_buttons_and_says_it_expired() -> None:
    open_card = QuestionCard(
        call_id="toolu_1",
        question="Staging or production?",
        options=("staging", "production"),
        requester="U0ALICE",
        expires_at=1_800_000_000.0,
    )
    _, blocks = render(open_card)
    assert "until <!date^1800000000^" in all_text(blocks)
    assert any(b["type"] == "actions" for b in blocks)
    _, blocks = render(dataclasses.replace(open_card, state="expired"))
    assert "Expired unanswered" in all_text(blocks)
    assert not any(b["type"] == "actions" for b in blocks)
    assert not block_errors(blocks)


def test_a_subagents_question_names_the_subagent_escaped() -> None:
    view = QuestionCard(
        call_id="toolu_1",
        question="Which account?",
        options=(),
        requester="U0ALICE",
        asked_by="<!channel>",
    )
    _, blocks = render(view)
    text = all_text(blocks)
    assert "Asked by the sub-agent" in text and "<!channel>" not in text


def test_a_connector_form_becomes_a_valid_modal_and_its_card_a_valid_message() -> None:
    from bot.slack.forms import modal as elicitation_modal
    from orchestrator import ElicitationCard, ElicitationForm, ThreadRef
    from orchestrator.domain.elicitation import Unsupported, form_fields

    fields = form_fields(
        {
            "type": "object",
            "properties": {
                "env": {"type": "string", "enum": ["a", "b"]},
                "n": {"type": "number", "maximum": 3},
                "yes": {"type": "boolean"},
                "why": {"type": "string", "maxLength": 500},
            },
        }
    )
    assert not isinstance(fields, Unsupported)
    thread = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1.0")
    modal = elicitation_modal(
        ElicitationForm(
            elicitation_id="el_1",
            server="crm",
            message="<!here> fill",
            fields=fields,
            thread=thread,
        )
    )
    assert not block_errors(modal["blocks"], max_blocks=100)
    assert "<!here>" not in json.dumps(modal), "the server's text is escaped"
    _, blocks = render(
        ElicitationCard(
            elicitation_id="el_1",
            server="crm",
            message="Visit",
            mode="url",
            requester="U0ALICE",
            url="https://x.example/a",
        )
    )
    assert not block_errors(blocks)
    (link, _decline) = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert link["url"] == "https://x.example/a" and link["value"] == "el_1"
