"""Governance decisions without services: the admin's rule wins over a tool's annotations."""

from __future__ import annotations

import pytest

from orchestrator.domain.governance import Allow, Deny, NeedsApproval, decide


@pytest.mark.parametrize("rule", ["always", "never", "auto"])
@pytest.mark.parametrize("read_only", [True, False])
def test_a_tool_not_enabled_in_the_channel_is_refused_whatever_the_rule(
    rule: str, read_only: bool
) -> None:
    decision = decide(read_only=read_only, rule=rule, enabled=False)  # type: ignore[arg-type]
    assert isinstance(decision, Deny)
    assert "not enabled" in decision.reason


def test_always_asks_even_for_a_read_only_tool() -> None:
    assert isinstance(decide(read_only=True, rule="always", enabled=True), NeedsApproval)


def test_never_runs_even_a_tool_that_may_change_data() -> None:
    assert decide(read_only=False, rule="never", enabled=True) == Allow()


def test_auto_runs_read_only_tools_and_asks_for_the_rest() -> None:
    assert decide(read_only=True, rule="auto", enabled=True) == Allow()
    decision = decide(read_only=False, rule="auto", enabled=True)
    assert isinstance(decision, NeedsApproval)
    assert "read-only" in decision.reason
