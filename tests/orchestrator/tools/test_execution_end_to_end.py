"""The execution engine through Slack: files in from the thread, code in the sandbox, files out.

Real app over HTTP, fake Slack (files served and uploaded over real HTTP with the upload
methods), scripted fake model, real bubblewrap sandbox, real Redis and PostgreSQL.
"""

from __future__ import annotations

import socket
from pathlib import Path

from orchestrator.domain.events import CodeRan
from tests.harness.anthropic_requests import first_user_text, tool_results
from tests.harness.fake_anthropic import Reply, ToolUse, Turn
from tests.stack import CHANNEL, Stack

INVOICES = b"vendor,amount,budget\nAcme,120,100\nGlobex,80,100\nInitech,300,250\n"
OVER_BUDGET = """
import csv
rows = list(csv.DictReader(open('inputs/q3-invoices.csv')))
over = [r['vendor'] for r in rows if float(r['amount']) > float(r['budget'])]
print('over budget:', ', '.join(over))
open('outputs/over-budget.txt', 'w').write('\\n'.join(over))
"""


def result_text(body: dict) -> str:
    out = []
    for result in tool_results(body):
        content = result["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out += [b.get("text", "") for b in content]
    return "\n".join(out)


def run_code(code: str, language: str = "python") -> Turn:
    return Turn([ToolUse("run_code", {"language": language, "code": code})])


async def test_a_csv_from_the_thread_is_computed_on_and_the_result_file_comes_back(
    stack: Stack,
) -> None:
    shared = stack.slack.share_file("q3-invoices.csv", INVOICES)
    stack.model.script(
        "which vendors", [run_code(OVER_BUDGET), Reply("Acme and Initech are over budget.")]
    )
    mention = await stack.mention("which vendors are over budget?", files=[shared])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Acme and Initech are over budget.")

    first, second = (r.body for r in stack.model.requests[:2])
    assert "- inputs/q3-invoices.csv (text/csv, 64 B)" in first_user_text(first)
    assert "Acme,120" not in first_user_text(first), (
        "the model sees the file's line, not its content"
    )
    assert "over budget: Acme, Initech" in result_text(second)
    assert "outputs/over-budget.txt" in result_text(second)

    assert stack.slack.uploaded(CHANNEL, mention["ts"]) == {"over-budget.txt": b"Acme\nInitech"}
    assert stack.slack.calls_to("files.getUploadURLExternal")
    (complete,) = stack.slack.calls_to("files.completeUploadExternal")
    assert complete.args["thread_ts"] == mention["ts"]
    assert stack.slack.downloads == [(shared["id"], "Bearer xoxb-test")]

    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")  # the task record is written
    (task_id,) = await stack.task_ids_for(mention["ts"])
    runs = [e for e in await stack.events(task_id) if isinstance(e, CodeRan)]
    assert len(runs) == 1
    assert runs[0].exit_code == 0 and runs[0].language == "python"
    assert runs[0].files == ["outputs/over-budget.txt"]
    assert len(runs[0].code_sha256) == 64


async def test_pandas_and_matplotlib_make_a_chart_that_is_shared(stack: Stack) -> None:
    shared = stack.slack.share_file("q3-invoices.csv", INVOICES)
    chart = (
        "import pandas as pd, matplotlib.pyplot as plt\n"
        "df = pd.read_csv('inputs/q3-invoices.csv')\n"
        "df.plot.bar(x='vendor', y=['amount', 'budget'])\n"
        "plt.savefig('outputs/over-budget.png')\n"
        "print(int(df.amount.sum()))\n"
    )
    stack.model.script("chart", [run_code(chart), Reply("Here is the chart.")])
    mention = await stack.mention("give me a chart", files=[shared])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Here is the chart.")
    assert "exit code 0" in result_text(stack.model.requests[1].body)
    assert "500" in result_text(stack.model.requests[1].body)
    png = stack.slack.uploaded(CHANNEL, mention["ts"])["over-budget.png"]
    assert png.startswith(b"\x89PNG")


async def test_read_file_extracts_a_pdf_the_sandbox_wrote(stack: Stack) -> None:
    report = (
        "from reportlab.pdfgen import canvas\n"
        "c = canvas.Canvas('summary.pdf'); c.drawString(72, 720, 'Vendors over budget: 2')\n"
        "c.save()\n"
    )
    stack.model.script(
        "one-page summary",
        [
            run_code(report),
            Turn([ToolUse("read_file", {"path": "summary.pdf"})]),
            Reply("The summary is ready."),
        ],
    )
    mention = await stack.mention("write a one-page summary")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "The summary is ready.")
    text = result_text(stack.model.requests[2].body)
    assert "--- page 1 ---" in text and "Vendors over budget: 2" in text


async def test_a_runaway_script_is_stopped_at_the_time_limit_with_a_note(stack: Stack) -> None:
    stack.settings.config_path.write_text("execution:\n  timeout_s: 1\n")
    await stack.restart()
    stack.model.script("spin", [run_code("while True: pass"), Reply("It ran too long.")])
    mention = await stack.mention("spin forever")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "It ran too long.")
    text = result_text(stack.model.requests[1].body)
    assert "Stopped: it ran longer than the 1 s time limit and was killed." in text
    assert tool_results(stack.model.requests[1].body)[0].get("is_error") is True


async def test_execution_off_in_a_channel_means_no_tools(stack: Stack) -> None:
    stack.settings.config_path.write_text(
        f"execution:\n  channels:\n    {CHANNEL}:\n      enabled: false\n"
    )
    await stack.restart()
    stack.model.script("no sandbox", [Reply("I cannot run code here.")])
    mention = await stack.mention("no sandbox here?")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "I cannot run code here.")
    names = [t["name"] for t in stack.model.requests[0].body.get("tools", [])]
    assert "run_code" not in names and "read_file" not in names
    assert "## Workspace" not in str(stack.model.requests[0].body.get("system"))


async def test_the_workspace_survives_a_restart_of_the_worker(stack: Stack) -> None:
    stack.model.script(
        "remember", [run_code("open('notes.txt', 'w').write('42')"), Reply("Saved it.")]
    )
    stack.model.script(
        lambda b: "what did you save" in str(b["messages"]),
        [run_code("cat notes.txt", "bash"), Reply("It was 42.")],
    )
    mention = await stack.mention("remember 42 in a file")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Saved it.")
    await stack.restart()
    await stack.reply("what did you save?", thread_ts=mention["ts"])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "It was 42.")
    assert "--- stdout ---\n42" in result_text(stack.model.requests[-1].body)


async def test_a_file_link_off_slack_never_gets_the_token(stack: Stack) -> None:
    trap = socket.create_server(("127.0.0.1", 0))
    trap.setblocking(False)
    port = trap.getsockname()[1]
    shared = stack.slack.share_file("evil.csv", b"a,b\n")
    shared["url_private_download"] = f"http://127.0.0.1:{port}/steal"
    stack.model.script("evil", [Reply("noted")])
    try:
        mention = await stack.mention("look at evil", files=[shared])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "noted")
        try:
            trap.accept()
            raise AssertionError("the bot connected to a host that is not Slack's")
        except BlockingIOError:
            pass
    finally:
        trap.close()
    line = first_user_text(stack.model.requests[0].body)
    assert "evil.csv (text/csv, 4 B): could not be downloaded (its link is not on Slack" in line


async def test_files_over_the_admins_cap_get_a_clear_line(stack: Stack) -> None:
    stack.settings.config_path.write_text("execution:\n  max_file_mb: 1\n")
    await stack.restart()
    big = stack.slack.share_file("big.csv", b"x" * (2 * 1024 * 1024))
    write_big = "open('outputs/big.bin', 'wb').write(b'0' * (2 * 1024 * 1024))"
    stack.model.script("too big", [run_code(write_big), Reply("Both were too big.")])
    mention = await stack.mention("too big files", files=[big])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Both were too big.")
    assert "big.csv (text/csv, 2.0 MB): not taken, over the 1 MB limit" in first_user_text(
        stack.model.requests[0].body
    )
    assert "outputs/big.bin (2.0 MB, new): not shared: 2.0 MB is over the 1 MB limit" in (
        result_text(stack.model.requests[1].body)
    )
    assert stack.slack.downloads == [] and stack.slack.uploaded(CHANNEL, mention["ts"]) == {}


def workspace_of(stack: Stack, task_id: str) -> Path:
    return stack.settings.workspaces / task_id
