"""Connector forms: which schemas a Slack form can show, and what a submission must satisfy."""

from __future__ import annotations

from orchestrator.domain.elicitation import Unsupported, form_errors, form_fields, form_values

SCHEMA = {
    "type": "object",
    "properties": {
        "env": {"type": "string", "enum": ["staging", "production"], "enumNames": ["Stg", "Prod"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 5},
        "ratio": {"type": "number"},
        "ok": {"type": "boolean", "default": True},
        "name": {"type": "string", "minLength": 2, "title": "Your name"},
    },
    "required": ["env", "count"],
}


def fields():
    found = form_fields(SCHEMA)
    assert not isinstance(found, Unsupported)
    return found


def test_each_supported_type_becomes_a_field_in_the_servers_order() -> None:
    found = fields()
    assert [(f.name, f.kind, f.required) for f in found] == [
        ("env", "enum", True),
        ("count", "integer", True),
        ("ratio", "number", False),
        ("ok", "boolean", False),
        ("name", "string", False),
    ]
    assert found[0].option_labels == ("Stg", "Prod") and found[4].title == "Your name"


def test_a_schema_a_form_cannot_show_is_refused_with_the_reason() -> None:
    nested = {"type": "object", "properties": {"where": {"type": "object"}}}
    assert isinstance(form_fields(nested), Unsupported)
    assert isinstance(form_fields({"type": "object", "properties": {}}), Unsupported)


def test_a_valid_submission_gives_typed_values() -> None:
    raw = {"env": "production", "count": "3", "ratio": "0.5", "ok": False, "name": None}
    assert form_errors(fields(), raw) == {}
    assert form_values(fields(), raw) == {
        "env": "production",
        "count": 3,
        "ratio": 0.5,
        "ok": False,
    }


def test_each_wrong_field_says_what_to_fix() -> None:
    raw = {"env": "prod", "count": "9", "ratio": "x", "name": "a"}
    assert form_errors(fields(), raw) == {
        "env": "Pick one of the choices.",
        "count": "At most 5.",
        "ratio": "A number, please.",
        "name": "At least 2 characters.",
    }
    assert form_errors(fields(), {})["count"] == "Required."
