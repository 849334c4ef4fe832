"""The App Home renderer: a person's own tasks with links, approvals with the card's buttons,
accounts, and a clear line where a section is empty; always within Slack's view limits."""

from __future__ import annotations

from bot.slack.surfaces import render_home
from orchestrator import Home, HomeAccount, HomeTask, ThreadRef
from orchestrator.domain.checkpoint import Approvers, Checkpoint
from tests.harness.block_kit import block_errors

THREAD = ThreadRef(team_id="T1", channel_id="C0OPS", thread_ts="1700000000.000100")


def text_of(view: dict) -> str:
    parts = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(parts)


def checkpoint(n: int) -> Checkpoint:
    return Checkpoint(
        id=f"cp_{n}",
        task_id="task_1",
        agent_id="a",
        call_id=f"c{n}",
        thread=THREAD,
        tool="create_ticket",
        server="tickets",
        requester="U0ALICE",
        approvers=Approvers(users=("U0BOSS",)),
        expires_at=1_800_000_000,
        message_ts="1700000000.000200",
    )


def test_tasks_link_to_their_threads_with_status_and_tokens() -> None:
    task = HomeTask(
        task_id="task_1",
        thread=THREAD,
        status="awaiting_approval",
        title="Restart <web> & co",
        tokens=12_300,
        cost_usd=0.42,
    )
    view = render_home(Home(user_id="U0ALICE", tasks=(task,)), {"task_1": "https://x/p1"})
    assert view["type"] == "home"
    text = text_of(view)
    assert "<https://x/p1|Restart &lt;web&gt; &amp; co>" in text
    assert "Waiting for approval" in text and "12.3k tokens" in text and "$0.42" in text
    assert "<#C0OPS>" in text
    assert "Nothing is waiting for your approval" in text
    assert "No accounts connected" in text


def test_an_empty_home_says_how_to_start() -> None:
    text = text_of(render_home(Home(user_id="U0NEW"), {}))
    assert "No tasks yet" in text and "mention @threadwork" in text


def test_approvals_carry_the_cards_own_buttons_each_in_its_own_block() -> None:
    view = render_home(
        Home(user_id="U0BOSS", approvals=(checkpoint(1), checkpoint(2))), {"cp_1": "https://x/c"}
    )
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [b["block_id"] for b in actions] == ["home:cp_1", "home:cp_2"]
    for block, cp_id in zip(actions, ("cp_1", "cp_2"), strict=True):
        ids = {e["action_id"]: e["value"] for e in block["elements"]}
        assert ids == {"checkpoint.approve": cp_id, "checkpoint.reject": cp_id}
    text = text_of(view)
    assert "`create_ticket` on `tickets`" in text and "<@U0ALICE>" in text
    assert "<https://x/c|this thread>" in text


def test_accounts_say_whether_they_are_still_connected() -> None:
    accounts = (
        HomeAccount(connector="crm/salesforce", connected=True, since=1_700_000_000),
        HomeAccount(connector="docs/notion", connected=False, since=1_700_000_000),
    )
    text = text_of(render_home(Home(user_id="U0ALICE", accounts=accounts), {}))
    assert "`crm/salesforce`: connected since" in text
    assert "`docs/notion`: signed out" in text


def test_a_full_home_fits_slacks_view_limits() -> None:
    tasks = tuple(
        HomeTask(task_id=f"t{i}", thread=THREAD, status="completed", title="x" * 300, tokens=1)
        for i in range(10)
    )
    approvals = tuple(checkpoint(i) for i in range(15))
    accounts = tuple(HomeAccount(connector=f"p/s{i}", connected=True, since=1.0) for i in range(40))
    view = render_home(Home(user_id="U", tasks=tasks, approvals=approvals, accounts=accounts), {})
    assert block_errors(view["blocks"], max_blocks=100) == []
    assert len(view["blocks"]) <= 100
