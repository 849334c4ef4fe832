"""The real Cowork plugins load unchanged, with what they declare and nothing invented."""

from __future__ import annotations

from pathlib import Path

from plugins import PluginRegistry


def _load(real_plugins: Path, name: str) -> PluginRegistry:
    return PluginRegistry.load([real_plugins / name])


def test_sales_reads_skills_servers_and_placeholder_connectors(real_plugins: Path) -> None:
    registry = _load(real_plugins, "sales")
    sales = registry.get("sales")
    assert sales is not None
    assert sales.version == "1.3.0"
    assert len(sales.skills) == 9
    assert (len(sales.commands), len(sales.agents), len(sales.mcp_servers)) == (0, 0, 14)
    flagged = {name for name, s in sales.mcp_servers.items() if s.needs_admin_config}
    assert flagged == {"gmail", "google calendar"}
    assert sales.mcp_servers["hubspot"].transport == "http"
    assert sales.mcp_servers["slack"].oauth is not None
    assert sales.skills["forecast"].argument_hint == "<period>"
    assert {c.placeholder for c in sales.connectors} >= {"~~CRM", "~~calendar", "~~email"}
    crm = next(c for c in sales.connectors if c.placeholder == "~~CRM")
    assert crm.included == ("HubSpot", "Close", "Monday")
    assert not [p for p in registry.problems if p.severity == "error"]
    assert {p.path.name for p in registry.problems} == {".mcp.json"}


def test_brand_voice_is_a_marketplace_holding_itself(real_plugins: Path) -> None:
    registry = _load(real_plugins, "brand-voice")
    assert list(registry.plugins) == ["brand-voice"]
    plugin = registry.plugins["brand-voice"]
    assert plugin.version == "1.1.0"  # plugin.json wins over the marketplace entry's 1.0.0
    assert (len(plugin.skills), len(plugin.commands), len(plugin.agents)) == (3, 3, 5)
    assert len(plugin.mcp_servers) == 6
    assert not any(s.needs_admin_config for s in plugin.mcp_servers.values())
    # The same name in three component types stays three separate components.
    assert "discover-brand" in plugin.skills
    assert "discover-brand" in plugin.commands
    assert "discover-brand" in plugin.agents
    assert registry.problems == ()


def test_brand_voice_agents_read_tools_models_and_prompts(real_plugins: Path) -> None:
    agents = _load(real_plugins, "brand-voice").plugins["brand-voice"].agents
    assert agents["quality-assurance"].tools == ("Read", "Glob", "Grep")
    assert agents["quality-assurance"].model == "haiku"
    assert agents["quality-assurance"].max_turns == 10
    assert agents["conversation-analysis"].tools is None  # absent = every tool
    assert agents["content-generation"].system_prompt.startswith("You are a specialized")
    assert "<example>" in agents["discover-brand"].description


def test_pdf_viewer_stdio_server_without_type(real_plugins: Path) -> None:
    registry = _load(real_plugins, "pdf-viewer")
    plugin = registry.plugins["pdf-viewer"]
    assert (len(plugin.skills), len(plugin.commands), len(plugin.agents)) == (1, 4, 0)
    pdf = plugin.mcp_servers["pdf"]
    assert (pdf.transport, pdf.command, pdf.needs_admin_config) == ("stdio", "npx", False)
    assert pdf.args == ("-y", "@modelcontextprotocol/server-pdf", "--stdio")
    assert plugin.commands["sign"].argument_hint == "[path-or-url] [signature-image-path]"
    assert plugin.connectors == ()  # its CONNECTORS.md table has no ~~ placeholders
    assert registry.problems == ()


def test_all_three_together(real_plugins: Path) -> None:
    registry = PluginRegistry.load(
        [real_plugins / "sales", real_plugins / "brand-voice", real_plugins / "pdf-viewer"]
    )
    assert sorted(registry.plugins) == ["brand-voice", "pdf-viewer", "sales"]
    assert not registry.has_errors


def test_skill_reads_connectors_doc_of_its_plugin(real_plugins: Path) -> None:
    skill = _load(real_plugins, "sales").plugins["sales"].skills["call-summary"]
    assert skill.read_file("../../CONNECTORS.md").startswith("# Connectors")
    body = skill.body()
    assert "$ARGUMENTS" in body and not body.startswith("---")
    expanded = skill.expand("notes.txt")
    assert "Process these call notes: notes.txt" in expanded
    assert "@notes.txt" in expanded
    # Money amounts in the prose are not positional arguments.
    assert "$480/seat" in expanded
