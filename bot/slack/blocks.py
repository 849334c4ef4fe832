"""Block Kit renderers: pure functions from orchestrator views to (fallback text, blocks).

No client calls, no clock reads. Output always fits Slack's limits (3,000 characters
per section, about 12,000 of block text per message), so a long answer is split into sections
and cut with a note past that, never rejected.
"""

from __future__ import annotations

import json
from typing import Any

from bot import messages
from bot.slack.plan_blocks import plan_block
from orchestrator import (
    Answer,
    CallLine,
    Checkpoint,
    CheckpointCard,
    ConnectorDown,
    ControlNotice,
    ElicitationCard,
    Failure,
    Notice,
    Progress,
    ProgressEntry,
    QuestionCard,
    SignInPrompt,
    Stopped,
    StorageTrouble,
    SubagentCard,
    View,
    clip,
    display_name,
    first_line,
    option_value,
)

Rendered = tuple[str, list[dict[str, Any]]]

SECTION_LIMIT = 3000
FALLBACK_LIMIT = 3000
# Slack refuses a message whose blocks hold more than about 13,000 characters of text in all
# (`msg_blocks_too_long`), well before 50 full sections.
MESSAGE_TEXT_BUDGET = 12_000


ARGUMENTS_LIMIT = 2500
REJECT_CALLBACK = "checkpoint.reject"
REASON_BLOCK = "reason"
REASON_LIMIT = 500
STOP_ACTION = "task.stop"
ANSWER_ACTION = "question.answer"
FEEDBACK_ACTION = "answer.feedback"
FEEDBACK_CALLBACK = "answer.feedback_comment"
COMMENT_BLOCK = "comment"
COMMENT_LIMIT = 1000
ELICIT_OPEN = "elicitation.open"
ELICIT_LINK = "elicitation.link"
ELICIT_DECLINE = "elicitation.decline"
ELICIT_CALLBACK = "elicitation.form"
BUTTON_TEXT_LIMIT = 75
SIGN_IN_ACTION = "signin.connect"
URL_LIMIT = 3000


def render(view: View, *, plan: bool = False) -> Rendered:
    """`plan`: the workspace renders plan / task-card blocks (the progress reply uses them)."""
    if isinstance(view, Progress):
        return render_progress(view, plan=plan)
    if isinstance(view, Answer):
        return render_answer(view)
    if isinstance(view, SubagentCard):
        return render_subagent(view)
    if isinstance(view, CheckpointCard):
        return render_card(view.checkpoint)
    if isinstance(view, Notice):
        return render_notice(view)
    if isinstance(view, Stopped):
        text = messages.stopped_note(view.by)
        return text, [_section(text)]
    if isinstance(view, QuestionCard):
        return render_question(view)
    if isinstance(view, SignInPrompt):
        return render_sign_in(view)
    if isinstance(view, ControlNotice):
        text = messages.control_notice(view.code, view.requester)
        return text, [_section(text)]
    if isinstance(view, StorageTrouble):
        text = messages.storage_trouble(view.correlation_id)
        return text, [_section(text)]
    if isinstance(view, ElicitationCard):
        return render_elicitation(view)
    return render_failure(view)


def render_progress(view: Progress, *, plan: bool = False) -> Rendered:
    headline = messages.progress_headline(view.state, view.steps, view.tokens, view.stopped_by)
    blocks: list[dict[str, Any]] = [_context(headline)]
    card = plan_block(view) if plan else None
    if card is not None:
        blocks.append(card)
        others = [e for e in view.entries if not isinstance(e, CallLine)]
        if others:
            blocks.append(_context(escape("\n".join(map(progress_line, others)))[:SECTION_LIMIT]))
    elif view.entries:
        lines = (progress_line(entry) for entry in view.entries)
        blocks.append(_context(escape("\n".join(lines))[:SECTION_LIMIT]))
    if view.task_id:
        stop = {
            "type": "button",
            "action_id": STOP_ACTION,
            "text": _plain(messages.stop_button()),
            "value": view.task_id,
            "style": "danger",
        }
        blocks.append({"type": "actions", "block_id": "task:stop", "elements": [stop]})
    return headline, blocks


def progress_line(entry: ProgressEntry) -> str:
    """One line of the progress reply."""
    if isinstance(entry, CallLine):
        return messages.progress_call(entry.tool, entry.status, entry.error)
    if isinstance(entry, ConnectorDown):
        return messages.connector_unavailable(entry.connector, entry.error)
    return entry.text


def render_answer(view: Answer) -> Rendered:
    # Model text arrives as text: it can't mention @channel or people, or forge links.
    text = escape(view.text.strip()) or messages.empty_answer()
    kept = text[:MESSAGE_TEXT_BUDGET]
    if len(kept) < len(text):
        # Cut at a paragraph or line boundary inside the budget when there is one.
        boundary = max(kept.rfind("\n\n"), kept.rfind("\n"))
        if boundary > MESSAGE_TEXT_BUDGET // 2:
            kept = kept[:boundary]
    blocks = [_section(chunk) for chunk in _chunks(kept, SECTION_LIMIT)]
    if len(kept) < len(text):
        blocks.append(_context(messages.answer_truncated(len(text) - len(kept))))
    if view.task_id:
        blocks += answer_footer(view.task_id)
    return text[:FALLBACK_LIMIT], blocks


def answer_end(view: Answer, *, cut: int = 0) -> list[dict[str, Any]]:
    """The blocks under a streamed answer (`chat.stopStream`'s `blocks`, shown after the
    streamed text): a note when `cut` characters did not fit, then the footer of a final answer."""
    blocks = [_context(messages.answer_truncated(cut))] if cut else []
    if view.task_id:
        blocks += answer_footer(view.task_id)
    return blocks


def answer_footer(task_id: str) -> list[dict[str, Any]]:
    """The blocks closing a final answer: 👍/👎 feedback buttons, then the task's reference.

    The buttons' values name the task and the verdict only (`positive:<task id>`)."""
    (up, up_label), (down, down_label) = messages.feedback_buttons()
    buttons = {
        "type": "feedback_buttons",
        "action_id": FEEDBACK_ACTION,
        "positive_button": {
            "text": _plain(up),
            "value": f"positive:{task_id}",
            "accessibility_label": up_label,
        },
        "negative_button": {
            "text": _plain(down),
            "value": f"negative:{task_id}",
            "accessibility_label": down_label,
        },
    }
    return [
        {"type": "context_actions", "elements": [buttons]},
        _context(messages.answer_reference(task_id)),
    ]


def feedback_dialog(
    task_id: str, *, channel_id: str, thread_ts: str, message_ts: str | None
) -> dict[str, Any]:
    """The modal a 👎 opens for an optional comment; its metadata names the task and the answer."""
    title, label, hint, submit = messages.feedback_dialog()
    metadata = {
        "task": task_id,
        "channel": channel_id,
        "thread_ts": thread_ts,
        "message_ts": message_ts,
    }
    return _comment_modal(
        FEEDBACK_CALLBACK, metadata, (title, label, hint, submit), COMMENT_BLOCK, COMMENT_LIMIT
    )


def render_failure(view: Failure) -> Rendered:
    cost_limit = view.cost_limit
    cost = (cost_limit.scope, cost_limit.spent_usd, cost_limit.limit_usd) if cost_limit else None
    text = messages.failure(
        view.code,
        view.correlation_id,
        view.attempts,
        budget=view.budget,
        limit=view.limit,
        cost=cost,
    )
    return text, [_section(text)]


SUBAGENT_RESULT_LIMIT = 1500


def render_subagent(view: SubagentCard) -> Rendered:
    """A sub-agent's reply: type and brief, live state, and its short result when finished."""
    headline = messages.subagent_headline(view.type, view.state, view.steps, view.tokens)
    blocks: list[dict[str, Any]] = [
        _context(headline),
        _section(messages.subagent_brief(escape(view.brief))),
    ]
    if view.result:
        result = clip(view.result.strip(), SUBAGENT_RESULT_LIMIT)
        blocks.append(_section(messages.subagent_result(view.state, escape(result))))
    return headline, blocks


def render_question(view: QuestionCard) -> Rendered:
    """A question from the model: one button per option while it waits, then the answer."""
    question = escape(view.question)
    blocks: list[dict[str, Any]] = [_section(messages.question(question))]
    if view.asked_by:
        blocks.append(_context(messages.question_from(escape(view.asked_by))))
    if view.state == "open":
        if view.options:
            buttons = [
                {
                    "type": "button",
                    "action_id": f"{ANSWER_ACTION}.{i}",
                    "text": _plain(option[:BUTTON_TEXT_LIMIT]),
                    "value": option_value(view.call_id, i),
                }
                for i, option in enumerate(view.options)
            ]
            blocks.append({"type": "actions", "block_id": "question:open", "elements": buttons})
        hint = messages.question_hint(view.requester, bool(view.options), view.expires_at)
        blocks.append(_context(hint))
    elif view.state == "answered":
        answer = escape(view.answer or "")
        blocks.append(_section(messages.question_answered(view.answered_by or "", answer)))
    elif view.state == "expired":
        blocks.append(_context(messages.question_expired()))
    else:
        blocks.append(_context(messages.question_withdrawn()))
    return messages.question(view.question), blocks


def render_sign_in(view: SignInPrompt) -> Rendered:
    """The private request to connect an account: what for, and a button to the sign-in page."""
    name = display_name(view.connector)
    text = messages.sign_in_prompt(name, view.expires_at)
    button = {
        "type": "button",
        "action_id": SIGN_IN_ACTION,
        "text": _plain(messages.sign_in_button(name)[:BUTTON_TEXT_LIMIT]),
        "url": view.url[:URL_LIMIT],
        "style": "primary",
    }
    actions = {"type": "actions", "block_id": "signin:connect", "elements": [button]}
    return text, [_section(text), actions]


def render_card(cp: Checkpoint) -> Rendered:
    """The approval card: what will run, why, risks, who asked and may decide, then its state."""
    title = messages.card_title(cp.tool, cp.server)
    blocks: list[dict[str, Any]] = [_section(title)]
    if cp.why:
        blocks.append(_section(messages.card_why(escape(cp.why))))
    blocks.append(_section(_code(arguments_text(cp.arguments))))
    if cp.read_before:
        blocks.append(_context(messages.card_read_before([escape(t) for t in cp.read_before])))
    risk = cp.risk
    blocks.append(_context(messages.card_risks(risk.destructive, risk.open_world, risk.idempotent)))
    who_may = _who_may(cp)
    blocks.append(_context(messages.card_people(cp.requester, who_may, cp.expires_at)))
    runs_as = messages.card_runs_as(cp.runs_as, cp.shared_account)
    if runs_as:
        blocks.append(_context(runs_as))
    if cp.status == "pending":
        blocks.append(_buttons(cp, ("approve", "reject")))
    else:
        blocks.append(_section(_status_line(cp)))
        if cp.status == "unknown":
            blocks.append(_buttons(cp, ("retry", "mark_done", "abort")))
    return f"{title} ({cp.status})".replace("*", ""), blocks


def render_notice(view: Notice) -> Rendered:
    cp = view.checkpoint
    text = messages.notice(
        view.code,
        tool=cp.tool if cp else "",
        who_may=_who_may(cp) if cp else "",
        status=cp.status if cp else "",
        by=cp.decided_by if cp else None,
        expires_at=cp.expires_at if cp else None,
        started_at=cp.started_at if cp else None,
        executed_by=cp.executed_by if cp else None,
        attempts=cp.attempts if cp else 0,
    )
    return text, [_section(text)]


def render_elicitation(view: ElicitationCard) -> Rendered:
    """A connector's request: a form or link button and Decline while open, then the outcome."""
    headline = messages.elicitation_headline(escape(view.server), escape(view.message))
    blocks: list[dict[str, Any]] = [_section(headline[:SECTION_LIMIT])]
    if view.state == "open":
        form, link, decline = messages.elicitation_buttons()
        first: dict[str, Any] = {
            "type": "button",
            "action_id": ELICIT_OPEN if view.mode == "form" else ELICIT_LINK,
            "text": _plain(form if view.mode == "form" else link),
            "value": view.elicitation_id,
            "style": "primary",
        }
        if view.mode == "url" and view.url:
            first["url"] = view.url[:3000]
        buttons = [
            first,
            {
                "type": "button",
                "action_id": ELICIT_DECLINE,
                "text": _plain(decline),
                "value": view.elicitation_id,
            },
        ]
        blocks.append({"type": "actions", "block_id": "elicitation:open", "elements": buttons})
        blocks.append(
            _context(messages.elicitation_hint(view.requester, view.mode, view.expires_at))
        )
    else:
        blocks.append(_context(messages.elicitation_outcome(view.state, view.by)))
    return headline, blocks


def reject_dialog(
    checkpoint_id: str, *, channel_id: str | None, thread_ts: str | None
) -> dict[str, Any]:
    """The modal asking why a request is rejected; its metadata names the checkpoint and where
    it was pressed (no channel: in the App Home)."""
    metadata = {"checkpoint": checkpoint_id, "channel": channel_id, "thread_ts": thread_ts}
    return _comment_modal(
        REJECT_CALLBACK, metadata, messages.reject_dialog(), REASON_BLOCK, REASON_LIMIT
    )


def _comment_modal(
    callback_id: str,
    metadata: dict[str, Any],
    wording: tuple[str, str, str, str],
    block: str,
    limit: int,
) -> dict[str, Any]:
    """A modal with one optional multi-line text field."""
    title, label, hint, submit = wording
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": block,
                "optional": True,
                "label": _plain(label),
                "element": {
                    "type": "plain_text_input",
                    "action_id": block,
                    "multiline": True,
                    "max_length": limit,
                    "placeholder": _plain(hint),
                },
            }
        ],
    }


def arguments_text(arguments: dict[str, Any]) -> str:
    """The exact arguments, pretty-printed; cut with a note when too long for a card."""
    text = json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=True)
    if len(text) > ARGUMENTS_LIMIT:
        text = text[:ARGUMENTS_LIMIT] + f"\n… {len(text) - ARGUMENTS_LIMIT:,} more characters"
    return text


def escape(text: str) -> str:
    """Slack's three control characters, so model or tool text can't mention or link anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    body = escape(text).replace("```", "`\u200b``")
    if len(body) > SECTION_LIMIT - 7:
        body = body[: SECTION_LIMIT - 8] + "…"
    return "```" + body + "```"


def _who_may(cp: Checkpoint) -> str:
    a = cp.approvers
    requester = None if a.requester_excluded else a.requester
    return messages.approvers(requester, a.users, a.groups)


def _status_line(cp: Checkpoint) -> str:
    outcome = first_line(cp.result, 200) or "(no output)"
    return messages.card_status(
        cp.status,
        by=cp.decided_by,
        at=cp.decided_at,
        reason=escape(cp.reason) if cp.reason else None,
        outcome=escape(outcome),
        duration_ms=cp.duration_ms,
        attempts=cp.attempts,
        started_at=cp.started_at,
    )


def _buttons(cp: Checkpoint, verdicts: tuple[str, ...]) -> dict[str, Any]:
    elements = []
    for verdict in verdicts:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"checkpoint.{verdict}",
            "text": _plain(messages.button(verdict)),
            "value": cp.id,
        }
        if verdict in ("approve", "retry"):
            button["style"] = "primary"
        elif verdict in ("reject", "abort"):
            button["style"] = "danger"
        if verdict == "approve" and cp.risk.destructive:
            title, text, confirm, deny = messages.confirm_destructive(cp.tool)
            button["confirm"] = {
                "title": _plain(title),
                "text": {"type": "mrkdwn", "text": text},
                "confirm": _plain(confirm),
                "deny": _plain(deny),
                "style": "danger",
            }
        elements.append(button)
    return {"type": "actions", "block_id": f"checkpoint:{cp.status}", "elements": elements}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150], "emoji": True}


def _section(text: str) -> dict[str, Any]:
    text = clip(text, SECTION_LIMIT)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def _chunks(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then hard boundaries so each chunk fits `limit`."""
    out: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n\n")
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest:
        out.append(rest)
    return out
