"""App Home, end to end: each person sees their own recent tasks (never anyone else's), the
approvals waiting for them with working Approve / Reject, and their connected accounts; it is
republished when any of these changes.

Real `serve` over HTTP with the fake Slack and model, Redis and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.settings import Settings
from orchestrator.adapters.sealing import Sealer
from orchestrator.adapters.sql.activity import make_engine
from orchestrator.adapters.sql.connections import SqlConnectionStore
from orchestrator.domain.identity import Identity
from tests.approval_stack import CREATE, card_state, cards, start_stack, ticket_script
from tests.harness.fake_anthropic import FakeAnthropic, Reply
from tests.harness.fake_slack import FakeSlack, SlackCall
from tests.harness.slack_sender import TEAM_ID, event_home_opened, home_action
from tests.stack import CHANNEL, Stack


def shows(user: str, *texts: str) -> Any:
    def check(call: SlackCall) -> bool:
        view = json.dumps(call.args.get("view"))
        return call.args.get("user_id") == user and all(t in view for t in texts)

    return check


async def done(stack: Stack, text: str, user: str) -> dict[str, Any]:
    stack.model.script(text, [Reply(f"Answered: {text}")])
    mention = await stack.mention(text, user=user)
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    return mention


async def open_home(stack: Stack, user: str) -> None:
    response = await stack.sender.send_event(event_home_opened(user))
    assert response.status == 200, response


async def test_my_home_lists_my_recent_task_and_never_anyone_elses(stack: Stack) -> None:
    mine = await done(stack, "alice's quarterly report", user="U0ALICE")
    await done(stack, "bob's reorg plan", user="U0BOB")

    await open_home(stack, "U0ALICE")
    link = f"/archives/{CHANNEL}/p{mine['ts'].replace('.', '')}"
    await stack.slack.until_call(
        "views.publish", where=shows("U0ALICE", "alice's quarterly report", "Done", link)
    )
    published = [c for c in stack.slack.calls_to("views.publish") if c.args["user_id"] == "U0ALICE"]
    assert all("bob's reorg plan" not in json.dumps(c.args["view"]) for c in published)
    assert not stack.slack.calls_to("chat.getPermalink"), "links made from the workspace URL"

    newcomer = (
        f"U0NEW{uuid.uuid4().hex[:6].upper()}"  # the session's database has no task of theirs
    )
    await open_home(stack, newcomer)
    await stack.slack.until_call("views.publish", where=shows(newcomer, "No tasks yet"))


async def test_my_home_is_republished_when_my_task_changes(stack: Stack) -> None:
    await done(stack, "first errand", user="U0ALICE")
    await open_home(stack, "U0ALICE")
    await stack.slack.until_call("views.publish", where=shows("U0ALICE", "first errand"))

    await done(stack, "second errand", user="U0ALICE")
    await stack.slack.until_call(
        "views.publish", where=shows("U0ALICE", "second errand", "first errand")
    )


async def test_an_approver_decides_from_their_home_through_the_cards_path(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    stack = await start_stack(
        settings, fake_slack, fake_anthropic, ledger, approvals="approvals:\n  approvers: [U0BOSS]"
    )
    try:
        marker = "file it from home"
        stack.model.script(marker, ticket_script(marker, (CREATE, {"title": "x"}), then="filed"))
        mention = await stack.mention(f"{marker}: file a ticket")
        (card,) = await cards(stack.slack, mention["ts"])
        await stack.slack.until_call(
            "views.publish", where=shows("U0BOSS", "checkpoint.approve", card.checkpoint_id)
        )
        await open_home(stack, "U0ALICE")
        # Published when her task began to wait, and again when she opened it.
        alice = await stack.slack.until_call(
            "views.publish", where=shows("U0ALICE", "Waiting for approval")
        )
        assert all(card.checkpoint_id not in json.dumps(c.args["view"]) for c in alice)

        stranger = await stack.sender.send_interaction(
            home_action("checkpoint.approve", card.checkpoint_id, user="U0STRANGER")
        )
        assert stranger.status == 200
        (told,) = await stack.slack.until_call("chat.postEphemeral")
        assert told.args["user"] == "U0STRANGER" and "can't approve" in told.args["text"]

        pressed = await stack.sender.send_interaction(
            home_action("checkpoint.approve", card.checkpoint_id, user="U0BOSS")
        )
        assert pressed.status == 200
        await card_state(stack.slack, mention["ts"], card.ts, "Approved by <@U0BOSS>")
        await stack.slack.until_thread(CHANNEL, mention["ts"], "filed")
        await stack.slack.until_call(
            "views.publish", where=shows("U0BOSS", "Nothing is waiting for your approval")
        )
    finally:
        await stack.stop()


DANA = f"U0DANA{uuid.uuid4().hex[:6].upper()}"


async def test_my_home_lists_my_connected_accounts_only(settings: Settings, stack: Stack) -> None:
    engine = make_engine(settings.database_url)
    store = SqlConnectionStore(engine, Sealer.from_setting(Fernet.generate_key().decode()))
    try:
        mine = Identity(TEAM_ID, DANA, "crm/salesforce")
        await store.write(mine, "tokens", '{"access_token": "secret-a", "token_type": "Bearer"}')
        theirs = Identity(TEAM_ID, "U0ERIN", "docs/notion")
        await store.write(theirs, "tokens", '{"access_token": "secret-b", "token_type": "Bearer"}')
    finally:
        await engine.dispose()

    await open_home(stack, DANA)
    (call,) = await stack.slack.until_call(
        "views.publish", where=shows(DANA, "crm/salesforce", "connected since")
    )
    view = json.dumps(call.args["view"])
    assert "docs/notion" not in view and "secret-a" not in view


def fresh_user(name: str) -> str:
    return f"U0{name}{uuid.uuid4().hex[:6].upper()}"  # nobody the session's Redis has seen


async def test_my_tasks_changes_within_the_window_make_one_publish_of_my_home(
    stack: Stack,
) -> None:
    me = fresh_user("FRAN")
    await open_home(stack, me)
    await stack.slack.until_call("views.publish", where=shows(me, "No tasks yet"))

    await done(stack, "a quick errand", user=me)
    await stack.slack.until_call("views.publish", where=shows(me, "a quick errand", "Done"))

    about_it = [c for c in stack.slack.calls_to("views.publish") if shows(me, "a quick errand")(c)]
    assert len(about_it) == 1, "started and finished within the window: one publish"


async def test_a_home_never_opened_is_not_published_when_its_tasks_change(stack: Stack) -> None:
    never, visitor = fresh_user("GUS"), fresh_user("HAL")
    await open_home(stack, visitor)
    await stack.slack.until_call("views.publish", where=shows(visitor, "No tasks yet"))

    await done(stack, "gus's errand", user=never)
    await done(stack, "hal's errand", user=visitor)
    await stack.slack.until_call("views.publish", where=shows(visitor, "hal's errand", "Done"))

    assert not [c for c in stack.slack.calls_to("views.publish") if shows(never)(c)]
    await open_home(stack, never)
    await stack.slack.until_call("views.publish", where=shows(never, "gus's errand", "Done"))


async def test_without_a_workspace_url_my_home_links_come_from_slack(stack: Stack) -> None:
    me = fresh_user("IDA")
    stack.slack.auth = {k: v for k, v in stack.slack.auth.items() if k != "url"}
    mention = await done(stack, "an errand linked the long way", user=me)

    await open_home(stack, me)
    link = f"/archives/{CHANNEL}/p{mention['ts'].replace('.', '')}"
    await stack.slack.until_call("views.publish", where=shows(me, "the long way", link))
    assert stack.slack.calls_to("chat.getPermalink")
