"""Sub-agents: the `spawn_subagents` tool, who a sub-agent is, what it may use, what it reports.

Pure functions over the task model. A spawn call becomes child agents in `task.agents` (each with
its own brief, system prompt, model, tool allow-list and message history) and the call waits in
`awaiting_subagents`; when every child has finished or failed, the call's result is their summaries
— never their intermediate messages.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from orchestrator.domain.messages import ToolSpec
from orchestrator.domain.task import Agent, Task, ToolCall, move_call
from orchestrator.domain.text import clip
from plugins import AgentDefinition, Limits

GENERAL = "general-purpose"
SPAWN_TOOL = "spawn_subagents"
MAX_BRIEF_CHARS = 8_000

SPAWN_DEFINITION: ToolSpec = {
    "name": SPAWN_TOOL,
    "description": (
        "Start sub-agents that work at the same time, each with its own context, on a brief you"
        " write. Use it for large or independent parts (one per document, account or question)."
        " Each returns only a short summary. You continue when all have finished."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "agents": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {
                            "type": "string",
                            "description": f"'{GENERAL}' or a sub-agent type listed in the system prompt",
                        },
                        "brief": {
                            "type": "string",
                            "description": "Everything the sub-agent needs: it sees nothing else.",
                        },
                        "tools": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Optional: restrict it to these tools (names or globs).",
                        },
                    },
                    "required": ["type", "brief"],
                },
            }
        },
        "required": ["agents"],
    },
}

_GENERAL_PROMPT = (
    "You are a sub-agent working on one part of a larger task for a team in Slack. Work only on"
    " your brief, using the tools you have. Ask the person who started the task (ask_user) only"
    " for a decision nobody else can make; your question is shown in their thread."
)
_SUMMARY_RULE = (
    "When you are done, answer with a summary of your result in at most {words} words: the"
    " findings, decisions and any references (ids, links) the coordinator needs. Only this"
    " final answer is passed on."
)


class SpawnError(ValueError):
    """The spawn call asked for something that cannot be started; the text goes to the model."""


def spawn(
    task: Task,
    parent: Agent,
    call: ToolCall,
    *,
    definitions: Mapping[str, AgentDefinition],
    models: Mapping[str, str],
    limits: Limits,
) -> list[Agent]:
    """Create the children of `call` and move it to `awaiting_subagents`; raises `SpawnError`."""
    if parent.kind != "orchestrator":
        raise SpawnError("Sub-agents cannot start sub-agents; do the work yourself.")
    requests = call.input.get("agents")
    if not isinstance(requests, list) or not requests:
        raise SpawnError("Give 'agents' as a non-empty list of {type, brief}.")
    existing = sum(1 for a in task.agents.values() if a.kind == "subagent")
    if existing + len(requests) > limits.max_subagents:
        raise SpawnError(
            f"At most {limits.max_subagents} sub-agents per task ({existing} already ran);"
            " group the work into fewer briefs."
        )
    children = [
        _child(parent, call, i, request, definitions, models, limits)
        for i, request in enumerate(requests)
    ]
    for child in children:
        task.agents[child.id] = child
    call.status = move_call(call.status, "awaiting_subagents")
    return children


def _child(
    parent: Agent,
    call: ToolCall,
    index: int,
    request: Any,
    definitions: Mapping[str, AgentDefinition],
    models: Mapping[str, str],
    limits: Limits,
) -> Agent:
    if not isinstance(request, dict):
        raise SpawnError(f"agents[{index}] must be an object with 'type' and 'brief'.")
    kind = str(request.get("type") or GENERAL)
    brief = str(request.get("brief") or "").strip()
    if not brief:
        raise SpawnError(f"agents[{index}] has no brief; write what it should do.")
    if len(brief) > MAX_BRIEF_CHARS:
        raise SpawnError(f"agents[{index}]: keep the brief under {MAX_BRIEF_CHARS} characters.")
    subset = request.get("tools")
    if subset is not None and not (
        isinstance(subset, list) and all(isinstance(t, str) for t in subset)
    ):
        raise SpawnError(f"agents[{index}].tools must be a list of tool names.")
    definition = _definition(kind, definitions)
    words = max(50, limits.summary_chars // 8)
    system = (definition.system_prompt if definition else _GENERAL_PROMPT) + "\n\n"
    allowed = _allowed(definition, subset)
    child = Agent(
        id=f"sub_{_slug(call.id)}_{index + 1}",
        kind="subagent",
        parent_id=parent.id,
        parent_call=call.id,
        model=_model(definition, parent, models),
        definition=kind,
        system=system + _SUMMARY_RULE.format(words=words),
        brief=brief,
        tools=allowed,
        denied_tools=list(definition.disallowed_tools) if definition else [],
        max_steps=_max_steps(definition, limits),
    )
    child.add_user_text(brief)
    return child


def _max_steps(definition: AgentDefinition | None, limits: Limits) -> int:
    """The sub-agent's step budget: its definition's `maxTurns`, capped by the admin's limit."""
    cap = limits.subagent_max_steps
    wanted = definition.max_turns if definition else None
    return min(wanted or cap, cap)


def _definition(kind: str, definitions: Mapping[str, AgentDefinition]) -> AgentDefinition | None:
    if kind == GENERAL:
        return None
    found = definitions.get(kind) or next(
        (d for key, d in definitions.items() if key.split(":", 1)[1] == kind), None
    )
    if found is None:
        names = ", ".join([GENERAL, *definitions]) or GENERAL
        raise SpawnError(f"No sub-agent type {kind!r} here. Available: {names}.")
    return found


def _allowed(definition: AgentDefinition | None, subset: list[str] | None) -> list[str] | None:
    declared = list(definition.tools) if definition and definition.tools is not None else None
    if subset is None:
        return declared
    if declared is None:
        return list(subset)
    # Both given: only what the definition allows and the parent asked for.
    return [t for t in subset if any(_entry_matches(d, t) for d in declared)]


def _model(definition: AgentDefinition | None, parent: Agent, models: Mapping[str, str]) -> str:
    wanted = (definition.model if definition else None) or "inherit"
    if wanted == "inherit":
        return parent.model
    return models.get(wanted, wanted)


def _slug(call_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", call_id)[-12:] or "call"


def tool_allowed(agent: Agent, model_name: str) -> bool:
    """May `agent` use the connector tool `model_name` (`plugin__server__tool`)?

    Allow-list entries may be our names or globs, or Claude Code forms: `mcp__<server>`,
    `mcp__<server>__<tool>`, `mcp__plugin_<plugin>_<server>__<tool>` (with `*`). Entries naming
    Claude Code built-ins (Read, Grep, …) have no connector equivalent and allow nothing.
    """
    if any(_entry_matches(entry, model_name) for entry in agent.denied_tools):
        return False
    if agent.tools is None:
        return True
    return any(_entry_matches(entry, model_name) for entry in agent.tools)


def _entry_matches(entry: str, model_name: str) -> bool:
    if fnmatch.fnmatchcase(model_name, entry):
        return True
    parts = model_name.split("__")
    if len(parts) != 3 or not entry.startswith("mcp__"):
        return False
    plugin, server, tool = parts
    rest = entry.removeprefix("mcp__")
    candidates = [
        f"plugin_{plugin}_{server}",
        f"plugin_{plugin}_{server}__{tool}",
        server,
        f"{server}__{tool}",
    ]
    return any(fnmatch.fnmatchcase(c, rest) for c in candidates)


def finished(agent: Agent) -> bool:
    return agent.status in ("done", "failed")


def children_of(task: Task, call: ToolCall) -> list[Agent]:
    return [a for a in task.agents.values() if a.parent_call == call.id]


def collect(task: Task, *, summary_chars: int) -> list[ToolCall]:
    """Give every spawn call whose children all finished its result; returns those calls."""
    settled = []
    for agent in task.agents.values():
        for call in agent.calls:
            if call.status != "awaiting_subagents":
                continue
            children = children_of(task, call)
            if children and all(finished(c) for c in children):
                call.finish(report(children, summary_chars=summary_chars))
                settled.append(call)
    return settled


def report(children: list[Agent], *, summary_chars: int) -> str:
    """What the parent sees: per sub-agent its type, brief, outcome and summary (bounded)."""
    sections = []
    for child in children:
        head = f"## {child.id} ({child.definition or GENERAL}): {one_line(child.brief or '')}"
        if child.status == "failed":
            sections.append(f"{head}\nStatus: FAILED — {child.error or 'unknown reason'}")
            continue
        summary = (child.summary or "").strip() or "(it finished without a summary)"
        if len(summary) > summary_chars:
            summary = (
                summary[:summary_chars] + f"\n[… {len(summary) - summary_chars} characters cut]"
            )
        sections.append(f"{head}\nStatus: done\n{summary}")
    failed = sum(c.status == "failed" for c in children)
    header = f"{len(children) - failed} of {len(children)} sub-agents finished"
    header += f"; {failed} failed." if failed else "."
    return header + "\n\n" + "\n\n".join(sections)


def abandon(task: Task, reason: str) -> list[Agent]:
    """Stop every unfinished sub-agent (the task was cancelled or moved on)."""
    stopped = []
    for agent in task.agents.values():
        if agent.kind == "subagent" and not finished(agent):
            agent.move("failed")
            agent.error = reason
            stopped.append(agent)
    return stopped


def one_line(text: str, limit: int = 140) -> str:
    return clip(text, limit, flat=True)


def catalogue_section(definitions: Mapping[str, AgentDefinition]) -> str:
    lines = [f"- {GENERAL}: any self-contained part of the work (inherits your tools)"]
    lines += [f"- {key}: {one_line(d.description, 300)}" for key, d in definitions.items()]
    return (
        "Sub-agent types (start them with spawn_subagents; they run in parallel and report back"
        " a summary):\n" + "\n".join(lines)
    )
