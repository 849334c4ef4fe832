"""Skills: frontmatter quirks, lazy bodies, confined file reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plugins import PluginRegistry, SkillFileError

Writer = Callable[[str, object], Path]


def _skill_md(name: str, description: str, body: str = "Body.\n", extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n{body}"


def _only_plugin(bundle: Path):  # noqa: ANN202
    registry = PluginRegistry.load([bundle])
    (plugin,) = registry.plugins.values()
    return registry, plugin


def test_body_is_read_from_disk_only_when_asked(bundle: Path, write: Writer) -> None:
    write(".claude-plugin/plugin.json", {"name": "p"})
    path = write("skills/s/SKILL.md", _skill_md("s", "Does s.", "FIRST-BODY\n"))
    _, plugin = _only_plugin(bundle)
    skill = plugin.skills["s"]
    assert "FIRST-BODY" not in repr(skill)
    path.write_text(_skill_md("s", "Does s.", "SECOND-BODY\n"), encoding="utf-8")
    assert skill.body() == "SECOND-BODY\n"


def test_unknown_dollar_braces_are_left_and_plugin_root_becomes_relative(
    bundle: Path, write: Writer
) -> None:
    body = (
        "const x = `${value}`; see ${CLAUDE_PLUGIN_ROOT}/docs/a.md and ${CLAUDE_SKILL_DIR}/b.md\n"
    )
    write("skills/s/SKILL.md", _skill_md("s", "Does s.", body))
    write("docs/a.md", "A")
    _, plugin = _only_plugin(bundle)
    text = plugin.skills["s"].body()
    assert "`${value}`" in text
    assert "../../docs/a.md" in text and "./b.md" in text
    assert plugin.skills["s"].read_file("../../docs/a.md") == "A"


def test_read_file_reads_references_and_lists_resources(bundle: Path, write: Writer) -> None:
    write("skills/s/SKILL.md", _skill_md("s", "Does s."))
    write("skills/s/references/guide.md", "GUIDE")
    _, plugin = _only_plugin(bundle)
    skill = plugin.skills["s"]
    assert skill.read_file("references/guide.md") == "GUIDE"
    assert skill.resources() == ("references/guide.md",)


@pytest.mark.parametrize("path", ["../../../secret.txt", "/etc/passwd", "~/x", ""])
def test_read_file_refuses_paths_outside_the_plugin(bundle: Path, write: Writer, path: str) -> None:
    (bundle.parent / "secret.txt").write_text("SECRET", encoding="utf-8")
    write("skills/s/SKILL.md", _skill_md("s", "Does s."))
    _, plugin = _only_plugin(bundle)
    with pytest.raises(SkillFileError) as error:
        plugin.skills["s"].read_file(path)
    assert "SECRET" not in error.value.message


def test_read_file_refuses_a_symlink_pointing_out(bundle: Path, write: Writer) -> None:
    secret = bundle.parent / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    write("skills/s/SKILL.md", _skill_md("s", "Does s."))
    (bundle / "skills" / "s" / "link.md").symlink_to(secret)
    _, plugin = _only_plugin(bundle)
    with pytest.raises(SkillFileError, match="outside plugin"):
        plugin.skills["s"].read_file("link.md")


def test_missing_file_error_lists_what_exists(bundle: Path, write: Writer) -> None:
    write("skills/s/SKILL.md", _skill_md("s", "Does s."))
    write("skills/s/references/real.md", "x")
    _, plugin = _only_plugin(bundle)
    with pytest.raises(SkillFileError, match="references/real.md"):
        plugin.skills["s"].read_file("references/nope.md")


def test_frontmatter_quirks_are_tolerated_with_warnings(bundle: Path, write: Writer) -> None:
    write(".claude-plugin/plugin.json", {"name": "p"})
    write(
        "skills/folded/SKILL.md",
        "---\nname: folded\ndescription: >\n  Line one\n  line two.\n"
        "user-invocable: no\nallowed-tools: Read, WebFetch, Bash(git diff:*)\n"
        "triggers: [a, b]\n---\nBody\n",
    )
    write("skills/colon/SKILL.md", "---\nname: colon\ndescription: Use when: the user asks\n---\n")
    write("skills/Zoom/SKILL.md", _skill_md("zoom/meetings", "Zoom things."))
    write("skills/nodesc/SKILL.md", "---\nname: nodesc\n---\n# Title\n\nFirst paragraph here.\n")
    write("skills/folded/nested/SKILL.md", _skill_md("nested", "Not a separate skill."))
    write("skills/dashboard.html", "<html></html>")
    registry, plugin = _only_plugin(bundle)
    assert sorted(plugin.skills) == ["Zoom", "colon", "folded", "nodesc"]
    folded = plugin.skills["folded"]
    assert folded.description == "Line one line two."
    assert folded.user_invocable is False
    assert folded.allowed_tools == ("Read", "WebFetch", "Bash(git diff:*)")
    assert plugin.skills["colon"].description == "Use when: the user asks"
    assert plugin.skills["nodesc"].description == "First paragraph here."
    messages = " | ".join(p.message for p in registry.problems)
    assert "triggers" in messages and "not valid YAML" in messages
    assert "zoom/meetings" in messages
    assert all(p.severity == "warning" for p in registry.problems)


def test_name_mismatch_is_a_warning_and_the_name_wins(bundle: Path, write: Writer) -> None:
    path = write("skills/folder-name/SKILL.md", _skill_md("other-name", "Does it."))
    registry, plugin = _only_plugin(bundle)
    assert list(plugin.skills) == ["other-name"]
    (problem,) = registry.problems
    assert problem.path == path and problem.severity == "warning"
    assert "folder-name" in problem.message


def test_unparseable_frontmatter_is_an_error_naming_the_file(bundle: Path, write: Writer) -> None:
    bad = write("skills/bad/SKILL.md", "---\nname: [unclosed\ndescription: x\n---\nBody\n")
    write("skills/good/SKILL.md", _skill_md("good", "Fine."))
    registry, plugin = _only_plugin(bundle)
    assert list(plugin.skills) == ["good"]
    errors = [p for p in registry.problems if p.severity == "error"]
    assert [p.path for p in errors] == [bad]
    assert "not valid YAML" in errors[0].message


def test_root_skill_md_makes_a_single_skill_plugin(bundle: Path, write: Writer) -> None:
    write("SKILL.md", _skill_md("bundle", "Single skill."))
    _, plugin = _only_plugin(bundle)
    assert list(plugin.skills) == ["bundle"]
    assert plugin.skills["bundle"].folder == bundle
