"""`ask_user` input, option button values and who may answer: pure rules, no services."""

from __future__ import annotations

import pytest

from orchestrator.domain.question import (
    Question,
    may_answer,
    option_value,
    parse_option_value,
    parse_question,
)


def test_a_question_with_options_is_parsed_and_duplicates_dropped() -> None:
    parsed = parse_question({"question": " Staging or production? ", "options": ["a", "b", "a"]})
    assert parsed == Question(text="Staging or production?", options=("a", "b"))


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({}, "non-empty `question`"),
        ({"question": "x", "options": "a,b"}, "list of strings"),
        ({"question": "x", "options": [str(i) for i in range(11)]}, "at most 10"),
        ({"question": "x", "options": ["y" * 76]}, "under 75"),
    ],
)
def test_bad_input_is_explained_to_the_model(arguments: dict, problem: str) -> None:
    result = parse_question(arguments)
    assert isinstance(result, str) and problem in result


def test_option_values_round_trip_and_forgeries_are_rejected() -> None:
    value = option_value("toolu_01ABCdef", 3)
    assert parse_option_value(value) == ("toolu_01ABCdef", 3)
    assert parse_option_value("toolu_01; drop--3") is None
    assert parse_option_value("toolu_01") is None


def test_only_the_requester_answers() -> None:
    assert may_answer("U0ALICE", "U0ALICE") and not may_answer("U0ALICE", "U0BOB")
