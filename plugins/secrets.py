"""Refuse credentials written literally in the admin config: they belong in `${ENV}` references.

The checks are heuristics on names and shapes (Bearer tokens, `sk-…`, `xoxb-…`, long random
strings); a false alarm costs the admin one environment variable, a miss leaks a secret into
version control.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from plugins.variables import without_variables

_SECRET_NAME = re.compile(
    r"auth|token|secret|passw|api[-_]?key|credential|cookie|session|key$", re.IGNORECASE
)
_SECRET_SHAPE = re.compile(
    r"\b(?:Bearer|Basic|Token)\s+\S{6,}"
    r"|\bsk-[A-Za-z0-9_-]{8,}"
    r"|\bxox[abprse]-[A-Za-z0-9-]{8,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{16,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{16,}"
    r"|\bAKIA[A-Z0-9]{12,}",
    re.IGNORECASE,
)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_+=-]{32,}")
_HINT = "put the value in an environment variable and write it as ${ENV_VAR}"


def check_headers(headers: dict[str, str]) -> None:
    for name, value in headers.items():
        _check(name, value, name_is_secret=bool(_SECRET_NAME.search(name)))


def check_env(env: dict[str, str]) -> None:
    for name, value in env.items():
        _check(name, value, name_is_secret=bool(_SECRET_NAME.search(name)))


def check_url(url: str) -> None:
    query = urlsplit(without_variables(url)).query
    for name, value in parse_qsl(query):
        if value and _SECRET_NAME.search(name):
            raise ValueError(f"query parameter {name!r} holds a literal credential; {_HINT}")
    if urlsplit(without_variables(url)).password:
        raise ValueError(f"the url holds a literal password; {_HINT}")


def _check(name: str, value: str, *, name_is_secret: bool) -> None:
    literal = without_variables(value)
    if _SECRET_SHAPE.search(literal) or _random_looking(literal):
        raise ValueError(f"{name}: {_shown(value)} looks like a literal credential; {_HINT}")
    # A secret-named key may keep a literal prefix ("Bearer ${TOKEN}") but needs a reference.
    if name_is_secret and literal.strip() and literal == value and not _harmless(literal):
        raise ValueError(f"{name}: {_shown(value)} looks like a literal credential; {_HINT}")


def _random_looking(literal: str) -> bool:
    # Long runs of letters and digits (API keys); paths and words rarely mix both for 32 chars.
    return any(
        re.search(r"\d", token) and re.search(r"[A-Za-z]", token)
        for token in _LONG_TOKEN.findall(literal)
    )


def _harmless(literal: str) -> bool:
    # Flags such as "true", "1" or "none" under a secret-sounding name are not secrets.
    return literal.strip().lower() in {"true", "false", "0", "1", "none", "yes", "no"}


def _shown(value: str) -> str:
    return repr(value[:6] + "…") if len(value) > 8 else repr(value)
