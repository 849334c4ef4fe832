"""A `serve` process killed with SIGKILL mid-task: another one reclaims the job and answers once."""

from __future__ import annotations

import threading

from tests.harness.fake_anthropic import Reply, Text, Turn
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.stack import CHANNEL, KILL_RECLAIM_S, SubprocessStack


@SINGLE_AND_CLUSTER
async def test_killed_mid_model_call_resumes_and_answers_exactly_once(
    process: SubprocessStack,
) -> None:
    release = threading.Event()
    process.model.script(
        "survive a crash",
        [Turn([Text("lost with the process")], hold=release), Reply("answer after the crash")],
    )
    mention = await process.mention("survive a crash please")
    await process.model.until_in_flight(1)
    process.kill()
    release.set()

    await process.start()
    thread = await process.slack.until_thread(
        CHANNEL, mention["ts"], "answer after the crash", timeout=KILL_RECLAIM_S * 10
    )
    await process.slack.until_thread(CHANNEL, mention["ts"], "Done", timeout=10)
    assert [m for m in thread if "answer after the crash" in m.all_text][0]
    thread = process.slack.thread(CHANNEL, mention["ts"])
    assert sum("answer after the crash" in m.all_text for m in thread) == 1
    assert not any("lost with the process" in m.all_text for m in thread)
    assert len(process.model.requests) == 2
    assert len(await process.task_ids_for(mention["ts"])) == 1


async def test_a_second_process_on_the_same_redis_continues_the_thread(
    process: SubprocessStack,
) -> None:
    process.model.script("first turn", [Reply("first answer")])
    mention = await process.mention("first turn")
    await process.slack.until_thread(CHANNEL, mention["ts"], "Done")
    await process.stop()
    await process.start()
    process.model.script(lambda b: "second" in str(b["messages"][-1]), [Reply("second answer")])
    await process.reply("second turn", thread_ts=mention["ts"])
    await process.slack.until_thread(CHANNEL, mention["ts"], "second answer")
    assert "first answer" in str(process.model.requests[-1].body["messages"])
