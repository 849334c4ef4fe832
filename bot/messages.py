"""Every sentence a person reads — in Slack or on the terminal — as small builder functions.

Messages say what happened and what to do next. Error messages carry a correlation id that is
also in the log, never a stack trace.
"""

from __future__ import annotations

from datetime import UTC, datetime

README = "README.md"

_FAILURES = {
    "model_unavailable": (
        "The model API is overloaded or unreachable, and still was after {attempts} attempts."
        " Nothing was lost: reply in this thread to try again."
    ),
    "model_rejected": (
        "The model API refused the request. An admin can run `threadwork doctor` to check the"
        " model settings; reply in this thread to try again."
    ),
    "budget_exceeded": (
        "This task reached its step or token limit and stopped. Reply to continue, or ask an"
        " admin to raise `limits` in threadwork.yaml."
    ),
    "delivery_failed": "Slack did not accept a message from me. Reply in this thread to try again.",
}
_DEFAULT_FAILURE = (
    "Something went wrong on my side and I stopped. Reply in this thread to try again;"
    " if it keeps happening, give this reference to your admin."
)


_BUDGETS = {
    "turn_steps": (
        "This turn reached its limit of {limit:,} steps and stopped. Reply in this thread to"
        " continue (each message starts a new turn), or ask an admin to raise"
        " `limits.max_steps` in threadwork.yaml."
    ),
    "turn_tokens": (
        "This turn used its limit of {limit:,} tokens and stopped. Reply in this thread to"
        " continue (each message starts a new turn), or ask an admin to raise"
        " `limits.max_tokens` in threadwork.yaml."
    ),
    "task_tokens": (
        "This thread has used {limit:,} tokens in all, the most one thread may use, so I"
        " stopped. Start a new thread to go on, or ask an admin to raise"
        " `limits.max_task_tokens` in threadwork.yaml."
    ),
}


def failure(
    code: str,
    correlation_id: str,
    attempts: int = 0,
    *,
    budget: str | None = None,
    limit: int = 0,
    cost: tuple[str, float, float] | None = None,
) -> str:
    """Why the task stopped and what to do next; `budget` names the limit that was hit, `cost`
    is (scope, spent, limit) for a money ceiling."""
    if cost is not None:
        return f":warning: {cost_limit(*cost)}\nReference: `{correlation_id}`"
    template = _BUDGETS.get(budget or "") if code == "budget_exceeded" else None
    if template is None:
        template = _FAILURES.get(code, _DEFAULT_FAILURE)
    text = template.format(attempts=attempts or "several", limit=limit)
    return f":warning: {text}\nReference: `{correlation_id}`"


def storage_trouble(correlation_id: str) -> str:
    return (
        ":hourglass: I'm having trouble with task storage, so this task is paused; I will retry"
        " and carry on from where I was as soon as it is back. Nothing you asked is lost, and"
        f" there is no need to ask again.\nReference: `{correlation_id}`"
    )


def progress_headline(state: str, steps: int, tokens: int, stopped_by: str | None = None) -> str:
    heads = {
        "working": ":hourglass_flowing_sand: Working on it…",
        "waiting": ":double_vertical_bar: Waiting for approval",
        "done": ":white_check_mark: Done",
        "failed": ":warning: Stopped",
        "stopped": f":black_square_for_stop: {stopped(stopped_by or '')}",
        "asking": ":question: Waiting for your answer",
        "connecting": ":link: Waiting for an account to be connected",
    }
    facts = [f"{steps} step{'s' if steps != 1 else ''}"] if steps else []
    if tokens:
        facts.append(f"{_compact(tokens)} tokens")
    return " · ".join([heads.get(state, state), *facts])


_CALL_MARKS = {
    "done": "✓",
    "failed": "✗",
    "awaiting_approval": "⏸",
    "awaiting_subagents": "⇉",
    "awaiting_sign_in": "🔗",
}


def progress_call(tool: str, status: str, error: str = "") -> str:
    """A tool call's line in the progress reply: a mark for its status, the reason it failed."""
    line = f"{_CALL_MARKS.get(status, '…')} `{tool}`"
    return f"{line}: {error}" if status == "failed" else line


_STATUS = {
    "thinking": "is thinking…",
    "reading_skill": "is reading the {subject}…",
    "finding_tools": "is looking for the right tools…",
    "running_tool": "is running {subject}…",
    "running_code": "is running code…",
    "delegating": "is working with {subject} sub-agents…",
    "waiting_approval": "is waiting for approval",
    "waiting_answer": "is waiting for your answer",
    "waiting_sign_in": "is waiting for an account to be connected",
}
_STATUS_BARE = {
    "reading_skill": "is reading a skill…",
    "running_tool": "is running a tool…",
    "delegating": "is working with sub-agents…",
}


def status_line(kind: str, subject: str = "") -> str:
    """The assistant status under the thread (Slack shows it after the app's name)."""
    if not subject and kind in _STATUS_BARE:
        return _STATUS_BARE[kind]
    return _STATUS.get(kind, "is working…").format(subject=subject.replace("-", " ")[:60])


def plan_title(state: str) -> str:
    return {"done": "Done", "failed": "Stopped", "stopped": "Stopped"}.get(state, "Working on it")


def plan_step(tool: str) -> str:
    """A task card's title for one tool call."""
    return f"Run {tool}"


def plan_subagent(kind: str, brief: str) -> str:
    return f"Sub-agent ({kind}): {brief}"


def connector_unavailable(connector: str, error: str) -> str:
    return f"⚠ connector {connector} is unavailable: {error}"


def stopped(by: str) -> str:
    return f"Stopped by <@{by}>" if by else "Stopped"


def stopped_note(by: str) -> str:
    return (
        f":black_square_for_stop: {stopped(by)}. Nothing more runs for this request;"
        " reply in this thread to start again."
    )


def question(text: str) -> str:
    return f":question: {text}"


def question_hint(requester: str, has_options: bool, expires_at: float | None = None) -> str:
    how = "Pick an option or reply" if has_options else "Reply"
    until = f" (until {when(expires_at)})" if expires_at else ""
    return f"For <@{requester}>: {how} in this thread to answer; I wait until then{until}."


def question_from(subagent: str) -> str:
    return f"Asked by the sub-agent _{subagent}_ working on this task."


def question_answered(by: str, answer: str) -> str:
    return f":speech_balloon: <@{by}> answered: *{answer}*" if by else f"Answered: *{answer}*"


def question_withdrawn() -> str:
    return "Withdrawn: the task moved on before it was answered."


def question_expired() -> str:
    return ":hourglass: Expired unanswered; the task went on without an answer."


def stop_button() -> str:
    return "Stop"


def control_notice(code: str, requester: str | None) -> str:
    asked = f"<@{requester}> (who asked)" if requester else "the person who asked"
    texts = {
        "not_allowed_to_stop": (
            f"You can't stop this task: only {asked}, an approver or an admin can."
            " It keeps running; nothing has changed."
        ),
        "nothing_to_stop": "This task has already finished, so there is nothing to stop.",
        "not_the_requester": (
            f"Only {asked} can answer this question. Reply in the thread if you want to add"
            " something; nothing has changed."
        ),
        "question_closed": (
            "This question was already answered, withdrawn or expired; nothing has changed."
        ),
        "feedback_noted": "Thanks for the feedback: it is recorded with this task.",
        "unknown_task": (
            "I can't find a task for this thread: it finished long ago or never started here."
            " Nothing was changed."
        ),
        "request_closed": (
            "This request was already answered, declined or expired; nothing has changed."
        ),
    }
    return texts[code]


def elicitation_headline(server: str, message: str) -> str:
    return f":clipboard: *{server}* asks: {message}"


def elicitation_hint(requester: str, mode: str, expires_at: float | None) -> str:
    how = "Open the link" if mode == "url" else "Fill in the form"
    until = f" until {when(expires_at)}" if expires_at else ""
    return (
        f"For <@{requester}>: {how}, or decline. The tool call waits{until}; then the connector"
        " is told nobody answered."
    )


def elicitation_buttons() -> tuple[str, str, str]:
    """(form button, link button, decline button)."""
    return "Open form", "Open link", "Decline"


def elicitation_outcome(state: str, by: str | None) -> str:
    who = f"<@{by}>" if by else "Someone"
    return {
        "accept": f":white_check_mark: {who} answered; the connector goes on.",
        "decline": f":no_entry_sign: {who} declined; the connector was told.",
        "cancel": ":hourglass: Nobody answered in time; the connector was told it was cancelled.",
    }.get(state, "")


def elicitation_form(server: str) -> tuple[str, str, str]:
    """(modal title, submit, close) of a connector's form."""
    return server[:24] or "Connector", "Send", "Cancel"


def elicitation_yes() -> str:
    return "Yes"


def empty_answer() -> str:
    return "_(The model finished without writing an answer.)_"


def answer_reference(task_id: str) -> str:
    """The footer under every answer: the id `threadwork runs show` takes."""
    return f"Task `{task_id}` · its full record: `threadwork runs show {task_id}`"


def feedback_buttons() -> tuple[tuple[str, str], tuple[str, str]]:
    """((text, accessibility label) of 👍, the same of 👎) under every answer."""
    return ("👍", "This answer helped"), ("👎", "This answer did not help")


def feedback_dialog() -> tuple[str, str, str, str]:
    """(title, label, hint, submit) of the dialog a 👎 opens."""
    return (
        "What went wrong?",
        "Tell us what was missing or wrong (optional)",
        "For example: it used last quarter's numbers",
        "Send",
    )


def answer_truncated(cut_chars: int) -> str:
    return f"_…{cut_chars:,} more characters were cut to fit a Slack message._"


def missing_credentials(names: list[str]) -> str:
    listed = ", ".join(names)
    verb = "is" if len(names) == 1 else "are"
    return (
        f"Threadwork can't start: {listed} {verb} not set. Create the Slack app from manifest.yml,"
        " put its tokens and your Anthropic API key in the environment (or in a .env file next to"
        " where you run it) and run the command again; the README's 'Create the Slack app'"
        f" section ({README}) walks through it, and `threadwork doctor` checks the result."
    )


def config_invalid(path: object, errors: tuple[str, ...]) -> str:
    lines = "\n".join(f"  - {e}" for e in errors)
    return (
        f"Threadwork can't start: {path} has problems:\n{lines}\n"
        "Fix them (threadwork.example.yaml documents every key) and run the command again."
    )


def startup_failed(what: str, detail: str, fix: str) -> str:
    return f"Threadwork can't start: {what} ({detail}). {fix}"


def _compact(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}k"
    return str(n)


def no_runs(channel: str | None = None, thread: tuple[str, str] | None = None) -> str:
    where = f" in channel {channel}" if channel else ""
    if thread is not None:
        where = f" in thread {thread[1]} of channel {thread[0]}"
    return (
        f"No runs are recorded{where} yet: `threadwork serve` records every task it works on,"
        " and they show up here."
    )


def not_a_thread(text: str) -> str:
    return (
        f"{text!r} does not name a thread: paste the thread's link (Copy link in Slack),"
        " or give CHANNEL:TS, or a TS with --channel."
    )


def unknown_run(task_id: str) -> str:
    return (
        f"No run with id {task_id!r} is recorded. `threadwork runs list` shows the recorded runs"
        " and their ids."
    )


def run_not_summarised() -> str:
    return "(no summary recorded yet: the task is still in its first turn)"


def run_has_no_activity() -> str:
    return "(no activity recorded for this task)"


def outbox_waiting(rows: int, *, sql_up: bool) -> str:
    """Activity rows kept in Redis while the database was (or is) unreachable."""
    state = (
        "the database answers again: workers are writing them now, oldest first"
        if sql_up
        else "the database is unreachable: tasks go on, and the rows are written in order once it answers"
    )
    return f"{rows:,} activity row(s) wait in the Redis outbox; {state}."


def activity_log_unreachable(where: str, detail: str) -> str:
    return (
        f"Threadwork can't read the activity log: the database at {where} did not answer"
        f" ({detail}). Check that it is running and that DATABASE_URL points at it."
    )


def no_connections() -> str:
    return (
        "No connector accounts connected yet. People connect theirs the first time a task needs"
        " one (a Connect button in Slack)."
    )


def oauth_half_set(missing: str, present: str) -> str:
    return (
        f"{present} is set but {missing} is not; set both to install in many workspaces"
        f" (/slack/install), or unset {present} to use one with SLACK_BOT_TOKEN"
    )


def oauth_installs(count: int) -> str:
    where = "1 workspace" if count == 1 else f"{count} workspaces"
    return f"workspaces install through /slack/install (OAuth); installed in {where}"


def secret_key_missing() -> str:
    return "not set: connectors that need a sign-in stay off (tokens are sealed with this key)"


def sandbox_fix() -> str:
    return (
        "run_code needs bubblewrap (`./dev serve` installs it and the sandbox's Python packages)"
        " and user namespaces: `sysctl -w user.max_user_namespaces=15000` (Debian also"
        " `kernel.unprivileged_userns_clone=1`, Ubuntu 24.04+"
        " `kernel.apparmor_restrict_unprivileged_userns=0`); in Docker add `--security-opt"
        " seccomp=unconfined --security-opt apparmor=unconfined`. See README, Execution."
    )


def secret_key_fix() -> str:
    return (
        'Set THREADWORK_SECRET_KEY to a Fernet key, e.g. the output of `python -c "from'
        ' cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`; to rotate,'
        " put the new key first and keep the old one after a comma."
    )


def setting_invalid(name: str, problem: str) -> str:
    return (
        f"threadwork: {name} is not valid ({problem}). Set it to a valid value or unset it;"
        f" the Configuration section of {README} lists every variable and its default."
    )


def not_a_positive_number(text: str) -> str:
    return f"{text!r} is not a positive whole number"


# -- checkpoints -----------------------------------------------------------------------------------

_RISKS = {
    "destructive": ":warning: may delete or overwrite data",
    "open_world": ":globe_with_meridians: reaches systems outside this workspace",
    "idempotent": ":repeat: safe to repeat",
}


def when(epoch: float) -> str:
    """A Slack date token: shown in each reader's time zone, UTC text as the fallback."""
    fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(epoch)}^{{date_short_pretty}} at {{time}}|{fallback}>"


def approvers(requester: str | None, users: tuple[str, ...], groups: tuple[str, ...]) -> str:
    names = [f"<@{u}>" for u in users] + [f"<!subteam^{g}>" for g in groups]
    if requester:
        names.insert(0, f"<@{requester}> (who asked)")
    if not names:
        return "nobody (ask an admin to set `approvals.approvers` in threadwork.yaml)"
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def card_title(tool: str, server: str) -> str:
    return f":raised_hand: *Approval needed* to run `{tool}` on `{server}`"


def card_why(why: str) -> str:
    return f"*Why:* {why}"


def card_read_before(tools: list[str]) -> str:
    """The connector tools whose output the model read before it asked for this call."""
    names = ", ".join(f"`{tool}`" for tool in tools)
    return (
        f":mag: Before asking, I read the output of {names}. Tool output can carry instructions"
        " that did not come from you: approve only if this is what you asked for."
    )


def card_risks(destructive: bool, open_world: bool, idempotent: bool) -> str:
    flags = {"destructive": destructive, "open_world": open_world, "idempotent": idempotent}
    return "  ·  ".join(_RISKS[k] for k, on in flags.items() if on) or "No risk hints"


def card_people(requester: str, who_may: str, expires_at: float) -> str:
    return f"Asked by <@{requester}> · Approvers: {who_may} · Expires {when(expires_at)}"


def card_runs_as(user: str | None, shared: bool) -> str | None:
    """Whose connector account an approved call uses, when it uses one."""
    if user:
        return f":bust_in_silhouette: Runs as <@{user}> (their own account)"
    if shared:
        return ":busts_in_silhouette: Runs as the workspace's shared account"
    return None


def card_status(
    status: str,
    *,
    by: str | None,
    at: float | None,
    reason: str | None,
    outcome: str,
    duration_ms: int | None,
    attempts: int,
    started_at: float | None,
) -> str:
    by_at = f"<@{by}> at {when(at)}" if by and at else "a person"
    approved = f":white_check_mark: Approved by {by_at}"
    took = f" in {duration_ms:,} ms" if duration_ms is not None else ""
    lines = {
        "approved": f"{approved}\n:hourglass_flowing_sand: Starting…",
        "executing": f"{approved}\n:hourglass_flowing_sand: Running…",
        "done": f"{approved}\n:heavy_check_mark: Ran{took}: {outcome}",
        "failed": f"{approved}\n:x: Failed{took}: {outcome}",
        "rejected": f":no_entry: Rejected by {by_at}"
        + (f": {reason}" if reason else " (no reason given)"),
        "expired": f":hourglass: Expired at {when(at) if at else 'its deadline'}; nothing was run.",
        "cancelled": f":heavy_multiplication_x: Withdrawn: {reason or 'no longer needed'}. Nothing was run.",
        "unknown": (
            f":grey_question: Outcome unknown: it started"
            f"{' at ' + when(started_at) if started_at else ''} (attempt {attempts}) and the"
            " worker running it stopped before recording a result. Check the target system, then"
            " choose *Retry*, *Mark done* or *Abort*."
        ),
    }
    return lines.get(status, status)


def button(label: str) -> str:
    return {
        "approve": "Approve",
        "reject": "Reject",
        "retry": "Retry",
        "mark_done": "Mark done",
        "abort": "Abort",
    }[label]


def confirm_destructive(tool: str) -> tuple[str, str, str, str]:
    """(title, text, confirm, deny) of the dialog before approving a destructive call."""
    return (
        "Approve a destructive action?",
        f"`{tool}` may delete or overwrite data, and it cannot be undone from here.",
        "Approve and run",
        "Cancel",
    )


def reject_dialog() -> tuple[str, str, str, str]:
    """(title, label, hint, submit) of the reject reason dialog."""
    return (
        "Reject request",
        "Reason (the model sees it and re-plans)",
        "For example: use the staging project instead",
        "Reject",
    )


def notice(
    code: str,
    *,
    tool: str = "",
    who_may: str = "",
    status: str = "",
    by: str | None = None,
    expires_at: float | None = None,
    started_at: float | None = None,
    executed_by: str | None = None,
    attempts: int = 0,
) -> str:
    decided = f" by <@{by}>" if by else ""
    texts = {
        "not_an_approver": (
            f"You can't approve or reject `{tool}`: only {who_may} can. Ask one of them to"
            " decide on the card; nothing has changed."
        ),
        "own_destructive_action": (
            f"`{tool}` is destructive and you asked for it, so someone else must approve it:"
            f" {who_may}. Nothing has changed."
        ),
        "wrong_place": (
            "This approval card belongs to another conversation, so this click did nothing."
            " Decide on the card in its own thread."
        ),
        "unknown_checkpoint": (
            "I can't find this approval request: it was cleaned up or never existed. Nothing was"
            " run. Ask me again in the thread if it is still needed."
        ),
        "already_decided": f"{_already(status, decided)} Your click changed nothing.",
        "reminder": (
            f":bell: Reminder for {who_may}: `{tool}` is still waiting for approval on the card"
            f" above{'; it expires ' + when(expires_at) if expires_at else ''}."
        ),
        "outcome_unknown": (
            f":grey_question: I can't tell whether `{tool}` ran: it started"
            f"{' at ' + when(started_at) if started_at else ''} (attempt {attempts}"
            f"{', on ' + executed_by if executed_by else ''}) and that worker stopped before"
            f" recording a result. It was not run again. {who_may}: check the target system,"
            " then choose Retry, Mark done or Abort on the card above."
        ),
    }
    return texts[code]


def _already(status: str, decided: str) -> str:
    states = {
        "approved": f"This request was already approved{decided}.",
        "executing": f"This request was already approved{decided} and is running.",
        "done": f"This request was already approved{decided} and has run.",
        "failed": f"This request was already approved{decided}; it ran and failed.",
        "rejected": f"This request was already rejected{decided}.",
        "expired": "This request already expired; nothing was run.",
        "cancelled": "This request was already cancelled (withdrawn); nothing was run.",
        "unknown": "This request is waiting for Retry, Mark done or Abort after an unknown outcome.",
        "pending": "This request is still waiting for approval.",
    }
    return states.get(status, f"This request is already {status}.")


# -- sub-agents ------------------------------------------------------------------------------------


def subagent_headline(kind: str, state: str, steps: int, tokens: int) -> str:
    heads = {
        "working": ":hourglass_flowing_sand: working",
        "waiting": ":double_vertical_bar: waiting for approval",
        "done": ":white_check_mark: done",
        "failed": ":x: failed",
    }
    facts = [f"{steps} step{'s' if steps != 1 else ''}"] if steps else []
    if tokens:
        facts.append(f"{_compact(tokens)} tokens")
    return " · ".join([f":robot_face: Sub-agent `{kind}`", heads.get(state, state), *facts])


def subagent_brief(brief: str) -> str:
    return f"*Brief:* {brief}"


def subagent_result(state: str, text: str) -> str:
    return f"*Why it stopped:* {text}" if state == "failed" else f"*Result:* {text}"


# Cost


def money(usd: float) -> str:
    """`$1.23`; an amount under a cent shows its first digits (`$0.0042`), not `$0.00`."""
    if 0 < usd < 0.01:
        return f"${usd:.4f}"
    return f"${usd:,.2f}"


def call_cost(usd: float) -> str:
    """One model call's cost, to a hundredth of a cent (`$0.0615`)."""
    return f"${usd:.4f}"


def input_breakdown(uncached: int, written: int, read: int) -> str:
    total = uncached + written + read
    return (
        f"{total:,} in ({uncached:,} uncached, {written:,} written to the cache,"
        f" {read:,} read from it)"
    )


def unpriced(calls: int) -> str:
    return (
        f"{calls:,} model call{'s' if calls != 1 else ''} of a model with no price: add it under"
        " `pricing:` in threadwork.yaml"
    )


def usage_headline(start: datetime | None, tasks: int, cost_usd: float) -> str:
    window = f"since {start:%Y-%m-%d %H:%M} UTC" if start else "all time"
    return f"Spend {window}: {money(cost_usd)} over {tasks:,} task{'s' if tasks != 1 else ''}"


def usage_tokens(input_tokens: int, cache_read: int, output_tokens: int) -> str:
    share = f" ({cache_read / input_tokens:.0%} read from the cache)" if input_tokens else ""
    return f"Tokens: {input_tokens:,} in{share}, {output_tokens:,} out"


def usage_unpriced(calls: int) -> str:
    return f"Not counted: {unpriced(calls)}."


def no_usage(start: datetime | None, channel: str | None, user: str | None) -> str:
    where = [f"in channel {channel}" if channel else "", f"started by {user}" if user else ""]
    scope = " ".join(w for w in where if w)
    window = f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
    return (
        f"No tasks {scope + ' ' if scope else ''}were recorded{window}. Tasks are recorded by"
        " `threadwork serve` / `threadwork worker` in DATABASE_URL."
    )


def not_a_duration(text: str) -> str:
    return f"{text!r} is not a duration: use a number and a unit, such as 30m, 24h or 7d."


def cost_limit(scope: str, spent_usd: float, limit_usd: float) -> str:
    if scope == "channel":
        return (
            f"This channel has spent {money(spent_usd)} on the model this month, which reaches"
            f" its monthly limit of {money(limit_usd)}, so I stopped. The limit resets on the"
            " first of the month (UTC); an admin can raise"
            " `limits.max_cost_per_channel_month_usd` in threadwork.yaml."
        )
    return (
        f"This task has cost {money(spent_usd)} in model calls, which reaches its limit of"
        f" {money(limit_usd)}, so I stopped. Start a new thread to begin afresh, or ask an"
        " admin to raise `limits.max_cost_per_task_usd` in threadwork.yaml."
    )


# App Home

_TASK_STATES = {
    "queued": ":hourglass: Queued",
    "running": ":hourglass_flowing_sand: Working",
    "awaiting_approval": ":double_vertical_bar: Waiting for approval",
    "awaiting_input": ":question: Waiting for an answer",
    "completed": ":white_check_mark: Done",
    "failed": ":warning: Failed",
    "cancelled": ":black_square_for_stop: Stopped",
}


def home_headers() -> tuple[str, str, str]:
    """The App Home's three sections: tasks, approvals, accounts."""
    return "Your recent tasks", "Waiting for your approval", "Your connected accounts"


def home_empty(section: str) -> str:
    return {
        "tasks": "No tasks yet: mention @threadwork in a channel, or write to it here in Messages.",
        "approvals": "Nothing is waiting for your approval.",
        "accounts": (
            "No accounts connected. When a task needs one of your accounts, it asks you to"
            " connect it in the thread."
        ),
    }[section]


def home_task(title: str, status: str, tokens: int, cost_usd: float, channel: str) -> str:
    facts = [_TASK_STATES.get(status, status), f"in <#{channel}>"]
    if tokens:
        facts.append(f"{_compact(tokens)} tokens")
    if cost_usd:
        facts.append(money(cost_usd))
    return f"*{title or '(untitled task)'}*\n" + " · ".join(facts)


def home_approval(tool: str, server: str, requester: str, where: str, expires_at: float) -> str:
    return (
        f":raised_hand: `{tool}` on `{server}`, asked by <@{requester}> in {where}"
        f"\nExpires {when(expires_at)}"
    )


def home_account(connector: str, connected: bool, since: float) -> str:
    state = (
        f"connected since {when(since)}" if connected else "signed out: connect it again when asked"
    )
    return f"• `{connector}`: {state}"


# The assistant's suggested prompts


def suggestions_title() -> str:
    return "Try one of these:"


def suggestion(kind: str, name: str, description: str) -> tuple[str, str]:
    """(title, message) of one suggested prompt: what the button says, what it sends."""
    label = name.split(":", 1)[-1].replace("-", " ").replace("_", " ")
    title = f"{label[:1].upper()}{label[1:]}"
    if kind == "command":  # a prompt is sent as it is: no placeholder for the arguments
        return title, f"/{name}"
    return title, f"Use the {name} skill: {description}"


def default_suggestions() -> list[tuple[str, str]]:
    """Suggested when no plugin is enabled in the conversation."""
    return [
        ("What can you do?", "What can you do for me here, and which tools can you use?"),
        ("Summarise a thread", "Summarise this thread and list its open questions: "),
    ]


# /threadwork

SLASH = "/threadwork"


def command_help(unknown: str = "") -> str:
    lead = f"I don't know `{SLASH} {unknown}`. " if unknown else ""
    return (
        f"{lead}*{SLASH}* commands (only you see the answers):\n"
        f"• `{SLASH} status`: your tasks that are still running or waiting\n"
        f"• `{SLASH} usage`: tokens and cost this month, yours and this channel's\n"
        f"• `{SLASH} help`: this list\n"
        "To start a task, mention @threadwork in a thread or write to it in Messages."
    )


def command_status(count: int) -> str:
    if not count:
        return "You have no task running or waiting right now."
    return f"You have {count} task{'s' if count != 1 else ''} running or waiting:"


def command_task(title: str, status: str, tokens: int, channel: str) -> str:
    return home_task(title, status, tokens, 0.0, channel)


def command_usage(
    who: str, tasks: int, input_tokens: int, output_tokens: int, cost_usd: float, unpriced: int
) -> str:
    text = (
        f"*{who}*: {tasks:,} task{'s' if tasks != 1 else ''}, {input_tokens:,} tokens in,"
        f" {output_tokens:,} out, {money(cost_usd)}"
    )
    return text + (f" (+ {unpriced_calls_short(unpriced)})" if unpriced else "")


def unpriced_calls_short(calls: int) -> str:
    return f"{calls:,} unpriced model call{'s' if calls != 1 else ''}"


def command_usage_header(since: float) -> str:
    month = datetime.fromtimestamp(since, UTC).strftime("%B %Y")
    return f"Model use in {month} (UTC):"


def command_usage_whose(channel: str) -> tuple[str, str]:
    return "You, in every channel", f"Everyone in <#{channel}>"


# Connecting connector accounts (sign-in)


def sign_in_prompt(connector: str, expires_at: float) -> str:
    return (
        f":link: Threadwork needs your {connector} account to continue. Only you see this."
        f" The link works once and expires {when(expires_at)}; the thread goes on by itself"
        " once you are connected."
    )


def sign_in_button(connector: str) -> str:
    return f"Connect {connector}"


_PAGES: dict[str, tuple[str, str]] = {
    "connected": (
        "Connected",
        "Your {connector} account is connected. You can close this page: the thread in Slack"
        " goes on by itself.",
    ),
    "unknown": (
        "Unknown sign-in link",
        "This sign-in link is not one Threadwork sent, or it is too old. Nothing was connected."
        " Ask again in Slack to get a new link.",
    ),
    "used": (
        "Link already used",
        "This sign-in link was already used. Nothing else was changed. If the thread is still"
        " waiting, ask again in Slack to get a new link.",
    ),
    "expired": (
        "Link expired",
        "This sign-in link expired before it came back. Nothing was connected. Ask again in"
        " Slack to get a new link.",
    ),
    "withdrawn": (
        "No longer needed",
        "The thread moved on, so this sign-in request was withdrawn. Nothing was connected."
        " Ask again in Slack if you still need {connector}.",
    ),
    "declined": (
        "Sign-in cancelled",
        "The sign-in to {connector} was cancelled, so nothing was connected. You can close this"
        " page: the thread in Slack goes on without it. To connect {connector} later, ask again"
        " in that thread and use the new Connect button.",
    ),
    "failed": (
        "Sign-in failed",
        "{connector} did not accept the sign-in, so nothing was connected. Try again from"
        " Slack; if it keeps failing, tell your admin (reference: {correlation_id}).",
    ),
}


def sign_in_page(outcome: str, connector: str, correlation_id: str) -> tuple[str, str]:
    """(title, text) of the page the browser lands on after a connector sign-in."""
    title, text = _PAGES.get(outcome, _PAGES["unknown"])
    return title, text.format(connector=connector or "the", correlation_id=correlation_id)


# Shared connections and disconnecting (CLI)


def sign_ins_off() -> str:
    return (
        "Connector sign-ins are off: set THREADWORK_SECRET_KEY and THREADWORK_PUBLIC_URL (see"
        " `threadwork doctor`), and run the bot so the sign-in can come back to it."
    )


def not_shared(connector: str, mode: str) -> str:
    if mode == "per_user":
        return (
            f"{connector} is connected by each person (connection: per_user): they are asked in"
            " Slack the first time they need it. Set `connection: shared` in threadwork.yaml to"
            " connect one account for everyone."
        )
    return f"{connector} needs no sign-in (or is not a connector of an installed plugin)."


def team_needed() -> str:
    return "Which workspace? Pass --team T… (the team id, as `threadwork connections list` shows)."


def connect_shared_link(connector: str, team_id: str, url: str) -> str:
    return (
        f"Open this link to connect the account {connector} uses for everyone in {team_id}:\n"
        f"{url}\nWaiting for the sign-in to come back to the bot (Ctrl-C to give up)…"
    )


def connected_shared(connector: str, team_id: str) -> str:
    return f"Connected: {connector} now runs with that account for everyone in {team_id}."


def connect_timed_out(connector: str) -> str:
    return f"The sign-in link for {connector} expired before it came back; run the command again."


def revocation_failed(connector: str, reason: str) -> str:
    return (
        f"Could not revoke the tokens of {connector} at its server ({reason}); deleting them here."
    )


def no_such_connection(connector: str, team: str, user: str) -> str:
    who = user or "the shared account"
    return f"No connection of {connector} for {who} in {team} (see `threadwork connections list`)."


def disconnected(connector: str, team: str, user: str, revoked: bool) -> str:
    who = user or "the shared account"
    at_server = (
        "its tokens were revoked at the server"
        if revoked
        else "the server offers no revocation, so its tokens were deleted here only"
    )
    return f"Disconnected {connector} for {who} in {team}: {at_server}."


def home_disconnect() -> tuple[str, str, str, str, str]:
    """(button, confirm title, confirm text, confirm, deny) of an account's Disconnect."""
    return (
        "Disconnect",
        "Disconnect this account?",
        "Threadwork will no longer act with it; the server is asked to revoke its tokens. You"
        " are asked to connect again the next time a task needs it.",
        "Disconnect",
        "Keep it",
    )
