"""Every sentence a person reads — in Slack or on the terminal — as small builder functions.

Messages say what happened and what to do next. Error messages carry a correlation id that is
also in the log, never a stack trace.
"""

from __future__ import annotations

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


def failure(code: str, correlation_id: str, attempts: int = 0) -> str:
    text = _FAILURES.get(code, _DEFAULT_FAILURE).format(attempts=attempts or "several")
    return f":warning: {text}\nReference: `{correlation_id}`"


def progress_headline(state: str, steps: int, tokens: int) -> str:
    heads = {
        "working": ":hourglass_flowing_sand: Working on it…",
        "waiting": ":double_vertical_bar: Waiting for approval",
        "done": ":white_check_mark: Done",
        "failed": ":warning: Stopped",
    }
    facts = [f"{steps} step{'s' if steps != 1 else ''}"] if steps else []
    if tokens:
        facts.append(f"{_compact(tokens)} tokens")
    return " · ".join([heads.get(state, state), *facts])


def empty_answer() -> str:
    return "_(The model finished without writing an answer.)_"


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
