from mcp import types

from connectors.redaction import Redactor
from connectors.results import call_result, tool_info


def result(*content, structured=None, is_error=False):
    return types.CallToolResult(
        content=list(content), structured_content=structured, is_error=is_error
    )


def text(t):
    return types.TextContent(text=t)


def test_truncation_spans_blocks_and_says_how_much_was_cut():
    out = call_result(
        result(text("a" * 60), text("b" * 60)), redactor=Redactor(), limit=100, duration_s=0.5
    )
    assert out.truncated_chars == 20
    assert [b["text"] for b in out.content] == [
        "a" * 60,
        "b" * 40,
        "[output truncated: 20 of 120 characters cut]",
    ]
    assert out.duration_s == 0.5


def test_structured_content_is_shown_when_there_is_no_text():
    out = call_result(
        result(structured={"temp": 21, "note": "key sk-live-9999"}),
        redactor=Redactor.of(["sk-live-9999"]),
        limit=1000,
        duration_s=0,
    )
    assert '"temp": 21' in out.text and "[redacted]" in out.text and "9999" not in out.text


def test_structured_content_is_not_duplicated_when_text_mirrors_it():
    out = call_result(
        result(text('{"temp": 21}'), structured={"temp": 21}),
        redactor=Redactor(),
        limit=1000,
        duration_s=0,
    )
    assert out.text == '{"temp": 21}'


def test_secret_cut_by_truncation_is_redacted_first():
    secret = "s3cr3t-abcdefgh"
    out = call_result(
        result(text("x" * 95 + secret)), redactor=Redactor.of([secret]), limit=100, duration_s=0
    )
    assert "s3cr3" not in out.text


def test_annotation_defaults_follow_the_spec():
    def info(hints):
        tool = types.Tool(name="t", input_schema={"type": "object"}, annotations=hints)
        return tool_info(tool, model_name="s__t", server="s", namespace="")

    bare = info(None)
    assert (bare.read_only, bare.destructive, bare.idempotent, bare.open_world) == (
        False,
        True,
        False,
        True,
    )
    hinted_destructive = info(types.ToolAnnotations(read_only_hint=True, destructive_hint=True))
    assert hinted_destructive.read_only and not hinted_destructive.destructive
    write = info(
        types.ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        )
    )
    assert (write.read_only, write.destructive, write.idempotent, write.open_world) == (
        False,
        False,
        True,
        False,
    )
