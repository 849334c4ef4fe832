"""What a model call costs: prices per model id (globs), and the cost of a call's usage in USD.

Prices are USD per million tokens, one per kind of token the API bills: uncached input, output,
cache writes with a 5 minute or a 1 hour TTL, and cache reads. The admin's table
(`threadwork.yaml` `pricing:`) is searched first, in file order, then the built-in defaults for
the default models; a model matching neither has no price, and its calls are counted as unpriced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from orchestrator.domain.task import Usage

MILLION = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float

    @classmethod
    def from_input(cls, input: float, output: float) -> Price:
        """The API's usual ratios: 5 min writes 1.25×, 1 h writes 2×, reads 0.1× the input."""
        return cls(
            input=input,
            output=output,
            cache_write_5m=input * 1.25,
            cache_write_1h=input * 2,
            cache_read=input * 0.1,
        )

    def cost(self, usage: Usage) -> float:
        """USD of `usage` (its cache writes split by TTL)."""
        write_1h = usage.cache_write_1h_tokens
        write_5m = usage.cache_write_tokens - write_1h
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + write_5m * self.cache_write_5m
            + write_1h * self.cache_write_1h
            + usage.cache_read_tokens * self.cache_read
        ) / MILLION


BUILT_IN: tuple[tuple[str, Price], ...] = (
    ("claude-opus-4-0*", Price.from_input(15, 75)),
    ("claude-opus-4-1*", Price.from_input(15, 75)),
    ("claude-opus-4*", Price.from_input(5, 25)),
    ("claude-opus-*", Price.from_input(5, 25)),
    ("claude-sonnet-*", Price.from_input(3, 15)),
    ("claude-haiku-3*", Price.from_input(0.8, 4)),
    ("claude-haiku-*", Price.from_input(1, 5)),
)
"""Defaults for the default models (list prices when written); `threadwork.yaml` overrides."""


def billing_month(epoch: float) -> str:
    """The calendar month (UTC) a spend at `epoch` counts in, as `YYYY-MM`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Admin entries (glob → price, first match wins), then the built-in defaults."""

    entries: tuple[tuple[str, Price], ...] = ()

    @classmethod
    def of(cls, admin: Mapping[str, Price]) -> PriceTable:
        return cls(tuple(admin.items()))

    def price(self, model: str) -> Price | None:
        for pattern, price in (*self.entries, *BUILT_IN):
            if fnmatchcase(model, pattern):
                return price
        return None

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD of one call's usage on `model`, or None if the model has no price."""
        price = self.price(model)
        return None if price is None else price.cost(usage)
