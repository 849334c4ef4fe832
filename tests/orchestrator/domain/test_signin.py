"""Sign-in rules: which callback may finish a sign-in, which searches ask for one, expiry."""

from __future__ import annotations

from orchestrator.domain.signin import (
    EXCHANGE_FAILED,
    SignInRequest,
    callback_outcome,
    ended_reason,
    ended_result,
    expired,
    waiting_call,
    wanted,
)
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1.0")


def request(**changes: object) -> SignInRequest:
    values: dict[str, object] = {
        "team_id": "T1",
        "user_id": "U0ALICE",
        "connector": "crm/crm",
        "task_id": "task_1",
        "agent_id": "main",
        "call_id": "toolu_1",
        "created_at": 100.0,
        "expires_at": 200.0,
        "pending": "{}",
    }
    values.update(changes)
    return SignInRequest.model_validate(values)


def task_waiting(status: str = "awaiting_sign_in", connector: str = "crm/crm") -> Task:
    call = ToolCall(id="toolu_1", name="find_tools", status=status, sign_in=connector)  # type: ignore[arg-type]
    agent = Agent(id="main", model="m", calls=[call])
    return Task(id="task_1", thread=THREAD, requester="U0ALICE", agents={"main": agent})


def test_only_a_first_fresh_callback_for_a_waiting_call_goes_through() -> None:
    fresh = request()
    assert callback_outcome(fresh, first_use=True, waiting=True, now=150) is None
    assert callback_outcome(None, first_use=True, waiting=True, now=150) == "unknown"
    assert callback_outcome(fresh, first_use=False, waiting=True, now=150) == "used"
    assert callback_outcome(fresh, first_use=True, waiting=True, now=200) == "expired"
    assert callback_outcome(fresh, first_use=True, waiting=False, now=150) == "withdrawn"


def test_the_request_is_bound_to_its_workspace_person_connector_and_call() -> None:
    task = task_waiting()
    assert waiting_call(task, request()) is not None
    assert waiting_call(task, request(team_id="T2")) is None
    assert waiting_call(task, request(user_id="U0BOB")) is None
    assert waiting_call(task, request(connector="crm/other")) is None
    assert waiting_call(task, request(call_id="toolu_2")) is None
    assert waiting_call(task_waiting(status="done"), request()) is None
    assert waiting_call(task_waiting(status="pending"), request()) is not None


def test_a_search_asks_for_the_connector_it_names_or_for_all_when_nothing_matched() -> None:
    missing = ["sales/crm", "sales/mail"]
    assert wanted(missing, "add a crm note", found_any=True) == ["sales/crm"]
    assert wanted(missing, "disk full runbook", found_any=True) == []
    assert wanted(missing, "disk full runbook", found_any=False) == missing
    assert wanted([], "crm", found_any=False) == []


def test_a_wait_expires_at_its_deadline() -> None:
    call = ToolCall(id="t", name="x", status="awaiting_sign_in", sign_in_until=100.0)
    assert not expired(call, 50.0) and expired(call, 100.0)


def test_a_sign_in_that_came_back_unconnected_says_why_in_a_few_words() -> None:
    assert ended_reason("access_denied") == "access_denied"
    assert ended_reason(None) == "access_denied"
    odd = ended_reason("<script>server_error</script>" * 9)
    assert odd.startswith("scriptserver_error") and len(odd) == 40 and "<" not in odd
    told = ended_result("crm/crm", "U1", ended_reason("access_denied"))
    assert "<@U1> did not connect crm: cancelled at the sign-in page" in told
    assert "crm's server refused the sign-in" in ended_result("crm/crm", "U1", EXCHANGE_FAILED)
    assert "ended with 'temporarily_unavailable'" in ended_result(
        "crm/crm", "U1", "temporarily_unavailable"
    )
