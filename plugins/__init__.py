"""Plugins: read Claude Code / Cowork plugin bundles and the admin config into typed values.

This package only reads files. It turns plugin folders (`.claude-plugin/plugin.json`,
`skills/*/SKILL.md`, `commands/*.md`, `agents/*.md`, `.mcp.json`, `CONNECTORS.md`) and
marketplace folders (`.claude-plugin/marketplace.json`) into a `PluginRegistry`, and
`threadwork.yaml` into an `AdminConfig`. Broken bundles never raise: each finding is a
`Problem` (severity, path, what to do). Skill and command bodies stay on disk until asked for.

Entry points:
    PluginRegistry.load(sources) -> PluginRegistry      registry.plugins / .get(name) / .problems
    validate(sources) -> (PluginRegistry, problems)     load + check referenced files exist
    load_admin_config(path) -> AdminConfig              enabled_plugins(channel), approvals.rule_for
    resolve_server(decl, override, env) -> ResolvedServer   merge + ${VAR} expansion
"""

from plugins.agents import AgentDefinition
from plugins.commands import Command
from plugins.config import (
    AdminConfig,
    AdminsConfig,
    ApprovalRule,
    ApprovalsConfig,
    ConnectorOverride,
    ExecutionConfig,
    ExecutionPolicy,
    Limits,
    PriceConfig,
    QuestionsConfig,
    load_admin_config,
    parse_duration,
)
from plugins.errors import ConfigError, PluginError, ServerConfigError, SkillFileError
from plugins.placeholders import ConnectorPlaceholder
from plugins.plugin import Plugin
from plugins.problems import Problem, Severity
from plugins.registry import PluginRegistry
from plugins.resolve import ResolvedServer, resolve_server
from plugins.servers import McpServerDeclaration, Transport
from plugins.skills import Skill
from plugins.validate import validate
from plugins.variables import Expanded, expand_arguments, expand_variables

__all__ = [
    "AdminConfig",
    "AdminsConfig",
    "AgentDefinition",
    "ApprovalRule",
    "ApprovalsConfig",
    "ExecutionConfig",
    "ExecutionPolicy",
    "Command",
    "ConfigError",
    "ConnectorOverride",
    "ConnectorPlaceholder",
    "Expanded",
    "Limits",
    "McpServerDeclaration",
    "Plugin",
    "PluginError",
    "PluginRegistry",
    "PriceConfig",
    "Problem",
    "QuestionsConfig",
    "ResolvedServer",
    "ServerConfigError",
    "Severity",
    "Skill",
    "SkillFileError",
    "Transport",
    "expand_arguments",
    "expand_variables",
    "load_admin_config",
    "parse_duration",
    "resolve_server",
    "validate",
]
