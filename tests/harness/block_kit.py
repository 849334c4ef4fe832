"""Block Kit limits as Slack enforces them, with Slack's `invalid_blocks` error strings.

Only the limits the bot can plausibly exceed are checked (sizes and counts); unknown block types
are accepted, as Slack accepts block types newer than this model.
"""

from __future__ import annotations

from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000

_SECTION_TEXT_MAX = 3000
_FIELDS_MAX = 10
_FIELD_TEXT_MAX = 2000
_HEADER_TEXT_MAX = 150
_CONTEXT_ELEMENTS_MAX = 10
_ACTIONS_ELEMENTS_MAX = 25
_BUTTON_TEXT_MAX = 75
_BUTTON_VALUE_MAX = 2000
_ID_MAX = 255


def block_errors(blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS) -> list[str]:
    """Every limit `blocks` breaks, worded like Slack's `errors` array (empty when valid)."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        errors.extend(_block_errors(block, f"/blocks/{index}"))
    return errors


def _too_long(value: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}]"]
    return []


def _too_many(items: Any, limit: int, pointer: str) -> list[str]:
    if isinstance(items, list) and len(items) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{pointer}]"]
    return []


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, dict) else None


def _block_errors(block: Any, at: str) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"missing required field: type [json-pointer:{at}]"]
    errors = _too_long(block.get("block_id"), _ID_MAX, f"{at}/block_id")
    kind = block["type"]
    if kind == "section":
        errors += _too_long(_text_of(block.get("text")), _SECTION_TEXT_MAX, f"{at}/text/text")
        fields = block.get("fields")
        errors += _too_many(fields, _FIELDS_MAX, f"{at}/fields")
        for i, field in enumerate(fields if isinstance(fields, list) else []):
            errors += _too_long(_text_of(field), _FIELD_TEXT_MAX, f"{at}/fields/{i}/text")
        if isinstance(block.get("accessory"), dict):
            errors += _element_errors(block["accessory"], f"{at}/accessory")
    elif kind == "header":
        errors += _too_long(_text_of(block.get("text")), _HEADER_TEXT_MAX, f"{at}/text/text")
    elif kind == "context":
        errors += _too_many(block.get("elements"), _CONTEXT_ELEMENTS_MAX, f"{at}/elements")
    elif kind == "actions":
        elements = block.get("elements")
        errors += _too_many(elements, _ACTIONS_ELEMENTS_MAX, f"{at}/elements")
        for i, element in enumerate(elements if isinstance(elements, list) else []):
            errors += _element_errors(element, f"{at}/elements/{i}")
    return errors


def _element_errors(element: Any, at: str) -> list[str]:
    if not isinstance(element, dict):
        return []
    errors = _too_long(element.get("action_id"), _ID_MAX, f"{at}/action_id")
    if element.get("type") == "button":
        errors += _too_long(_text_of(element.get("text")), _BUTTON_TEXT_MAX, f"{at}/text/text")
        errors += _too_long(element.get("value"), _BUTTON_VALUE_MAX, f"{at}/value")
    return errors
