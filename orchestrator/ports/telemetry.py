"""Metrics and traces: what the orchestrator reports, and a `Telemetry` that records nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from orchestrator.domain.task import Usage

SpanValue = str | int | float | bool


class Telemetry(Protocol):
    """Metrics and traces of the work, named by what happened; no metrics library leaks inward."""

    def span(self, name: str, **attributes: SpanValue) -> AbstractContextManager[None]:
        """A trace span around the body (nested spans become its children)."""
        ...

    def span_between(
        self, name: str, start_s: float, end_s: float, **attributes: SpanValue
    ) -> None:
        """A span that already happened (epoch seconds), e.g. a checkpoint's wait for a person."""
        ...

    def model_called(self, *, model: str, usage: Usage, seconds: float, outcome: str) -> None: ...

    def tool_called(self, *, connector: str, seconds: float, outcome: str) -> None: ...


class NoTelemetry:
    """The neutral `Telemetry`: records nothing (unit tests, CLI commands)."""

    def span(self, name: str, **attributes: SpanValue) -> AbstractContextManager[None]:
        return nullcontext()

    def span_between(
        self, name: str, start_s: float, end_s: float, **attributes: SpanValue
    ) -> None:
        return None

    def model_called(self, *, model: str, usage: Usage, seconds: float, outcome: str) -> None:
        return None

    def tool_called(self, *, connector: str, seconds: float, outcome: str) -> None:
        return None
