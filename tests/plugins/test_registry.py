"""PluginRegistry: marketplaces, remote sources, duplicates, bad folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from plugins import PluginRegistry

Writer = Callable[[str, object], Path]
SKILL = "---\nname: {0}\ndescription: Does {0}.\n---\nBody\n"


def test_marketplace_loads_local_and_reports_remote_sources(bundle: Path, write: Writer) -> None:
    write(
        ".claude-plugin/marketplace.json",
        {
            "name": "m",
            "owner": {"name": "o"},
            "plugins": [
                {"name": "local", "source": "./local", "description": "From the entry"},
                {"name": "gh", "source": {"source": "github", "repo": "acme/gh"}},
                {
                    "name": "sub",
                    "source": {
                        "source": "git-subdir",
                        "url": "https://g.example/x.git",
                        "path": "p",
                    },
                },
                {"name": "gone", "source": "./missing"},
                {"name": "docs", "source": "./", "strict": False, "skills": ["./pdf"]},
            ],
        },
    )
    write("local/skills/one/SKILL.md", SKILL.format("one"))
    write("pdf/SKILL.md", SKILL.format("pdf"))
    registry = PluginRegistry.load([bundle])
    assert sorted(registry.plugins) == ["docs", "local"]
    local = registry.plugins["local"]
    assert (local.description, local.marketplace) == ("From the entry", "m")
    assert list(registry.plugins["docs"].skills) == ["pdf"]
    messages = {p.message: p.severity for p in registry.problems}
    offline = [m for m in messages if "not installable offline" in m]
    assert len(offline) == 2 and all(messages[m] == "warning" for m in offline)
    assert any("acme/gh" in m for m in offline)
    assert any("'./missing' does not exist" in m and s == "error" for m, s in messages.items())


def test_duplicate_plugin_names_keep_the_first(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder / ".claude-plugin").mkdir(parents=True)
        (tmp_path / folder / ".claude-plugin" / "plugin.json").write_text('{"name": "same"}')
        (tmp_path / folder / "skills" / "s").mkdir(parents=True)
        (tmp_path / folder / "skills" / "s" / "SKILL.md").write_text(SKILL.format("s"))
    registry = PluginRegistry.load([tmp_path / "a", tmp_path / "b"])
    assert registry.get("same") is not None and registry.get("same").root == tmp_path / "a"
    (problem,) = registry.problems
    assert (problem.severity, problem.path) == ("error", tmp_path / "b")


def test_missing_and_non_plugin_folders_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    registry = PluginRegistry.load([tmp_path / "nope", tmp_path / "empty"])
    assert registry.plugins == {}
    assert [p.path for p in registry.problems] == [tmp_path / "nope", tmp_path / "empty"]
    assert all(p.severity == "error" for p in registry.problems)


def test_manifest_quirks_are_warnings_and_folder_name_is_the_fallback(
    bundle: Path, write: Writer
) -> None:
    write(".claude-plugin/plugin.json", {"author": "Acme", "keywords": "x", "extra": 1})
    write("skills/s/SKILL.md", SKILL.format("s"))
    write("hooks/hooks.json", {"hooks": []})
    registry = PluginRegistry.load([bundle])
    assert list(registry.plugins) == ["bundle"]
    assert not registry.has_errors
    text = " | ".join(p.message for p in registry.problems)
    assert "author" in text and "keywords" in text and "extra" in text and "hooks" in text


def test_broken_manifest_still_loads_the_components(bundle: Path, write: Writer) -> None:
    path = write(".claude-plugin/plugin.json", "{not json")
    write("skills/s/SKILL.md", SKILL.format("s"))
    registry = PluginRegistry.load([bundle])
    assert list(registry.plugins["bundle"].skills) == ["s"]
    assert [(p.severity, p.path) for p in registry.problems] == [("error", path)]
