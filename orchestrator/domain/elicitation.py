"""Elicitation requests from connectors, as the person sees them. Pure, no I/O.

A connector's server may ask, in the middle of a tool call, for input only the person can give:
a small form (`form` mode: a flat JSON schema of string, number, integer, boolean and enum
fields) or a visit to a page (`url` mode). It is shown like a question, to the requester only,
and the answer is one of accept (with the form's values), decline or cancel (it expired, or the
task was stopped). Field values arrive from Slack as text and are checked here against the
schema, so the server only ever gets values its schema allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from orchestrator.domain.task import ThreadRef

ElicitMode = Literal["form", "url"]
ElicitAction = Literal["accept", "decline", "cancel"]
FieldKind = Literal["string", "number", "integer", "boolean", "enum"]
MAX_FIELDS = 20
MAX_ENUM = 100


class FormField(BaseModel):
    """One field of a requested form."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    kind: FieldKind
    title: str
    description: str = ""
    required: bool = False
    options: tuple[str, ...] = ()
    option_labels: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    default: str | float | bool | None = None


class Elicitation(BaseModel):
    """A connector's request waiting for the requester (kept in Redis while the call waits)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    task_id: str
    agent_id: str
    call_id: str
    thread: ThreadRef
    requester: str
    server: str
    message: str
    mode: ElicitMode
    fields: tuple[FormField, ...] = ()
    url: str | None = None
    expires_at: float
    card_ts: str | None = None


class Reply(BaseModel):
    """What closed an elicitation: the first reply stored wins."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    action: ElicitAction
    by: str | None = None
    content: dict[str, str | float | int | bool] | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """The schema asks for something a Slack form cannot show; the server gets a decline."""

    reason: str


def form_fields(schema: dict[str, Any]) -> tuple[FormField, ...] | Unsupported:
    """The fields of a requested schema, in the server's order, or why it cannot be shown."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return Unsupported("the form has no fields")
    if len(properties) > MAX_FIELDS:
        return Unsupported(f"the form has more than {MAX_FIELDS} fields")
    listed = schema.get("required")
    required = listed if isinstance(listed, list) else []
    fields = []
    for name, spec in properties.items():
        field = _field(str(name), spec, name in required)
        if isinstance(field, Unsupported):
            return field
        fields.append(field)
    return tuple(fields)


def _field(name: str, spec: Any, required: bool) -> FormField | Unsupported:
    if not isinstance(spec, dict):
        return Unsupported(f"field {name!r} has no schema")
    kind = spec.get("type")
    title = str(spec.get("title") or name)[:150]
    common: dict[str, Any] = {
        "name": name,
        "title": title,
        "description": str(spec.get("description") or "")[:150],
        "required": required,
    }
    enum = spec.get("enum")
    one_of = spec.get("oneOf")
    if kind == "string" and isinstance(one_of, list):
        enum = [o.get("const") for o in one_of if isinstance(o, dict)]
        labels = [str(o.get("title") or o.get("const")) for o in one_of if isinstance(o, dict)]
        spec = {**spec, "enumNames": labels}
    if kind == "string" and isinstance(enum, list):
        if not enum or len(enum) > MAX_ENUM or not all(isinstance(v, str) for v in enum):
            return Unsupported(f"field {name!r} has choices a menu cannot show")
        names = spec.get("enumNames")
        labels = names if isinstance(names, list) and len(names) == len(enum) else enum
        return FormField(
            kind="enum",
            options=tuple(enum),
            option_labels=tuple(str(label) for label in labels),
            default=spec.get("default") if spec.get("default") in enum else None,
            **common,
        )
    if kind == "string":
        return FormField(
            kind="string",
            min_length=_int(spec.get("minLength")),
            max_length=_int(spec.get("maxLength")),
            default=spec["default"] if isinstance(spec.get("default"), str) else None,
            **common,
        )
    if kind in ("number", "integer"):
        return FormField(
            kind=kind,
            minimum=_number(spec.get("minimum")),
            maximum=_number(spec.get("maximum")),
            default=_number(spec.get("default")),
            **common,
        )
    if kind == "boolean":
        default = spec.get("default")
        return FormField(
            kind="boolean", default=default if isinstance(default, bool) else None, **common
        )
    return Unsupported(f"field {name!r} is of a type a form cannot show ({kind!r})")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


RawValue = str | bool | None
"""A field as Slack submits it: text (inputs, menus) or a tick (checkbox), None when empty."""


def form_errors(fields: tuple[FormField, ...], raw: dict[str, RawValue]) -> dict[str, str]:
    """Field name -> what to fix; empty when the submission is valid."""
    return _read(fields, raw)[1]


def form_values(
    fields: tuple[FormField, ...], raw: dict[str, RawValue]
) -> dict[str, str | float | int | bool]:
    """The typed values of a valid submission (check `form_errors` first)."""
    return _read(fields, raw)[0]


def _read(
    fields: tuple[FormField, ...], raw: dict[str, RawValue]
) -> tuple[dict[str, str | float | int | bool], dict[str, str]]:
    values: dict[str, str | float | int | bool] = {}
    errors: dict[str, str] = {}
    for field in fields:
        value = raw.get(field.name)
        if field.kind == "boolean":
            values[field.name] = bool(value)
            continue
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            if field.required:
                errors[field.name] = "Required."
            continue
        outcome = _value(field, text)
        if isinstance(outcome, Unsupported):
            errors[field.name] = outcome.reason
        else:
            values[field.name] = outcome
    return values, errors


def _value(field: FormField, text: str) -> str | float | int | Unsupported:
    if field.kind == "enum":
        return text if text in field.options else Unsupported("Pick one of the choices.")
    if field.kind == "string":
        if field.min_length is not None and len(text) < field.min_length:
            return Unsupported(f"At least {field.min_length} characters.")
        if field.max_length is not None and len(text) > field.max_length:
            return Unsupported(f"At most {field.max_length} characters.")
        return text
    try:
        number = float(text)
    except ValueError:
        return Unsupported("A number, please.")
    if not math.isfinite(number):
        return Unsupported("A number, please.")
    if field.kind == "integer" and not number.is_integer():
        return Unsupported("A whole number, please.")
    if field.minimum is not None and number < field.minimum:
        return Unsupported(f"At least {field.minimum:g}.")
    if field.maximum is not None and number > field.maximum:
        return Unsupported(f"At most {field.maximum:g}.")
    return int(number) if field.kind == "integer" else number


def may_reply(requester: str, user_id: str) -> bool:
    """Only the person who asked for the task answers a connector's request."""
    return user_id == requester
