"""Governance decisions: may this tool call run now, must a human approve it, or is it refused?

Pure: facts in (the tool's annotations, the admin's rule for it, whether the channel enables it),
a decision value out. Annotations are hints from the server; the admin's rule wins, and a tool is
treated as read-only only when it says so explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plugins import ApprovalRule


@dataclass(frozen=True, slots=True)
class Allow:
    kind: Literal["allow"] = "allow"


@dataclass(frozen=True, slots=True)
class Deny:
    reason: str
    kind: Literal["deny"] = "deny"


@dataclass(frozen=True, slots=True)
class NeedsApproval:
    reason: str
    kind: Literal["needs_approval"] = "needs_approval"


Decision = Allow | Deny | NeedsApproval


def decide(*, read_only: bool, rule: ApprovalRule, enabled: bool) -> Decision:
    """The decision for one call of a tool whose annotations say `read_only`."""
    if not enabled:
        return Deny("this tool is not enabled in this channel")
    if rule == "always":
        return NeedsApproval("the admin requires approval for this tool")
    if rule == "never" or read_only:
        return Allow()
    return NeedsApproval("the tool is not annotated read-only, so it may change data")
