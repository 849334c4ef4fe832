"""PluginToolbox: the tools an agent sees in its channel, and how each of its calls is resolved.

Core tools are always there: `load_skill` and `read_skill_file` (lazy skills) and `find_tools`
(lazy tool schemas). The tools array is the same on every turn, so the prompt cache keeps serving
it: every connector tool of the channel is announced with `defer_loading: true` (the model sees
none of them), and `find_tools` answers with `tool_reference` blocks that load the found ones.
The workspace's `run_code`, `read_file` and `share_file` (tools/execution.py) are core tools too,
where the channel's `execution:` policy enables them.
A connector's request for input during a call (MCP elicitation) is asked of the requester
(engine/elicitations.py). Connector tool calls pass governance first: allowed read-only calls run concurrently; a call that
needs a person's approval opens a checkpoint and waits; `resume` carries out the decisions.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from connectors import ServerStatus, SignInRequired, ToolCallResult, ToolInfo
from orchestrator.domain.checkpoint import Risk
from orchestrator.domain.events import ToolCalled
from orchestrator.domain.governance import Allow, Deny, decide
from orchestrator.domain.messages import (
    ToolOutput,
    ToolReferenceBlock,
    ToolSpec,
    output_blocks,
    text_block,
)
from orchestrator.domain.question import ASK_DEFINITION, ASK_TOOL
from orchestrator.domain.signin import unconnected_note, wanted
from orchestrator.domain.subagents import (
    SPAWN_DEFINITION,
    SPAWN_TOOL,
    SpawnError,
    catalogue_section,
    spawn,
    tool_allowed,
)
from orchestrator.domain.task import (
    Agent,
    ConnectorDown,
    Task,
    ToolCall,
    move_call,
    with_entry,
)
from orchestrator.domain.turns import tools_read_this_turn
from orchestrator.engine.approvals import Approvals, Execute
from orchestrator.engine.elicitations import Elicitations
from orchestrator.engine.questions import Questions
from orchestrator.engine.signins import SignIns, caller_of
from orchestrator.ports import ActivityLog, NoTelemetry, Telemetry, ToolProvider
from orchestrator.tools.catalog import Catalog, ChannelCatalog
from orchestrator.tools.execution import NAMES as EXECUTION_TOOLS
from orchestrator.tools.execution import Execution
from plugins import AdminConfig, Limits, PluginError

log = logging.getLogger(__name__)

MAX_FOUND = 5
MAX_SKILL_CHARS = 60_000

_CORE_TOOLS: list[ToolSpec] = [
    {
        "name": "load_skill",
        "description": "Load the full instructions of one skill listed in the system prompt.",
        "input_schema": {
            "type": "object",
            "properties": {"name": {"type": "string", "description": "plugin:skill"}},
            "required": ["name"],
        },
    },
    {
        "name": "read_skill_file",
        "description": "Read a file that a loaded skill refers to (path relative to the skill).",
        "input_schema": {
            "type": "object",
            "properties": {"skill": {"type": "string"}, "path": {"type": "string"}},
            "required": ["skill", "path"],
        },
    },
    {
        "name": "find_tools",
        "description": (
            "Search the tools of this channel's connectors by keywords. Matching tools become"
            " callable on your next turn; the result lists them with one line each."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
]
_CORE_NAMES = frozenset([*(t["name"] for t in _CORE_TOOLS), SPAWN_TOOL, ASK_TOOL])


class PluginToolbox:
    def __init__(
        self,
        *,
        catalog: Catalog,
        config: AdminConfig,
        tools: ToolProvider,
        activity: ActivityLog,
        approvals: Approvals,
        models: dict[str, str] | None = None,
        limits: Limits | None = None,
        telemetry: Telemetry | None = None,
        execution: Execution | None = None,
        questions: Questions | None = None,
        elicitations: Elicitations | None = None,
        signins: SignIns | None = None,
    ) -> None:
        self._signins = signins
        self._telemetry = telemetry or NoTelemetry()
        self._catalog = catalog
        self._config = config
        self._tools = tools
        self._activity = activity
        self._approvals = approvals
        self._models = models or {}
        self._limits = limits or Limits()
        self._execution = execution
        self._questions = questions
        self._elicitations = elicitations

    def catalogue(self, task: Task, agent: Agent) -> list[str]:
        channel = self._channel(task)
        sections = channel.prompt_sections()
        if agent.kind == "orchestrator":
            sections.append(catalogue_section(channel.agents))
        if self._execution is not None:
            sections += self._execution.catalogue(task)
        return sections

    async def definitions(self, task: Task, agent: Agent) -> list[ToolSpec]:
        tools = [t for t in await self._channel_tools(task) if tool_allowed(agent, t.model_name)]
        announced = sorted(tools, key=lambda t: t.model_name)
        deferred: list[ToolSpec] = [{**tool_spec(t), "defer_loading": True} for t in announced]
        # A found tool whose server is gone keeps a definition: the history references it.
        names = {t.model_name for t in announced}
        gone = [_unavailable(n) for n in agent.active_tools if n not in names]
        spawner = [SPAWN_DEFINITION] if agent.kind == "orchestrator" else []
        workspace = self._execution.definitions(task) if self._execution else []
        asker = [ASK_DEFINITION] if self._questions is not None else []
        return [*_CORE_TOOLS, *asker, *spawner, *workspace, *deferred, *gone]

    def expand_command(self, task: Task, text: str) -> str | None:
        """`/plugin:command args` → the command's prompt with `$ARGUMENTS`; None if not one."""
        match = re.match(r"\s*/([\w.-]+:[\w.-]+)\s*(.*)", text, re.DOTALL)
        if not match:
            return None
        command = self._channel(task).commands.get(match.group(1))
        return command.expand(match.group(2).strip()) if command else None

    async def resolve(self, task: Task, agent: Agent, calls: list[ToolCall]) -> None:
        pending = [c for c in calls if c.status == "pending"]
        connector_calls = []
        for call in pending:
            if self._execution is not None and call.name in EXECUTION_TOOLS:
                await self._execution.resolve(task, agent, call)
            elif call.name in _CORE_NAMES:
                await self._core(task, agent, call)
            else:
                connector_calls.append(call)
        if connector_calls:
            tools = {t.model_name: t for t in await self._channel_tools(task)}
            await asyncio.gather(*(self._connector(task, agent, c, tools) for c in connector_calls))

    async def resume(self, task: Task) -> list[ToolCall]:
        """Carry out decided checkpoints of waiting calls, in the order the model asked."""
        settled = []
        for agent in task.agents.values():
            for call in _waiting(agent):
                if await self._approvals.settle(call, self._executor(task, agent, call)):
                    settled.append(call)
            for call in _asking(agent):
                if self._questions and await self._questions.settle(task, agent, call):
                    settled.append(call)
            for call in _signing_in(agent):
                if self._signins and await self._signins.settle(task, agent, call):
                    settled.append(call)
        return settled

    async def withdraw(self, task: Task, reason: str) -> list[ToolCall]:
        """The person moved on: cancel pending requests, finish what was decided, close the rest."""
        settled = []
        for agent in task.agents.values():
            for call in _waiting(agent):
                if not await self._approvals.cancel(call, reason):
                    await self._approvals.settle(call, self._executor(task, agent, call))
                if call.status == "awaiting_approval":
                    call.finish(f"No result: {reason}.", is_error=True)
                settled.append(call)
            for call in _asking(agent):
                if self._questions is not None:
                    await self._questions.withdraw(task, agent, call, reason)
                else:
                    call.finish(f"No answer: {reason}.", is_error=True)
                settled.append(call)
            for call in _signing_in(agent):
                if self._signins is not None:
                    await self._signins.withdraw(task, agent, call, reason)
                else:
                    call.finish(f"Not run: {reason}.", is_error=True)
                settled.append(call)
        return settled

    def _executor(self, task: Task, agent: Agent, call: ToolCall) -> Execute:
        async def execute() -> tuple[ToolOutput, bool]:
            tools = {t.model_name: t for t in await self._channel_tools(task)}
            info = tools.get(call.name)
            if info is None:
                return f"Not run: {call.name!r} is no longer available in this channel.", True
            try:
                result = await self._call(task, agent, call, info)
            except SignInRequired as exc:
                return f"Not run: {exc} (the account must be connected again).", True
            await self._log_call(task, agent, call, info, result)
            return (output_blocks(result.blocks()) or "(no output)"), result.is_error

        return execute

    def _channel(self, task: Task) -> ChannelCatalog:
        return self._catalog.for_channel(task.thread.channel_id)

    async def _core(self, task: Task, agent: Agent, call: ToolCall) -> None:
        channel = self._channel(task)
        try:
            if call.name == "load_skill":
                call.finish(_load_skill(channel, str(call.input.get("name", ""))))
            elif call.name == "read_skill_file":
                skill = _skill(channel, str(call.input.get("skill", "")))
                call.finish(skill.read_file(str(call.input.get("path", ""))))
            elif call.name == ASK_TOOL and self._questions is not None:
                await self._questions.ask(task, agent, call)
            elif call.name == SPAWN_TOOL:
                spawn(
                    task,
                    agent,
                    call,
                    definitions=channel.agents,
                    models=self._models,
                    limits=self._limits,
                )
            else:
                await self._find_or_sign_in(task, agent, call, str(call.input.get("query", "")))
        except (PluginError, LookupError, SpawnError) as exc:
            call.finish(str(exc), is_error=True)

    async def _find_or_sign_in(self, task: Task, agent: Agent, call: ToolCall, query: str) -> None:
        """Search the tools; a search for a connector the requester has not connected waits for
        them to connect it (and then runs again)."""
        tools = [t for t in await self._channel_tools(task) if tool_allowed(agent, t.model_name)]
        missing: list[str] = []
        if self._signins is not None:
            missing = await self._signins.unconnected(task, set(self._channel(task).plugins))
            asked = wanted(missing, query, found_any=bool(_rank(tools, query)))
            if asked:
                await self._signins.request(task, agent, call, asked[0])
                return
        call.finish(self._find(task, agent, query, tools, missing))

    def _find(
        self, task: Task, agent: Agent, query: str, tools: list[ToolInfo], missing: list[str]
    ) -> ToolOutput:
        down = self._unreachable(task)
        note = "".join(f"\nUnavailable: {s.namespace}/{s.server}: {s.error}" for s in down)
        note += unconnected_note(missing)
        if not tools:
            return "No connector tools are available in this channel." + note
        found = _rank(tools, query)[:MAX_FOUND]
        agent.active_tools = list(
            dict.fromkeys([*agent.active_tools, *(t.model_name for t in found)])
        )
        if not found:
            names = ", ".join(t.model_name for t in tools[:20])
            return f"No tool matched {query!r}. Some available tools: {names}"
        listing = "Now callable:\n" + "\n".join(
            f"- {t.model_name}: {t.summary} ({'read-only' if t.read_only else 'changes data: needs approval'})"
            for t in found
        )
        references: list[ToolReferenceBlock] = [
            {"type": "tool_reference", "tool_name": t.model_name} for t in found
        ]
        return [text_block(listing + note), *references]

    async def _channel_tools(self, task: Task) -> list[ToolInfo]:
        enabled = set(self._channel(task).plugins)
        found = await self._tools.list_tools(namespaces=enabled, caller=caller_of(task))
        return [t for t in found if t.namespace in enabled]

    def _unreachable(self, task: Task) -> list[ServerStatus]:
        """Servers of this channel that failed; each is also noted once in the thread."""
        enabled = set(self._channel(task).plugins)
        down = [s for s in self._tools.status() if s.namespace in enabled and s.error]
        for status in down:
            entry = ConnectorDown(
                connector=f"{status.namespace}/{status.server}", error=status.error or ""
            )
            task.progress = with_entry(task.progress, entry, once=True)
        return down

    async def _connector(
        self, task: Task, agent: Agent, call: ToolCall, tools: dict[str, ToolInfo]
    ) -> None:
        info = tools.get(call.name)
        if (
            info is None
            or call.name not in agent.active_tools
            or not tool_allowed(agent, call.name)
        ):
            call.finish(
                f"Tool {call.name!r} is not available; use find_tools to find and activate tools.",
                is_error=True,
            )
            return
        decision = decide(
            read_only=info.read_only,
            rule=self._config.approvals.rule_for(call.name),
            enabled=True,
        )
        if isinstance(decision, Deny):
            call.finish(f"Refused: {decision.reason}.", is_error=True)
        elif isinstance(decision, Allow):
            try:
                result = await self._call(task, agent, call, info)
            except SignInRequired as exc:
                await self._sign_in_first(task, agent, call, exc)
                return
            call.finish(output_blocks(result.blocks()) or "(no output)", is_error=result.is_error)
            await self._log_call(task, agent, call, info, result)
        else:
            checkpoint = await self._approvals.open(
                task,
                agent,
                call,
                server=f"{info.namespace}/{info.server}",
                risk=Risk.from_tool(info),
                read_before=tools_read_this_turn(agent, tools.__contains__),
                runs_as=task.requester if info.connection == "per_user" else None,
                shared_account=info.connection == "shared",
            )
            call.status = move_call(call.status, "awaiting_approval")
            call.checkpoint_id = checkpoint.id
            if not checkpoint.waiting:  # decided before a crash lost this step's save
                await self._approvals.settle(call, self._executor(task, agent, call))

    async def _sign_in_first(
        self, task: Task, agent: Agent, call: ToolCall, refused: SignInRequired
    ) -> None:
        if self._signins is None or not refused.server:
            call.finish(f"Not run: {refused}.", is_error=True)
            return
        await self._signins.request(task, agent, call, refused.server)

    async def _call(
        self, task: Task, agent: Agent, call: ToolCall, info: ToolInfo
    ) -> ToolCallResult:
        connector = f"{info.namespace}/{info.server}"
        elicitor = self._elicitations.for_call(task, agent, call) if self._elicitations else None
        with self._telemetry.span(
            "tool.call", task_id=task.id, tool=call.name, connector=connector
        ):
            result = await self._tools.call(
                call.name, call.input, elicitor=elicitor, caller=caller_of(task)
            )
        self._telemetry.tool_called(
            connector=connector,
            seconds=result.duration_s,
            outcome="error" if result.is_error else "ok",
        )
        return result

    async def _log_call(
        self,
        task: Task,
        agent: Agent,
        call: ToolCall,
        info: ToolInfo,
        result: ToolCallResult,
    ) -> None:
        await self._activity.record(
            ToolCalled(
                task_id=task.id,
                agent_id=agent.id,
                tool=call.name,
                server=f"{info.namespace}/{info.server}",
                arguments=call.input,
                outcome="error" if result.is_error else "ok",
                duration_ms=round(result.duration_s * 1000),
                error=result.text[:300] if result.is_error else None,
            )
        )


def _unavailable(name: str) -> ToolSpec:
    return {
        "name": name,
        "description": "Unavailable: its connector is not reachable right now.",
        "input_schema": {"type": "object", "properties": {}},
        "defer_loading": True,
    }


def _waiting(agent: Agent) -> list[ToolCall]:
    return [c for c in agent.calls if c.status == "awaiting_approval"]


def _signing_in(agent: Agent) -> list[ToolCall]:
    return [c for c in agent.calls if c.status == "awaiting_sign_in"]


def _asking(agent: Agent) -> list[ToolCall]:
    return [c for c in agent.calls if c.status == "awaiting_input"]


def _skill(channel: ChannelCatalog, name: str) -> Any:
    skill = channel.skills.get(name) or next(
        (s for key, s in channel.skills.items() if key.split(":", 1)[1] == name), None
    )
    if skill is None:
        raise LookupError(
            f"No skill named {name!r} here. Available: {', '.join(channel.skills) or 'none'}"
        )
    return skill


def _load_skill(channel: ChannelCatalog, name: str) -> str:
    body = _skill(channel, name).body()
    if len(body) > MAX_SKILL_CHARS:
        body = body[:MAX_SKILL_CHARS] + f"\n\n[… {len(body) - MAX_SKILL_CHARS} characters cut]"
    return body


def _rank(tools: list[ToolInfo], query: str) -> list[ToolInfo]:
    words = [w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) > 1]
    exact = [t for t in tools if t.model_name == query.strip() or t.name == query.strip()]
    if exact:
        return exact

    def score(tool: ToolInfo) -> int:
        name = f"{tool.namespace} {tool.server} {tool.name}".lower().replace("_", " ")
        text = tool.description.lower()
        return sum(3 * (w in name) + (w in text) for w in words)

    scored = sorted(((score(t), i, t) for i, t in enumerate(tools)), key=lambda x: (-x[0], x[1]))
    return [t for s, _, t in scored if s > 0]


def tool_spec(tool: ToolInfo) -> ToolSpec:
    """The definition the model sees of one connector tool."""
    schema = tool.schema_for_model()
    return {
        "name": schema["name"],
        "description": schema["description"],
        "input_schema": schema["input_schema"],
    }


class NoTools:
    """The toolbox of a deployment without plugins: the model can only talk."""

    async def definitions(self, task: Task, agent: Agent) -> list[ToolSpec]:
        return []

    def catalogue(self, task: Task, agent: Agent) -> list[str]:
        return []

    def expand_command(self, task: Task, text: str) -> str | None:
        return None

    async def resolve(self, task: Task, agent: Agent, calls: list[ToolCall]) -> None:
        for call in calls:
            if call.status == "pending":
                call.finish(f"No tool named {call.name!r} is available here.", is_error=True)

    async def resume(self, task: Task) -> list[ToolCall]:
        return []  # nothing here ever waits

    async def withdraw(self, task: Task, reason: str) -> list[ToolCall]:
        return []
