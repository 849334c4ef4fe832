"""Commands expand their arguments; agents read tools/model/prompt leniently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from plugins import PluginRegistry, expand_arguments

Writer = Callable[[str, object], Path]


def test_command_expands_arguments_and_positionals(bundle: Path, write: Writer) -> None:
    write(
        "commands/digest.md",
        "---\ndescription: Digest a channel\nargument-hint: [channel, days]\n"
        "---\nSummarise the last $2 days of #$1 ($ARGUMENTS). Budget $2.3M stays.\n",
    )
    registry = PluginRegistry.load([bundle])
    command = registry.plugins["bundle"].commands["digest"]
    assert command.description == "Digest a channel"
    assert command.argument_hint == "[channel, days]"  # YAML list, stringified
    expanded = command.expand("general 7")
    assert expanded == "Summarise the last 7 days of #general (general 7). Budget $2.3M stays.\n"


def test_command_without_frontmatter_uses_its_first_line(bundle: Path, write: Writer) -> None:
    write("commands/hello.md", "# Say hello\n\nGreet the user.\n")
    command = PluginRegistry.load([bundle]).plugins["bundle"].commands["hello"]
    assert command.description == "Say hello"
    assert command.expand("Ana").endswith("ARGUMENTS: Ana")


def test_expand_arguments_does_not_rescan_inserted_text() -> None:
    assert expand_arguments("a=$1 all=$ARGUMENTS", "'$2 x' y") == "a=$2 x all='$2 x' y"
    assert expand_arguments("first=$ARGUMENTS[0] missing=[$3]", "one two") == (
        "first=one missing=[]"
    )


def test_agent_tools_forms_and_model_aliases(bundle: Path, write: Writer) -> None:
    write(
        "agents/a.md",
        "---\nname: a\ndescription: A.\ntools: Read, Grep\nmodel: inherit\n"
        "permissionMode: bypass\n---\nYou are A.\n",
    )
    write(
        "agents/b.md",
        "---\nname: b\ndescription: B.\ntools: [Read]\nmodel: claude-opus-4-1\n---\nYou are B.\n",
    )
    write("agents/c.md", "---\ndescription: C.\nmodel: Sonnet\n---\nYou are C.\n")
    registry = PluginRegistry.load([bundle])
    agents = registry.plugins["bundle"].agents
    assert (agents["a"].tools, agents["a"].model) == (("Read", "Grep"), None)
    assert (agents["b"].tools, agents["b"].model) == (("Read",), "claude-opus-4-1")
    assert (agents["c"].tools, agents["c"].model) == (None, "sonnet")
    assert agents["c"].system_prompt == "You are C."
    ignored = [p for p in registry.problems if "permissionMode" in p.message]
    assert ignored and ignored[0].severity == "warning"


def test_agent_with_empty_prompt_is_an_error(bundle: Path, write: Writer) -> None:
    path = write("agents/empty.md", "---\nname: empty\ndescription: E.\n---\n\n")
    registry = PluginRegistry.load([bundle])
    assert registry.plugins["bundle"].agents == {}
    assert [(p.severity, p.path) for p in registry.problems if p.severity == "error"] == [
        ("error", path)
    ]
