"""The pool against our own small servers: restarts, timeouts, bad commands, concurrency,
progress, pagination, tool list changes, environment isolation and redaction."""

import asyncio
import logging
import os
import signal

import pytest

from connectors import ConnectorPool, ToolNotFound
from connectors.supervisor import Backoff

SECRET = "tok-3f9a1c77e2b04d"
BOUND = 20


class Progress:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.seen = asyncio.Event()

    async def __call__(self, progress, total, message) -> None:
        self.messages.append(message or "")
        self.seen.set()


async def test_lists_tools_with_our_annotations_and_calls_one(our_server):
    async with ConnectorPool([our_server("toolbox.py", namespace="demo")]) as pool:
        tools = {t.name: t for t in await pool.list_tools()}
        echo = tools["echo"]
        assert echo.model_name == "demo__toolbox__echo"
        assert echo.read_only and not echo.destructive
        assert echo.summary == "Return the text unchanged."
        assert echo.input_schema["properties"]["text"]["type"] == "string"
        assert not tools["crash"].read_only and not tools["crash"].destructive
        assert not tools["fail"].read_only and tools["fail"].destructive
        assert pool.tool("demo__toolbox__echo") == echo

        result = await pool.call("demo__toolbox__echo", {"text": "hello"})
        assert result.text == "hello" and not result.is_error
        assert result.content == ({"type": "text", "text": "hello"},)
        [status] = pool.status()
        assert status.reachable and status.tool_count == len(tools)
        assert status.protocol_version


async def test_a_failing_tool_is_an_error_result_and_the_session_stays(our_server):
    async with ConnectorPool([our_server("toolbox.py")]) as pool:
        result = await pool.call("toolbox__fail", {"reason": "disk full"})
        assert result.is_error and "disk full" in result.text
        assert (await pool.call("toolbox__echo", {"text": "still here"})).text == "still here"
        assert pool.status()[0].restarts == 0


async def test_unknown_tool_and_bad_arguments_are_error_results(our_server):
    async with ConnectorPool([our_server("toolbox.py")]) as pool:
        unknown = await pool.call("toolbox__nope", {})
        assert unknown.is_error and "toolbox__nope" in unknown.text
        bad = await pool.call("toolbox__echo", ["not", "a", "dict"])  # type: ignore[arg-type]
        assert bad.is_error and "JSON object" in bad.text
        with pytest.raises(ToolNotFound):
            pool.tool("toolbox__nope")


async def test_server_killed_mid_call_gives_an_error_then_restarts(our_server):
    async with ConnectorPool([our_server("toolbox.py")]) as pool:
        first_pid = int((await pool.call("toolbox__pid", {})).text)
        progress = Progress()
        call = asyncio.create_task(
            pool.call("toolbox__sleep", {"seconds": 60}, on_progress=progress)
        )
        await asyncio.wait_for(progress.seen.wait(), BOUND)
        assert progress.messages == [f"sleeping in {first_pid}"]
        os.kill(first_pid, signal.SIGKILL)

        result = await asyncio.wait_for(call, BOUND)
        assert result.is_error
        assert "stopped during 'sleep'" in result.text and "restarted" in result.text

        after = await asyncio.wait_for(pool.call("toolbox__pid", {}), BOUND)
        assert not after.is_error and int(after.text) != first_pid
        assert pool.status()[0].restarts == 1


async def test_a_call_that_never_returns_times_out_and_the_server_is_restarted(our_server):
    spec = our_server("toolbox.py", timeout_s=1.0)
    async with ConnectorPool([spec]) as pool:
        first_pid = (await pool.call("toolbox__pid", {})).text
        result = await asyncio.wait_for(pool.call("toolbox__sleep", {"seconds": 60}), BOUND)
        assert result.is_error and "timed out after 1 s" in result.text
        assert "restarted" in result.text
        assert 1.0 <= result.duration_s < 5
        after = await asyncio.wait_for(pool.call("toolbox__pid", {}), BOUND)
        assert not after.is_error and after.text != first_pid


async def test_a_server_that_never_answers_fails_within_its_connect_timeout(our_server):
    spec = our_server("silent.py", connect_timeout_s=1.0)
    async with ConnectorPool([spec]) as pool:
        [status] = await asyncio.wait_for(pool.check(), BOUND)
        assert not status.reachable
        assert "no answer to the handshake within 1 s" in (status.error or "")
        assert await pool.list_tools() == []


async def test_missing_command_is_reported_clearly_in_check_and_calls(our_server):
    missing = our_server("toolbox.py", name="jira")
    missing = type(missing)(name="jira", command="jira-mcp-not-installed")
    async with ConnectorPool([missing, our_server("toolbox.py")]) as pool:
        statuses = {s.server: s for s in await asyncio.wait_for(pool.check(), BOUND)}
        assert statuses["toolbox"].reachable
        assert not statuses["jira"].reachable
        assert statuses["jira"].error == (
            "command 'jira-mcp-not-installed' not found — check connectors.jira.command in "
            "threadwork.yaml (and that the program is installed)"
        )
        assert "not found" in statuses["jira"].line()

        result = await pool.call("jira__create_issue", {"summary": "x"})
        assert result.is_error
        assert "command 'jira-mcp-not-installed' not found" in result.text
        assert (await pool.call("toolbox__echo", {"text": "ok"})).text == "ok"


async def test_server_that_exits_at_start_up_reports_what_it_said(tmp_path, our_server):
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('config file missing', file=sys.stderr)\nsys.exit(2)\n")
    spec = our_server("toolbox.py", name="broken")
    spec = type(spec)(name="broken", command=spec.command, args=(str(script),))
    async with ConnectorPool([spec], backoff=Backoff(first_s=0.01)) as pool:
        [status] = await asyncio.wait_for(pool.check(), BOUND)
        assert not status.reachable
        assert "exited during start-up" in (status.error or "")
        assert "config file missing" in (status.error or "")


async def test_two_read_only_calls_run_concurrently_on_one_server(our_server):
    async with ConnectorPool([our_server("toolbox.py")]) as pool:
        await pool.list_tools()
        progress_a, progress_b = Progress(), Progress()
        a = asyncio.create_task(pool.call("toolbox__sleep", {"seconds": 1}, on_progress=progress_a))
        b = asyncio.create_task(pool.call("toolbox__sleep", {"seconds": 1}, on_progress=progress_b))
        await asyncio.wait_for(
            asyncio.gather(progress_a.seen.wait(), progress_b.seen.wait()), BOUND
        )
        # Both calls are inside the server at the same moment: neither has finished.
        assert not a.done() and not b.done()
        results = await asyncio.wait_for(asyncio.gather(a, b), BOUND)
        assert [r.text for r in results] == ["slept 1.0", "slept 1.0"]
        assert progress_a.messages == progress_b.messages  # same server process


async def test_tool_lists_are_paginated(our_server):
    async with ConnectorPool([our_server("paged.py")]) as pool:
        tools = await pool.list_tools()
        assert [t.name for t in tools] == [f"tool_{i}" for i in range(8)]
        assert [t.read_only for t in tools] == [i % 2 == 0 for i in range(8)]
        assert (await pool.call("paged__tool_7", {})).text == "called tool_7"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_tool_list_change_is_picked_up(our_server, mode):
    changed = asyncio.Event()
    spec = our_server("toolbox.py", mode=mode)
    async with ConnectorPool([spec], on_tools_changed=changed.set) as pool:
        before = {t.name for t in await pool.list_tools()}
        assert "late_tool" not in before
        assert not (await pool.call("toolbox__add_tool", {"name": "late_tool"})).is_error
        await asyncio.wait_for(changed.wait(), BOUND)
        after = {t.name for t in await pool.list_tools()}
        assert after == before | {"late_tool"}
        assert (await pool.call("toolbox__late_tool", {})).text == "late_tool"


async def test_server_gets_a_minimal_environment(our_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-should-not-leak")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-should-not-leak")
    spec = our_server("toolbox.py", env={"SERVICE_TOKEN": SECRET}, secrets=frozenset({SECRET}))
    async with ConnectorPool([spec]) as pool:
        names = (await pool.call("toolbox__env_names", {})).text
        assert "SERVICE_TOKEN" in names and "PATH" in names
        assert "ANTHROPIC_API_KEY" not in names and "SLACK_BOT_TOKEN" not in names
        leaked = await pool.call("toolbox__env", {"name": "ANTHROPIC_API_KEY"})
        assert leaked.text == "(unset)"


async def test_secrets_never_reach_results_errors_or_logs(our_server, caplog):
    caplog.set_level(logging.DEBUG)
    stderr_logged = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "stderr" in record.getMessage() and "SERVICE_TOKEN" in record.getMessage():
                stderr_logged.set()

    watch = Watch()
    logging.getLogger("connectors.supervisor").addHandler(watch)
    spec = our_server("toolbox.py", env={"SERVICE_TOKEN": SECRET}, secrets=frozenset({SECRET}))
    try:
        async with ConnectorPool([spec]) as pool:
            got = await pool.call("toolbox__env", {"name": "SERVICE_TOKEN"})
            assert got.text == "[redacted]"
            shouted = await pool.call("toolbox__shout_env", {"name": "SERVICE_TOKEN"})
            assert shouted.text == "SERVICE_TOKEN is [redacted]"
            failed = await pool.call("toolbox__fail", {"reason": f"bad token {SECRET}"})
            assert failed.is_error and "bad token [redacted]" in failed.text
            await asyncio.wait_for(stderr_logged.wait(), BOUND)
    finally:
        logging.getLogger("connectors.supervisor").removeHandler(watch)
    assert "SERVICE_TOKEN=[redacted]" in caplog.text
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in record.getMessage()


async def test_big_outputs_are_truncated_with_a_note(our_server):
    async with ConnectorPool([our_server("toolbox.py", max_output_chars=1000)]) as pool:
        result = await pool.call("toolbox__big", {"chars": 5000})
        assert result.truncated_chars == 4000
        assert result.text.startswith("x" * 1000)
        assert "4000 of 5000 characters cut" in result.text
        small = await pool.call("toolbox__big", {"chars": 999})
        assert small.truncated_chars == 0 and small.text == "x" * 999


async def test_images_and_resources_are_summarised_not_inlined(our_server):
    async with ConnectorPool([our_server("toolbox.py")]) as pool:
        result = await pool.call("toolbox__media", {})
    lines = result.text.splitlines()
    assert lines[0] == "here you go"
    assert lines[1] == "[image: image/png, 100 bytes; not shown]"
    assert lines[2] == (
        "[resource link 'report': uri file:///tmp/report.pdf, type application/pdf, 2048 bytes]"
    )
    assert lines[3] == (
        "[embedded resource: uri mem://blob, type application/octet-stream, "
        "300 bytes] (binary; not shown)"
    )
    assert lines[4].startswith("[embedded resource: uri mem://note, type text/plain")
    assert lines[5] == "note body"
    assert "iVBOR" not in result.text and "AQEB" not in result.text


async def test_pool_refuses_duplicate_names_and_use_after_close(our_server):
    with pytest.raises(ValueError, match="unique"):
        ConnectorPool([our_server("toolbox.py"), our_server("toolbox.py")])
    pool = ConnectorPool([our_server("toolbox.py")])
    async with pool:
        pass
    result = await pool.call("toolbox__echo", {"text": "x"})
    assert result.is_error and "async with" in result.text
