"""Observability through the real entry points: /metrics, /healthz, /readyz, traces, JSON logs.

A task with a read-only tool call and an approval runs through `serve --http` (fake Slack, fake
model, the `ledger` MCP server); the metrics an operator scrapes and the spans a tracing backend
receives (the SDK's in-memory exporter) must tell what happened.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from bot.telemetry import Observability
from tests.approval_stack import CREATE, cards, click, write_config
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import drop_database, free_port, fresh_postgres_database
from tests.stack import CHANNEL, Stack, SubprocessStack, running

ROOT = Path(__file__).resolve().parents[2]
LIST = "ledger__tickets__list_tickets"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of this test's own, so `threadwork_tasks` counts only its tasks."""
    url = fresh_postgres_database()
    yield url
    drop_database(url)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def observed(
    settings: Settings,
    own_database: str,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    spans: InMemorySpanExporter,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    settings = settings.model_copy(update={"database_url": own_database})
    write_config(settings, tmp_path / "ledger.jsonl")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    stack = Stack(
        settings=settings,
        slack=fake_slack,
        model=fake_anthropic,
        port=free_port(),
        observability=Observability(tracing=provider),
    )
    async with running(stack):
        yield stack


async def scrape(base: str, path: str = "/metrics") -> Samples:
    async with aiohttp.ClientSession() as session, session.get(base + path) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape_until(
    base: str,
    name: str,
    expected: float,
    timeout: float = 10,  # noqa: ASYNC109
    **labels: str,
) -> Samples:
    """Scrape until `name{labels}` reads `expected` (state another task settles), bounded."""
    async with asyncio.timeout(timeout):
        while True:
            samples = await scrape(base)
            if value(samples, name, **labels) == expected:
                return samples
            await asyncio.sleep(0.02)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def script_read_then_write(model: FakeAnthropic, marker: str) -> None:
    model.script(
        marker,
        [
            Turn([ToolUse("find_tools", {"query": "ticket"})]),
            Turn([ToolUse(LIST, {})]),
            Turn([Text("Filing it as asked."), ToolUse(CREATE, {"title": "Disk full"})]),
            Reply("Ticket filed."),
        ],
    )


async def test_metrics_count_model_calls_tools_and_pending_approvals(observed: Stack) -> None:
    script_read_then_write(observed.model, "observe me")
    mention = await observed.mention("observe me: file a ticket")
    (card,) = await cards(observed.slack, mention["ts"])

    # The card is up before the job is acknowledged and the task recorded: wait for both.
    await scrape_until(observed.base, "threadwork_queue_jobs", 0, state="in_progress")
    waiting = await scrape_until(observed.base, "threadwork_tasks", 1, status="awaiting_approval")
    assert value(waiting, "threadwork_approvals_pending") == 1
    assert value(waiting, "threadwork_approval_oldest_wait_seconds") > 0
    assert (
        value(waiting, "threadwork_model_call_seconds_count", model="claude-test", outcome="ok")
        == 3
    )
    prompt = sum(  # a prompt long enough to be cached is counted as cache writes and reads
        value(waiting, "threadwork_model_tokens_total", model="claude-test", kind=kind)
        for kind in ("input", "cache_write", "cache_read")
    )
    assert prompt > 0
    assert value(waiting, "threadwork_model_tokens_total", model="claude-test", kind="output") > 0
    tool = {"connector": "ledger/tickets", "outcome": "ok"}
    assert value(waiting, "threadwork_tool_call_seconds_count", **tool) == 1
    assert value(waiting, "threadwork_queue_jobs", state="waiting") == 0
    assert value(waiting, "threadwork_slack_rate_limited_total") == 0

    await click(observed, "approve", card, mention["ts"])
    await observed.slack.until_thread(CHANNEL, mention["ts"], "Ticket filed.")
    await observed.slack.until_thread(CHANNEL, mention["ts"], "Done")

    done = await scrape_until(observed.base, "threadwork_tasks", 1, status="completed")
    assert value(done, "threadwork_approvals_pending") == 0
    assert value(done, "threadwork_tool_call_seconds_count", **tool) == 2
    assert (
        value(done, "threadwork_model_call_seconds_count", model="claude-test", outcome="ok") == 4
    )
    assert value(done, "threadwork_tasks", status="awaiting_approval") == 0


async def test_slack_rate_limits_are_counted(observed: Stack) -> None:
    observed.slack.fail_next("chat.postMessage", retry_after=0)
    observed.model.script("limited", [Reply("answer despite a 429")])
    mention = await observed.mention("limited please")
    await observed.slack.until_thread(CHANNEL, mention["ts"], "answer despite a 429")
    assert value(await scrape(observed.base), "threadwork_slack_rate_limited_total") == 1


async def test_spans_cover_turns_model_calls_tool_calls_and_the_checkpoint_wait(
    observed: Stack, spans: InMemorySpanExporter
) -> None:
    script_read_then_write(observed.model, "trace me")
    mention = await observed.mention("trace me: file a ticket")
    (card,) = await cards(observed.slack, mention["ts"])
    # Clicked once the first turn has settled at the card, as a person would; a click racing the
    # turn's own save is applied inside that turn (one turn span, not two).
    await scrape_until(observed.base, "threadwork_tasks", 1, status="awaiting_approval")
    await click(observed, "approve", card, mention["ts"])
    await observed.slack.until_thread(CHANNEL, mention["ts"], "Done")
    (task_id,) = await observed.task_ids_for(mention["ts"])

    # The resumed turn's span ends once the task is settled, just after "Done" is shown.
    finished = await until_spans(spans, "task.turn", 2)
    by_name: dict[str, list[ReadableSpan]] = {}
    for span in finished:
        by_name.setdefault(span.name, []).append(span)
    turns, models, tools = by_name["task.turn"], by_name["model.call"], by_name["tool.call"]
    (wait,) = by_name["checkpoint.wait"]
    assert len(turns) == 2  # the first turn stops at the card; the approval resumes it
    assert len(models) == 4
    assert [t.attributes["threadwork.tool"] for t in tools] == [LIST, CREATE]
    assert {t.attributes["threadwork.connector"] for t in tools} == {"ledger/tickets"}
    for span in [*turns, *models, *tools, wait]:
        assert span.attributes is not None
        assert span.attributes["threadwork.task_id"] == task_id
    turn_ids = {t.context.span_id for t in turns}
    for child in [*models, *tools]:
        assert child.parent is not None and child.parent.span_id in turn_ids
    assert wait.attributes is not None and wait.attributes["threadwork.outcome"] == "approved"
    assert wait.start_time is not None and wait.end_time is not None
    assert wait.end_time >= wait.start_time


async def test_readyz_and_healthz_report_redis_and_sql(observed: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(observed.base + "/healthz") as response:
            assert response.status == 200
        async with session.get(observed.base + "/readyz") as response:
            assert response.status == 200
            body = await response.json()
    assert body["redis"] == {"ok": True} and body["sql"] == {"ok": True}
    samples = await scrape(observed.base)
    assert value(samples, "threadwork_dependency_up", dependency="redis") == 1
    assert value(samples, "threadwork_dependency_up", dependency="sql") == 1


async def until_spans(
    exporter: InMemorySpanExporter,
    name: str,
    count: int,
    timeout: float = 30,  # noqa: ASYNC109
) -> list[ReadableSpan]:
    """Finished spans, once `count` of them are named `name` (bounded wait; a timeout names the
    spans that did finish)."""
    finished: list[ReadableSpan] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                finished = list(exporter.get_finished_spans())
                if sum(span.name == name for span in finished) >= count:
                    return finished
                await asyncio.sleep(0.01)
    except TimeoutError:
        names = [span.name for span in finished]
        pytest.fail(f"{count} {name!r} spans did not finish in {timeout:g} s; finished: {names}")


def toolbox_plugin(root: Path) -> Path:
    """A plugin whose stdio server is tests/mcp_servers/toolbox.py (it can write to stderr)."""
    plugin = root / "toolbox"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(
        json.dumps({"name": "toolbox", "version": "0.1.0", "description": "test tools"})
    )
    server = ROOT / "tests" / "mcp_servers" / "toolbox.py"
    (plugin / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "box": {
                        "command": sys.executable,
                        "args": [str(server)],
                        "env": {"SHOUTED": "hello"},
                    }
                }
            }
        )
    )
    return plugin


async def test_json_logs_tag_every_line_with_task_and_correlation_ids(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    plugin = toolbox_plugin(tmp_path)
    settings.config_path.write_text(f'plugins: [{plugin}]\nchannels:\n  "*": [toolbox]\n')
    log_path = tmp_path / "serve.log"
    app = SubprocessStack(
        settings=settings,
        slack=fake_slack,
        model=fake_anthropic,
        port=free_port(),
        extra_env={"THREADWORK_LOG_FORMAT": "json", "THREADWORK_LOG_LEVEL": "DEBUG"},
        log_path=log_path,
    )
    fake_anthropic.script(
        "shout",
        [
            Turn([ToolUse("find_tools", {"query": "shout environment"})]),
            Turn([ToolUse("toolbox__box__shout_env", {"name": "SHOUTED"})]),
            Reply("shouted"),
        ],
    )
    async with running(app):
        mention = await app.mention("shout the word")
        await fake_slack.until_thread(CHANNEL, mention["ts"], "Done")
        (task_id,) = await app.task_ids_for(mention["ts"])

    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    of_task = [r for r in records if r.get("task_id") == task_id]
    assert of_task, "no line carries the task id"
    assert all(r["correlation_id"] for r in of_task)
    stderr = [r for r in records if r.get("mcp_server") == "toolbox/box"]
    assert any("debug: SHOUTED=hello" in r["message"] for r in stderr)
    assert not any(r.get("task_id") == task_id for r in stderr)  # the server is not the task's
