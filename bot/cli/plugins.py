"""The `threadwork plugins …` subcommands: list installed plugins, validate a plugin folder."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from bot.settings import Settings
from plugins import (
    AdminConfig,
    ConfigError,
    Plugin,
    PluginRegistry,
    Problem,
    load_admin_config,
    validate,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `plugins list` and `plugins validate PATH` to the main CLI."""
    parser = subparsers.add_parser("plugins", help="inspect and validate plugins")
    commands = parser.add_subparsers(dest="plugins_command", metavar="{list,validate}")
    commands.required = True
    listing = commands.add_parser(
        "list", help="show installed plugins, where they are enabled, and their problems"
    )
    listing.set_defaults(func=list_plugins)
    checking = commands.add_parser("validate", help="check a plugin or marketplace folder")
    checking.add_argument("path", type=Path, help="plugin folder or marketplace folder")
    checking.set_defaults(func=validate_plugins)


def list_plugins(args: argparse.Namespace, settings: Settings) -> int:
    """Print each installed plugin with counts, channels and problems; 1 if the config is bad."""
    config_path = settings.config_path
    try:
        config = load_admin_config(config_path)
    except ConfigError as exc:
        print(f"Cannot use {config_path}:")
        for line in exc.errors:
            print(f"  {line}")
        return 1
    if not config.plugins:
        print(f"No plugins installed: add plugin folders under 'plugins:' in {config_path}.")
        return 0
    registry = PluginRegistry.load(config.plugins)
    by_root = _problems_by_plugin(registry)
    for plugin in registry.plugins.values():
        _print_plugin(plugin, config)
        _print_problems(by_root.pop(plugin.name, []), indent="    ")
    leftovers = [problem for problems in by_root.values() for problem in problems]
    if leftovers:
        print("Other problems:")
        _print_problems(leftovers, indent="  ")
    for name in _unknown_enabled(config, registry):
        print(f"warning: {config_path}: channels enable '{name}', which is not installed")
    return 1 if registry.has_errors else 0


def validate_plugins(args: argparse.Namespace, settings: Settings) -> int:
    """Print every problem, file by file; exit 1 if any is an error, else 0."""
    path: Path = args.path
    config_path = settings.config_path
    try:
        config = load_admin_config(config_path)
    except ConfigError as exc:
        print(f"Cannot use {config_path} (checked as if empty):")
        for line in exc.errors:
            print(f"  {line}")
        config = AdminConfig()
    registry, problems = validate([path], config)
    by_file: dict[Path, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_file[problem.path].append(problem)
    for file, found in by_file.items():
        print(f"{file}")
        for problem in found:
            print(f"  {problem.severity}: {problem.message}")
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    names = ", ".join(registry.plugins) or "none"
    summary = (
        f"{len(registry.plugins)} plugin(s) read ({names}): {errors} error(s), "
        f"{warnings} warning(s)"
    )
    print(("FAILED: " if errors else "ok: ") + summary)
    return 1 if errors else 0


def _print_plugin(plugin: Plugin, config: AdminConfig) -> None:
    version = plugin.version or "no version"
    print(f"{plugin.name} ({version}) — {plugin.root}")
    print(
        f"    {len(plugin.skills)} skills, {len(plugin.commands)} commands, "
        f"{len(plugin.agents)} agents, {len(plugin.mcp_servers)} MCP servers"
    )
    print(f"    enabled in: {_where_enabled(plugin.name, config)}")
    waiting = [
        server.name
        for server in plugin.mcp_servers.values()
        if server.needs_admin_config and config.connector_for(plugin.name, server.name) is None
    ]
    if waiting:
        print(f"    needs connectors config: {', '.join(waiting)}")


def _where_enabled(name: str, config: AdminConfig) -> str:
    channels = [channel for channel, names in config.channels.items() if name in names]
    return ", ".join(channels) if channels else "nowhere (add it under 'channels:')"


def _problems_by_plugin(registry: PluginRegistry) -> dict[str, list[Problem]]:
    roots = {plugin.root.resolve(): plugin.name for plugin in registry.plugins.values()}
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in registry.problems:
        owner = next(
            (name for root, name in roots.items() if problem.path.resolve().is_relative_to(root)),
            "",
        )
        grouped[owner].append(problem)
    return grouped


def _print_problems(problems: list[Problem], *, indent: str) -> None:
    for problem in problems:
        print(f"{indent}{problem}")


def _unknown_enabled(config: AdminConfig, registry: PluginRegistry) -> list[str]:
    enabled = {name for names in config.channels.values() for name in names}
    return sorted(enabled - set(registry.plugins))
