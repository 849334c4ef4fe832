"""Block Kit of the surfaces that belong to one person rather than a thread: their App Home,
the private answers to `/threadwork`, the assistant's suggested prompts. Pure functions, tested
on their output; the thread's messages are rendered in blocks.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import messages
from bot.slack.blocks import Rendered, _buttons, _context, _plain, _section, escape
from orchestrator import CommandReply, Home, Suggestion, clip

HOME_MAX_BLOCKS = 100


def render_home(home: Home, links: Mapping[str, str]) -> dict[str, Any]:
    """A person's App Home (`views.publish`): their recent tasks, what waits for their approval
    (Approve / Reject, the card's own buttons), their accounts. `links` maps a task id or a
    checkpoint id to the permalink of its thread or card."""
    tasks, approvals, accounts = messages.home_headers()
    blocks: list[dict[str, Any]] = [_header(tasks)]
    for task in home.tasks:
        title = escape(task.title)
        link = links.get(task.task_id)
        text = messages.home_task(
            f"<{link}|{title}>" if link and title else title,
            task.status,
            task.tokens,
            task.cost_usd,
            task.thread.channel_id,
        )
        blocks.append(_section(text))
    if not home.tasks:
        blocks.append(_context(messages.home_empty("tasks")))
    blocks += [{"type": "divider"}, _header(approvals)]
    for cp in home.approvals:
        link = links.get(cp.id)
        where = f"<{link}|this thread>" if link else f"<#{cp.thread.channel_id}>"
        text = messages.home_approval(cp.tool, cp.server, cp.requester, where, cp.expires_at)
        buttons = _buttons(cp, ("approve", "reject"))
        blocks += [_section(text), {**buttons, "block_id": f"home:{cp.id}"}]
    if not home.approvals:
        blocks.append(_context(messages.home_empty("approvals")))
    blocks += [{"type": "divider"}, _header(accounts)]
    for account in home.accounts:
        line = _section(messages.home_account(account.connector, account.connected, account.since))
        if account.connected:
            line["accessory"] = _disconnect_button(account.connector)
        blocks.append(line)
    if not home.accounts:
        blocks.append(_context(messages.home_empty("accounts")))
    return {"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}


DISCONNECT_ACTION = "home.disconnect"


def _disconnect_button(connector: str) -> dict[str, Any]:
    label, title, text, confirm, deny = messages.home_disconnect()
    return {
        "type": "button",
        "action_id": DISCONNECT_ACTION,
        "text": _plain(label),
        "value": connector[:150],
        "style": "danger",
        "confirm": {
            "title": _plain(title),
            "text": {"type": "mrkdwn", "text": text},
            "confirm": _plain(confirm),
            "deny": _plain(deny),
            "style": "danger",
        },
    }


STATUS_TASKS = 10


def render_command(reply: CommandReply) -> Rendered:
    """The private answer to `/threadwork`: help, the person's running tasks, or usage."""
    if reply.verb == "status":
        head = messages.command_status(len(reply.running))
        lines = [
            messages.command_task(escape(t.title), t.status, t.tokens, t.thread.channel_id)
            for t in reply.running[:STATUS_TASKS]
        ]
        return head, [_section(head), *(_section(line) for line in lines)]
    if reply.verb == "usage" and reply.mine is not None and reply.channel is not None:
        head = messages.command_usage_header(reply.since)
        whose = messages.command_usage_whose(reply.channel_id)
        lines = [
            messages.command_usage(
                who, s.tasks, s.input_tokens, s.output_tokens, s.cost_usd, s.unpriced_calls
            )
            for who, s in zip(whose, (reply.mine, reply.channel), strict=True)
        ]
        return head, [_section(head), _section("\n".join(lines))]
    text = messages.command_help(escape(reply.text) if reply.verb == "unknown" else "")
    return text, [_section(text)]


PROMPT_TITLE_LIMIT = 75


def suggested_prompts(suggestions: Sequence[Suggestion]) -> list[dict[str, str]]:
    """The assistant's suggested prompts (`assistant.threads.setSuggestedPrompts`, at most 4)."""
    pairs = [
        messages.suggestion(s.kind, s.name, s.description) for s in suggestions
    ] or messages.default_suggestions()
    return [
        {"title": clip(title, PROMPT_TITLE_LIMIT, flat=True), "message": message}
        for title, message in pairs[:4]
    ]


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text)}
