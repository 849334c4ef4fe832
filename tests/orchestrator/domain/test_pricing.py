"""Prices per model id and the cost of a call's usage: pure rules, no services."""

from __future__ import annotations

from dataclasses import astuple

import pytest

from orchestrator.domain.pricing import Price, PriceTable
from orchestrator.domain.task import Usage

SONNET = Price(input=3, output=15, cache_write_5m=3.75, cache_write_1h=6, cache_read=0.3)


def test_each_kind_of_token_is_billed_at_its_own_price() -> None:
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=100_000,
        cache_write_tokens=300_000,
        cache_write_1h_tokens=100_000,
        cache_read_tokens=2_000_000,
    )
    # 3 + 1.5 output + 0.2M×3.75 + 0.1M×6 + 2M×0.3
    assert SONNET.cost(usage) == pytest.approx(3 + 1.5 + 0.75 + 0.6 + 0.6)


def test_reads_cost_a_tenth_and_writes_a_quarter_more_by_default() -> None:
    price = Price.from_input(3, 15)
    assert astuple(price) == pytest.approx(astuple(SONNET))


def test_admin_globs_win_in_file_order_then_built_in_defaults() -> None:
    table = PriceTable.of(
        {
            "claude-sonnet-4-6": Price.from_input(2, 10),
            "claude-sonnet-*": Price.from_input(9, 9),
            "acme-*": Price.from_input(1, 1),
        }
    )
    assert table.price("claude-sonnet-4-6") == Price.from_input(2, 10)
    assert table.price("claude-sonnet-5") == Price.from_input(9, 9)
    assert table.price("acme-large") == Price.from_input(1, 1)
    assert PriceTable().price("claude-sonnet-4-6") == Price.from_input(3, 15)
    assert PriceTable().price("claude-haiku-4-5") == Price.from_input(1, 5)
    assert PriceTable().price("claude-opus-4-1") == Price.from_input(15, 75)


def test_a_model_without_a_price_has_no_cost() -> None:
    assert PriceTable().cost("some-local-model", Usage(input_tokens=10)) is None
