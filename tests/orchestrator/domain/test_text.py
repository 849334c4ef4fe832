"""One rule for cutting text: fits its limit exactly, says it was cut, optionally on one line."""

from __future__ import annotations

from connectors import ToolInfo
from orchestrator.domain.checkpoint import Risk
from orchestrator.domain.text import clip


def test_a_text_that_fits_is_unchanged() -> None:
    assert clip("restart web", 11) == "restart web"
    assert clip("two\nlines", 100) == "two\nlines"


def test_a_cut_text_ends_in_an_ellipsis_within_the_limit() -> None:
    cut = clip("x" * 500, 200)
    assert len(cut) == 200 and cut.endswith("…") and cut[:-1] == "x" * 199


def test_flat_folds_whitespace_before_measuring() -> None:
    assert clip("  a\n\n b\tc  ", 10, flat=True) == "a b c"
    assert clip("word " * 10, 8, flat=True) == "word wo…"


def test_risk_is_read_from_the_tools_hints() -> None:
    tool = ToolInfo(
        model_name="ops__restart",
        server="deploy",
        namespace="ops",
        name="restart",
        destructive=False,
        open_world=False,
        idempotent=True,
    )
    assert Risk.from_tool(tool) == Risk(destructive=False, open_world=False, idempotent=True)
    assert Risk.from_tool(ToolInfo(model_name="m", server="s", namespace="n", name="x")) == Risk()
