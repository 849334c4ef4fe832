"""Sub-agent definitions (`agents/<name>.md`): frontmatter settings, body = system prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plugins.fields import as_int, as_text, is_usable_name, tool_list
from plugins.frontmatter import FrontmatterError, read_body, read_frontmatter
from plugins.problems import Problems

MODEL_ALIASES = frozenset({"sonnet", "opus", "haiku"})
KNOWN_KEYS = frozenset(
    {
        "name",
        "description",
        "tools",
        "disallowedTools",
        "model",
        "effort",
        "maxTurns",
        "skills",
        "memory",
        "background",
        "isolation",
        "color",
        "initialPrompt",
    }
)
# Plugin-shipped agents may not set these (Claude Code ignores them for security).
IGNORED_KEYS = frozenset({"permissionMode", "mcpServers", "hooks"})


@dataclass(frozen=True)
class AgentDefinition:
    """A sub-agent type. `tools` None means every tool; `model` None means the parent's."""

    plugin: str
    name: str
    description: str
    tools: tuple[str, ...] | None
    model: str | None
    system_prompt: str
    path: Path
    disallowed_tools: tuple[str, ...] = ()
    max_turns: int | None = None


def load_agent(plugin: str, path: Path, problems: Problems) -> AgentDefinition | None:
    """Read one agent file; None (with an error recorded) if it is unusable."""
    try:
        front = read_frontmatter(path, problems)
        body = read_body(path).strip()
    except FrontmatterError as exc:
        problems.error(path, f"agent not loaded: {exc}")
        return None
    data = front.data
    name = _agent_name(as_text(data.get("name")), path, problems)
    if not body:
        problems.error(path, "agent not loaded: the body (its system prompt) is empty; write one")
        return None
    _warn_keys(set(data), path, problems)
    description = as_text(data.get("description")) or ""
    if not description:
        problems.warning(path, "no 'description'; add one saying when to delegate to this agent")
    return AgentDefinition(
        plugin=plugin,
        name=name,
        description=description,
        tools=tool_list(data.get("tools")),
        model=_model(as_text(data.get("model")), path, problems),
        system_prompt=body,
        path=path,
        disallowed_tools=tool_list(data.get("disallowedTools")) or (),
        max_turns=as_int(data.get("maxTurns")),
    )


def _agent_name(declared: str | None, path: Path, problems: Problems) -> str:
    if declared and is_usable_name(declared):
        if declared != path.stem:
            problems.warning(path, f"name '{declared}' differs from the file name '{path.stem}'")
        return declared
    if declared:
        problems.warning(path, f"name '{declared}' is not usable; using '{path.stem}'")
    return path.stem


def _model(model: str | None, path: Path, problems: Problems) -> str | None:
    if model is None or model.lower() == "inherit":
        return None
    if model.lower() in MODEL_ALIASES:
        return model.lower()
    if not model.startswith("claude-"):
        problems.warning(path, f"model '{model}' is not sonnet/opus/haiku/inherit or a claude-… id")
    return model


def _warn_keys(keys: set[str], path: Path, problems: Problems) -> None:
    ignored = sorted(keys & IGNORED_KEYS)
    if ignored:
        problems.warning(path, f"{', '.join(ignored)} cannot be set by a plugin agent; ignored")
    unknown = sorted(keys - KNOWN_KEYS - IGNORED_KEYS)
    if unknown:
        problems.warning(path, f"unknown frontmatter keys ignored: {', '.join(unknown)}")
