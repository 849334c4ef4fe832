"""Block Kit of a connector's form (MCP elicitation, form mode): the modal built from the
requested schema, one input per field. Pure functions, tested on their output; the card in the
thread is rendered with the other messages in blocks.py."""

from __future__ import annotations

import json
from typing import Any

from bot import messages
from bot.slack.blocks import (
    BUTTON_TEXT_LIMIT,
    ELICIT_CALLBACK,
    SECTION_LIMIT,
    _plain,
    _section,
    escape,
)
from orchestrator import ElicitationForm, FormField


def modal(form: ElicitationForm) -> dict[str, Any]:
    """The modal of a connector's form: one input per field; metadata names the request only."""
    title, submit, close = messages.elicitation_form(form.server)
    metadata = {
        "elicitation": form.elicitation_id,
        "channel": form.thread.channel_id,
        "thread_ts": form.thread.thread_ts,
    }
    blocks: list[dict[str, Any]] = [_section(escape(form.message)[:SECTION_LIMIT])]
    blocks += [_form_input(field) for field in form.fields]
    return {
        "type": "modal",
        "callback_id": ELICIT_CALLBACK,
        "private_metadata": json.dumps(metadata),
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain(close),
        "blocks": blocks,
    }


def _form_input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any] = {"action_id": field.name[:255]}
    if field.kind == "enum":
        options = [
            {"text": _plain(label[:BUTTON_TEXT_LIMIT]), "value": value[:150]}
            for value, label in zip(field.options, field.option_labels, strict=True)
        ]
        element.update(type="static_select", options=options)
        initial = next((o for o in options if o["value"] == field.default), None)
        if initial is not None:
            element["initial_option"] = initial
    elif field.kind == "boolean":
        yes = {"text": _plain(messages.elicitation_yes()), "value": "true"}
        element.update(type="checkboxes", options=[yes])
        if field.default is True:
            element["initial_options"] = [yes]
    elif field.kind in ("number", "integer"):
        element.update(type="number_input", is_decimal_allowed=field.kind == "number")
        if field.minimum is not None:
            element["min_value"] = f"{field.minimum:g}"
        if field.maximum is not None:
            element["max_value"] = f"{field.maximum:g}"
        if isinstance(field.default, float):
            element["initial_value"] = f"{field.default:g}"
    else:
        element.update(type="plain_text_input", multiline=(field.max_length or 0) > 150)
        if field.max_length is not None:
            element["max_length"] = min(field.max_length, 3000)
        if isinstance(field.default, str):
            element["initial_value"] = field.default[:3000]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name[:255],
        "optional": not field.required or field.kind == "boolean",
        "label": _plain(field.title[:2000]),
        "element": element,
    }
    if field.description:
        block["hint"] = _plain(field.description[:2000])
    return block
