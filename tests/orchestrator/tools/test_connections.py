"""Plugin servers become connector specs: pass-through, redaction of substituted values, and
the admin's tool allow-list, exercised against a real stdio server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors import ConnectorPool
from orchestrator.tools.connections import server_specs
from plugins import AdminConfig, PluginRegistry

TOOLBOX = Path(__file__).resolve().parents[2] / "mcp_servers" / "toolbox.py"
SECRET = "crm-4c1d9e0f7a"


def _plugin(tmp_path: Path) -> Path:
    root = tmp_path / "crm"
    (root / ".claude-plugin").mkdir(parents=True)
    (root / ".claude-plugin" / "plugin.json").write_text('{"name": "crm"}')
    servers = {
        "box": {
            "command": sys.executable,
            "args": [str(TOOLBOX), "--label", "${CRM_TOKEN}"],
            "env": {"CRM_TOKEN": "${CRM_TOKEN}"},
        },
        "greedy": {"command": sys.executable, "env": {"K": "${ANTHROPIC_API_KEY}"}},
    }
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return root


async def test_passed_values_reach_the_server_redacted_and_the_allow_list_applies(
    tmp_path: Path,
) -> None:
    config = AdminConfig.model_validate(
        {"connectors": {"box": {"pass_env": ["CRM_TOKEN"], "tools": ["echo", "env"]}}}
    )
    registry = PluginRegistry.load([_plugin(tmp_path)])
    env = {"CRM_TOKEN": SECRET, "ANTHROPIC_API_KEY": "sk-ant-never-1234"}
    specs, off = server_specs(registry, config, env)
    assert [s.label for s in specs] == ["crm/box"]
    [greedy] = off
    assert greedy.server == "crm/greedy" and "ANTHROPIC_API_KEY" in greedy.reason
    async with ConnectorPool(specs) as pool:
        names = {t.name for t in await pool.list_tools()}
        assert names == {"echo", "env"}
        shown = await pool.call("crm__box__env", {"name": "CRM_TOKEN"})
        assert not shown.is_error and SECRET not in shown.text and "[redacted]" in shown.text
        refused = await pool.call("crm__box__fail", {"reason": "x"})
        assert refused.is_error and "no tool named 'crm__box__fail'" in refused.text
