"""`threadwork runs`: recorded tasks newest first, one task's full trail, clear refusals."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.cli.main import main
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade
from orchestrator.adapters.sql.records import ActivityRow
from orchestrator.domain.checkpoint import Approvers
from orchestrator.domain.events import (
    ActivityEvent,
    CheckpointCreated,
    CheckpointDecided,
    CheckpointExecuted,
    CheckpointRefused,
    CodeRan,
    FileReceived,
    FileShared,
    ModelCalled,
    SubagentStarted,
    TaskCompleted,
    TaskCreated,
    TaskMessage,
    ToolCalled,
)
from orchestrator.domain.task import ThreadRef, Usage
from orchestrator.ports import TaskRecord


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "ANTHROPIC_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


async def runs(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["runs", *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def task(task_id: str, channel: str, *, title: str = "Restart the web tier") -> TaskRecord:
    return TaskRecord(
        id=task_id,
        thread=ThreadRef(team_id="T1", channel_id=channel, thread_ts="1700000000.000100"),
        requester="U_ASKER",
        status="completed",
        title=title,
        usage=Usage(input_tokens=12_345, output_tokens=678),
    )


async def record(
    url: str, tasks: list[TaskRecord], events: list[ActivityEvent], rows: list[Row] = ()
) -> None:
    """Record tasks and typed events through the log, and `rows` as an older version wrote them."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
        log = SqlActivityLog(engine)
        for item in tasks:
            await log.upsert_task(item)
        for event in events:
            await log.record(event)
        async with async_sessionmaker(engine).begin() as session:
            session.add_all(
                ActivityRow(task_id=r.task_id, kind=r.kind, agent_id=r.agent, data=r.data)
                for r in rows
            )
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Row:
    """An activity row in the dict shape written before events were typed."""

    task_id: str
    kind: str
    agent: str | None
    data: Any


def row(task_id: str, kind: str, agent: str | None = "main", /, **data: Any) -> Row:
    return Row(task_id, kind, agent, data)


async def test_list_shows_tasks_newest_first(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = unique("C")
    older, newer = unique("t_"), unique("t_")
    long_title = "Please restart the web tier and then " + "check every health endpoint " * 5
    await record(database, [task(older, channel), task(newer, channel, title=long_title)], [])

    result = await runs(capsys, "list", "--channel", channel)

    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if older in line or newer in line]
    assert [newer in lines[0], older in lines[1]] == [True, True], result.out
    for expected in ("completed", channel, "U_ASKER", "12,345/678", "Restart the web tier"):
        assert expected in lines[1]
    assert "Please restart the web tier" in lines[0] and long_title not in lines[0]
    assert "…" in lines[0]

    limited = await runs(capsys, "list", "--channel", channel, "--limit", "1")
    assert newer in limited.out and older not in limited.out


async def test_list_in_a_quiet_channel_says_how_runs_get_recorded(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = await runs(capsys, "list", "--channel", unique("C"))
    assert result.code == 0
    assert "No runs are recorded" in result.out and "threadwork serve" in result.out


async def test_list_by_thread_refuses_what_names_no_thread(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = await runs(capsys, "list", "--thread", "yesterday's thread")
    assert result.code == 2
    assert "does not name a thread" in result.err and "CHANNEL:TS" in result.err
    quiet = await runs(capsys, "list", "--thread", f"{unique('C')}:1700000000.000100")
    assert quiet.code == 0 and "No runs are recorded in thread 1700000000.000100" in quiet.out


def test_an_empty_database_has_no_runs_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert "No runs are recorded yet" in out and "threadwork serve" in out


ARGUMENTS = {"service": "web", "note": "restart after deploy"}
BIG = {"query": "x" * 500}
BOSS = Approvers(users=("U_BOSS",))


def typed_trail(task_id: str) -> list[ActivityEvent]:
    return [
        TaskCreated(task_id=task_id, user="U_ASKER"),
        TaskMessage(task_id=task_id, user="U_ASKER", ts="1700000000.000100", chars=42),
        ModelCalled(
            task_id=task_id,
            agent_id="main",
            model="claude-test",
            stop_reason="tool_use",
            attempts=1,
            input_tokens=1200,
            output_tokens=80,
        ),
        ToolCalled(
            task_id=task_id,
            agent_id="main",
            tool="ops__search",
            server="ops/notes",
            arguments=BIG,
            outcome="ok",
            duration_ms=12,
            error=None,
        ),
        CheckpointCreated(
            task_id=task_id,
            agent_id="main",
            checkpoint="cp_1",
            status="pending",
            tool="ops__restart",
            server="ops/deploy",
            arguments=ARGUMENTS,
            approvers=BOSS,
            expires_at=1_700_003_600.0,
        ),
        CheckpointRefused(
            task_id=task_id,
            checkpoint="cp_1",
            status="pending",
            user="U_PASSERBY",
            verdict="approve",
            why="not_an_approver",
        ),
        CheckpointDecided(
            task_id=task_id,
            checkpoint="cp_1",
            status="approved",
            decision="approved",
            by="U_BOSS",
            reason="go ahead",
        ),
        CheckpointExecuted(
            task_id=task_id,
            agent_id="main",
            checkpoint="cp_1",
            status="done",
            outcome="ok",
            duration_ms=30,
            attempt=1,
        ),
        SubagentStarted(
            task_id=task_id,
            agent_id="main",
            type="researcher",
            brief="find the runbook",
            model="claude-test",
        ),
        TaskCompleted(task_id=task_id, steps=3),
    ]


def legacy_trail(task_id: str) -> list[Row]:
    """The same trail as rows of the untyped schema (no `status`, approvers as a plain dict)."""
    return [
        row(task_id, "task.created", None, user="U_ASKER"),
        row(task_id, "task.message", None, user="U_ASKER", ts="1700000000.000100", chars=42),
        row(
            task_id,
            "model.call",
            model="claude-test",
            stop_reason="tool_use",
            attempts=1,
            input_tokens=1200,
            output_tokens=80,
        ),
        row(
            task_id,
            "tool.call",
            tool="ops__search",
            server="ops/notes",
            arguments=BIG,
            outcome="ok",
            duration_ms=12,
            error=None,
        ),
        row(
            task_id,
            "checkpoint.created",
            checkpoint="cp_1",
            tool="ops__restart",
            server="ops/deploy",
            arguments=ARGUMENTS,
            approvers={"users": ["U_BOSS"], "groups": [], "requester": None},
            expires_at=1_700_003_600.0,
        ),
        row(
            task_id,
            "checkpoint.refused",
            None,
            checkpoint="cp_1",
            user="U_PASSERBY",
            verdict="approve",
            why="not_an_approver",
        ),
        row(
            task_id,
            "checkpoint.decided",
            None,
            checkpoint="cp_1",
            decision="approved",
            by="U_BOSS",
            reason="go ahead",
        ),
        row(
            task_id,
            "checkpoint.executed",
            checkpoint="cp_1",
            outcome="ok",
            duration_ms=30,
            attempt=1,
        ),
        row(task_id, "subagent.started", name="researcher", depth=1),
        row(task_id, "task.completed", None, steps=3),
    ]


def trail_lines(out: str) -> list[str]:
    return out.partition("\n\n")[2].splitlines()


def without_time(line: str) -> str:
    return line.split("  ", 1)[1]


async def test_show_prints_the_header_and_the_whole_trail_in_order(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id, channel = unique("t_"), unique("C")
    trail = typed_trail(task_id)
    await record(database, [task(task_id, channel)], trail)

    result = await runs(capsys, "show", task_id)

    assert result.code == 0, result.err
    header, _, body = result.out.partition("\n\n")
    for expected in (task_id, "completed", channel, "1700000000.000100", "U_ASKER"):
        assert expected in header
    assert "Restart the web tier" in header and "12,345 in (12,345 uncached" in header
    assert "/ 678 out" in header
    lines = body.splitlines()
    assert [line.split()[1] for line in lines] == [e.kind for e in trail]
    by_kind = dict(zip([e.kind for e in trail], lines, strict=True))
    assert "claude-test" in by_kind["model.call"] and "1,200 in / 80 out" in by_kind["model.call"]
    assert "approved by U_BOSS" in by_kind["checkpoint.decided"]
    assert "go ahead" in by_kind["checkpoint.decided"]
    created = by_kind["checkpoint.created"]
    assert '{"service":"web","note":"restart after deploy"}' in created and "U_BOSS" in created
    assert "refused approve from U_PASSERBY" in by_kind["checkpoint.refused"]
    assert "ops__search" in by_kind["tool.call"] and "…" in by_kind["tool.call"]
    assert len(by_kind["tool.call"]) < 320
    started = by_kind["subagent.started"]
    assert 'type=researcher brief="find the runbook" model=claude-test' in started
    assert " main " in by_kind["model.call"]


async def test_show_prints_rows_written_before_events_were_typed(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    typed_id, legacy_id, channel = unique("t_"), unique("t_"), unique("C")
    unknown = [
        row(legacy_id, "deploy.rolled_back", "main", version="1.2.3", reason="health check"),
        Row(legacy_id, "task.message", None, "not an object"),
    ]
    await record(
        database,
        [task(typed_id, channel), task(legacy_id, channel)],
        typed_trail(typed_id),
        [*legacy_trail(legacy_id)[:-1], *unknown, legacy_trail(legacy_id)[-1]],
    )

    typed = trail_lines((await runs(capsys, "show", typed_id)).out)
    result = await runs(capsys, "show", legacy_id)

    assert result.code == 0, result.err
    legacy = trail_lines(result.out)
    kinds = [r.kind for r in legacy_trail(legacy_id)]
    assert [line.split()[1] for line in legacy] == [
        *kinds[:-1],
        *(r.kind for r in unknown),
        kinds[-1],
    ]
    by_kind = dict(zip(kinds[:-1], legacy, strict=False)) | {kinds[-1]: legacy[-1]}
    for kind, line in zip([e.kind for e in typed_trail(typed_id)], typed, strict=True):
        if kind != "subagent.started":  # its shape changed: shown as recorded
            assert without_time(by_kind[kind]) == without_time(line), kind
    assert "name=researcher depth=1" in by_kind["subagent.started"]
    assert 'version=1.2.3 reason="health check"' in legacy[-3]
    assert 'data="not an object"' in legacy[-2]


async def test_show_an_unknown_id_points_at_the_list(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = unique("t_")
    result = await runs(capsys, "show", missing)
    assert result.code == 1
    assert missing in result.err and "threadwork runs list" in result.err
    assert result.out == ""


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://tw:secret@127.0.0.1:1/nothing")
    assert main(["runs", "list"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "127.0.0.1:1/nothing" in err and "DATABASE_URL" in err
    assert "secret" not in err and "Traceback" not in err


async def test_list_and_show_print_the_cost_and_every_input_token(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id, channel = unique("t_"), unique("C")
    usage = Usage(
        input_tokens=1_000,
        cache_write_tokens=4_000,
        cache_read_tokens=95_000,
        output_tokens=2_000,
        cost_usd=1.2345,
    )
    record_ = replace(task(task_id, channel), usage=usage)
    call = ModelCalled(
        task_id=task_id,
        agent_id="main",
        model="claude-sonnet-4-6",
        stop_reason="end_turn",
        attempts=1,
        input_tokens=1_000,
        output_tokens=2_000,
        cache_read_tokens=95_000,
        cache_write_tokens=4_000,
        cost_usd=0.0615,
    )
    await record(database, [record_], [call])

    listed = await runs(capsys, "list", "--channel", channel)
    (line,) = [row for row in listed.out.splitlines() if task_id in row]
    assert "100,000/2,000" in line and "$1.23" in line

    shown = await runs(capsys, "show", task_id)
    header, _, trail = shown.out.partition("\n\n")
    assert "100,000 in (1,000 uncached, 4,000 written to the cache, 95,000 read from it)" in header
    assert "cost       $1.23" in header
    assert "100,000 in (95,000 cache read, 4,000 written) / 2,000 out" in trail
    assert trail.rstrip().endswith("stop end_turn, $0.0615")


async def test_show_prints_code_runs_and_files(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id, channel = unique("t_"), unique("C")
    trail: list[ActivityEvent] = [
        FileReceived(task_id=task_id, file="F1", path="inputs/q3.csv", bytes=2048),
        CodeRan(
            task_id=task_id,
            agent_id="main",
            language="python",
            code_sha256="ab" * 32,
            code_chars=120,
            duration_ms=1234,
            exit_code=0,
            files=["outputs/chart.png"],
        ),
        CodeRan(
            task_id=task_id,
            agent_id="main",
            language="bash",
            code_sha256="cd" * 32,
            code_chars=10,
            duration_ms=60000,
            exit_code=-9,
            stopped="timeout",
        ),
        FileShared(task_id=task_id, agent_id="main", path="outputs/chart.png", bytes=4096),
    ]
    await record(database, [task(task_id, channel)], trail)
    result = await runs(capsys, "show", task_id)
    lines = result.out.partition("\n\n")[2].splitlines()
    assert "inputs/q3.csv (2,048 bytes)" in lines[0]
    assert "python abababababab: exit 0 in 1,234 ms, files outputs/chart.png" in lines[1]
    assert "bash cdcdcdcdcdcd: exit -9, stopped (timeout) in 60,000 ms" in lines[2]
    assert "outputs/chart.png (4,096 bytes)" in lines[3]
