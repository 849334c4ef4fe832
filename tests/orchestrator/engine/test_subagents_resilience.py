"""Sub-agents under stress: a killed worker mid-flight, and eight of them reporting at once
against Slack's edit rate limit (enforced by the fake with 429s)."""

from __future__ import annotations

import threading

from bot.settings import Settings
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import CHANNEL, KILL_RECLAIM_S, Stack, SubprocessStack, running


def spawn(*briefs: str) -> Turn:
    agents = [{"type": "general-purpose", "brief": b} for b in briefs]
    return Turn([Text("Splitting."), ToolUse("spawn_subagents", {"agents": agents})])


async def test_killed_worker_resumes_subagents_from_their_saved_steps(
    process: SubprocessStack,
) -> None:
    release = threading.Event()
    model = process.model
    model.script(
        "survive with helpers", [spawn("BRIEF-1", "BRIEF-2", "BRIEF-3"), Reply("All helpers done.")]
    )
    for n in (1, 2, 3):
        model.script(
            f"BRIEF-{n}",
            [
                Turn([ToolUse("find_tools", {"query": f"step {n}"})]),
                Reply("lost with the process", hold=release),
                Reply(f"helper {n} finished"),
            ],
        )
    mention = await process.mention("survive with helpers please")
    await model.until_held(3)  # each helper's second turn is sent; no answer is on its way
    before = len(model.requests)
    process.kill()
    release.set()

    await process.start()
    await process.slack.until_thread(
        CHANNEL, mention["ts"], "All helpers done.", timeout=KILL_RECLAIM_S * 10
    )
    (result,) = tool_results(model.requests[-1].body)
    for n in (1, 2, 3):
        assert f"helper {n} finished" in str(result)
    assert "lost with the process" not in str(result)
    # Resumed from saved steps: each helper re-asks only its lost turn (no repeated find_tools).
    assert len(model.requests) == before + 3 + 1
    await process.slack.until_thread(CHANNEL, mention["ts"], "Done")  # the task is settled
    thread = process.slack.thread(CHANNEL, mention["ts"])
    assert sum("All helpers done." in m.all_text for m in thread) == 1
    assert len(await process.task_ids_for(mention["ts"])) == 1


async def test_eight_reporting_subagents_stay_within_slacks_edit_rate(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    fake_slack.update_interval_s = 1.0
    stack = Stack(
        settings=settings.model_copy(update={"slack_min_update_interval_s": 1.0}),
        slack=fake_slack,
        model=fake_anthropic,
        port=free_port(),
    )
    briefs = [f"BRIEF-R{n}" for n in range(8)]
    fake_anthropic.script("busy helpers", [spawn(*briefs), Reply("Eight reports in.")])
    for brief in briefs:
        fake_anthropic.script(
            brief,
            [
                *(Turn([ToolUse("find_tools", {"query": f"q{i}"})], delay_s=0.1) for i in range(4)),
                Reply(f"{brief} report"),
            ],
        )
    async with running(stack):
        mention = await stack.mention("busy helpers please")
        await fake_slack.until_thread(CHANNEL, mention["ts"], "Eight reports in.", timeout=30)
        await fake_slack.until_thread(
            CHANNEL,
            mention["ts"],
            lambda ms: (
                sum("report" in m.all_text and ":robot_face: Sub-agent `" in m.all_text for m in ms)
                == 8
            ),
            timeout=30,
        )
    assert fake_slack.rate_limited == [], "no edit was throttled"
    updates = fake_slack.calls_to("chat.update")
    by_message: dict[str, list[float]] = {}
    for call in updates:
        by_message.setdefault(call.args["ts"], []).append(call.time)
    for times in by_message.values():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= 0.99 for gap in gaps), gaps
