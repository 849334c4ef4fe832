"""What one channel may use: the enabled plugins' skills, commands, sub-agent types and servers.

Built from the plugin registry and the admin config; bodies stay on disk (lazy context). The
catalogue text depends only on the channel, so the system prompt prefix is stable across steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.domain.text import clip
from orchestrator.domain.views import Suggestion
from plugins import AdminConfig, AgentDefinition, Command, PluginRegistry, Skill


@dataclass(frozen=True, slots=True)
class ChannelCatalog:
    plugins: tuple[str, ...]
    skills: dict[str, Skill]
    commands: dict[str, Command]
    agents: dict[str, AgentDefinition]
    servers: tuple[str, ...]

    def prompt_sections(self) -> list[str]:
        sections = []
        if self.skills:
            lines = [f"- {key}: {_one_line(s.description)}" for key, s in self.skills.items()]
            sections.append(
                "Skills (instructions you can load; call load_skill with the name before "
                "following one, and read_skill_file for files it refers to):\n" + "\n".join(lines)
            )
        if self.servers:
            sections.append(
                "Connectors (find their tools with find_tools; a tool can be called once found):\n"
                + "\n".join(f"- {name}" for name in self.servers)
            )
        return sections

    def suggestions(self, limit: int = 4) -> tuple[Suggestion, ...]:
        """What to suggest first in the assistant: the commands, then the skills, in order."""
        found = [
            Suggestion(
                kind="command",
                name=key,
                description=_one_line(c.description, 150),
                argument_hint=c.argument_hint,
            )
            for key, c in self.commands.items()
        ]
        found += [
            Suggestion(kind="skill", name=key, description=_one_line(s.description, 150))
            for key, s in self.skills.items()
        ]
        return tuple(found[:limit])


class Catalog:
    def __init__(self, registry: PluginRegistry, config: AdminConfig) -> None:
        self._registry = registry
        self._config = config
        self._cache: dict[str, ChannelCatalog] = {}

    def for_channel(self, channel_id: str) -> ChannelCatalog:
        if channel_id not in self._cache:
            self._cache[channel_id] = self._build(channel_id)
        return self._cache[channel_id]

    def _build(self, channel_id: str) -> ChannelCatalog:
        enabled = [
            p
            for name in self._config.enabled_plugins(channel_id)
            if (p := self._registry.get(name))
        ]
        return ChannelCatalog(
            plugins=tuple(p.name for p in enabled),
            skills={
                f"{p.name}:{name}": skill
                for p in enabled
                for name, skill in sorted(p.skills.items())
                if skill.model_invocable
            },
            commands={f"{p.name}:{n}": c for p in enabled for n, c in sorted(p.commands.items())},
            agents={f"{p.name}:{n}": a for p in enabled for n, a in sorted(p.agents.items())},
            servers=tuple(f"{p.name}/{s}" for p in enabled for s in sorted(p.mcp_servers)),
        )


def _one_line(text: str, limit: int = 300) -> str:
    return clip(text, limit, flat=True)
