"""manifest.yml asks Slack for exactly what the bot uses: its events, the scopes they and its Web
API calls need, the slash command, interactivity — nothing it does not use.

What the bot uses is read from its source (`bot/**/*.py`): the Bolt listeners it registers
(`app.event("…")`, `app.command("…")`, …) and every Web API method it calls on a client (any
attribute named like a slack_sdk `AsyncWebClient` method). Scopes are derived from those through
the tables below, one row per Slack method or event, so a call or listener added without its
manifest entry fails here (in a real workspace Slack would answer `missing_scope` or never send
the event), and a scope or event left in the manifest after its last use fails too.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
BOT = ROOT / "bot"

# A `message` listener hears the conversation types the manifest subscribes to: the bot works in
# threads of public and private channels and in direct messages.
MESSAGE_EVENTS = frozenset({"message.channels", "message.groups", "message.im"})

EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_mention": frozenset({"app_mentions:read"}),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
    "reaction_added": frozenset({"reactions:read"}),
    "app_home_opened": frozenset(),
    "agent_session_stopped": frozenset({"assistant:write"}),
    "assistant_thread_started": frozenset({"assistant:write"}),
    "app_uninstalled": frozenset(),
    "tokens_revoked": frozenset(),
}

# Web API methods (as slack_sdk spells them) and the bot scopes each needs where the bot uses it.
_HISTORY = frozenset({"channels:history", "groups:history", "im:history"})
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth_test": frozenset(),
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_delete": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "chat_startStream": frozenset({"chat:write"}),
    "chat_appendStream": frozenset({"chat:write"}),
    "chat_stopStream": frozenset({"chat:write"}),
    "chat_stream": frozenset({"chat:write"}),
    "chat_getPermalink": frozenset(),
    # chat:write is enough since 2026-03 (Slack changelog), in channels and DMs alike.
    "assistant_threads_setStatus": frozenset({"chat:write"}),
    "assistant_threads_setSuggestedPrompts": frozenset({"assistant:write"}),
    "assistant_threads_setTitle": frozenset({"assistant:write"}),
    "agents_sessions_setStatus": frozenset({"assistant:write"}),
    "reactions_add": frozenset({"reactions:write"}),
    "reactions_remove": frozenset({"reactions:write"}),
    "users_info": frozenset({"users:read"}),
    "users_list": frozenset({"users:read"}),
    "usergroups_users_list": frozenset({"usergroups:read"}),
    "usergroups_list": frozenset({"usergroups:read"}),
    # Threads are read wherever the bot works: public and private channels, direct messages.
    "conversations_replies": _HISTORY,
    "conversations_history": _HISTORY,
    "files_upload_v2": frozenset({"files:write"}),
    "files_getUploadURLExternal": frozenset({"files:write"}),
    "files_completeUploadExternal": frozenset({"files:write"}),
    "files_info": frozenset({"files:read"}),
    "views_open": frozenset(),
    "views_update": frozenset(),
    "views_push": frozenset(),
    "views_publish": frozenset(),
}

# What the bot reads with its token outside the Web API: a shared file's download link.
TOKEN_READS: dict[str, frozenset[str]] = {"url_private_download": frozenset({"files:read"})}

WEB_API = frozenset(m for m in dir(AsyncWebClient) if not m.startswith("_") and "_" in m) - {
    "api_call",
    "base_url",
    "retry_handlers",
}
INTERACTIVE_LISTENERS = frozenset({"action", "view", "shortcut", "block_action", "options"})


def load_manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


@functools.cache
def bot_sources() -> list[tuple[Path, ast.Module]]:
    return [
        (p, ast.parse(p.read_text(encoding="utf-8"), str(p))) for p in sorted(BOT.rglob("*.py"))
    ]


def listeners(tree: ast.AST) -> list[tuple[str, Any]]:
    """(`event`/`action`/…, first argument) of every `<x>.event(...)`-style registration."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        kind = node.func.attr
        if kind not in {"event", "message", "command", *INTERACTIVE_LISTENERS} or not node.args:
            continue
        try:
            found.append((kind, ast.literal_eval(node.args[0])))
        except ValueError:
            continue  # e.g. a compiled regex; not an event name
    return found


def registered(kind: str) -> set[str]:
    """Every event (or command) name the app registers a listener for."""
    names: set[str] = set()
    for _path, tree in bot_sources():
        for found, arg in listeners(tree):
            if found == kind:
                names.add(str(arg.get("type") if isinstance(arg, dict) else arg))
            elif kind == "event" and found == "message":
                names.add("message")
    return names


def names_in_code() -> set[str]:
    """Every attribute, name and keyword used in the bot's source."""
    names = set()
    for _path, tree in bot_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.keyword) and node.arg:
                names.add(node.arg)
    return names


def called_methods() -> set[str]:
    return names_in_code() & WEB_API


def bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["settings"]["event_subscriptions"]["bot_events"])


def bot_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


def slash_commands(manifest: dict[str, Any]) -> set[str]:
    return {c["command"] for c in manifest.get("features", {}).get("slash_commands") or []}


def events_needed() -> set[str]:
    events = registered("event")
    if "message" in events:
        events = (events - {"message"}) | MESSAGE_EVENTS
    return events


def scopes_used() -> dict[str, set[str]]:
    """Scope → what in the code needs it (a method, an event, a command)."""
    used: dict[str, set[str]] = {}
    for method in called_methods():
        for scope in METHOD_SCOPES[method]:
            used.setdefault(scope, set()).add(method)
    for event in events_needed():
        for scope in EVENT_SCOPES[event]:
            used.setdefault(scope, set()).add(event)
    for name in names_in_code() & TOKEN_READS.keys():
        for scope in TOKEN_READS[name]:
            used.setdefault(scope, set()).add(name)
    for command in registered("command"):
        used.setdefault("commands", set()).add(command)
    return used


def test_the_bot_is_named_threadwork() -> None:
    manifest = load_manifest()
    assert manifest["display_information"]["name"] == "Threadwork"
    assert len(manifest["display_information"]["description"]) <= 140
    assert manifest["features"]["bot_user"]["display_name"] == "threadwork"


def test_source_scan_finds_the_listeners_and_calls_the_app_makes() -> None:
    # Guards the scan itself: if it found nothing, every check below would pass vacuously.
    assert {"app_mention", "message", "app_home_opened"} <= registered("event")
    assert {"chat_postMessage", "chat_update", "views_publish"} <= called_methods()
    assert registered("command") == {"/threadwork"}


def test_every_method_the_bot_calls_has_a_row_in_the_scope_table() -> None:
    unknown = called_methods() - METHOD_SCOPES.keys()
    assert not unknown, f"the bot calls {sorted(unknown)}: add their scopes to METHOD_SCOPES"


def test_events_subscribed_are_exactly_those_the_app_listens_to() -> None:
    subscribed = set(bot_events(load_manifest()))
    needed = events_needed()
    assert not needed - subscribed, f"the app listens to {sorted(needed - subscribed)}"
    assert not subscribed - needed, f"nothing listens to {sorted(subscribed - needed)}; drop them"
    assert needed <= EVENT_SCOPES.keys(), "extend EVENT_SCOPES with the new event's scopes"


def test_every_scope_the_code_uses_is_requested() -> None:
    requested = bot_scopes(load_manifest())
    for scope, users in scopes_used().items():
        assert scope in requested, f"{sorted(users)} need {scope!r}: add it to the bot scopes"


def test_every_scope_requested_is_used() -> None:
    unused = bot_scopes(load_manifest()) - scopes_used().keys()
    assert not unused, f"nothing in the bot uses {sorted(unused)}: drop them from manifest.yml"


def test_the_slash_commands_are_exactly_those_the_app_handles() -> None:
    assert slash_commands(load_manifest()) == registered("command")


@pytest.mark.parametrize("feature", ["home_tab_enabled", "messages_tab_enabled"])
def test_the_home_and_messages_tabs_are_on(feature: str) -> None:
    app_home = load_manifest()["features"]["app_home"]
    assert app_home[feature] is True
    assert app_home["messages_tab_read_only_enabled"] is False, "people write to the bot in DMs"


def test_the_assistant_container_is_declared_since_the_app_listens_to_it() -> None:
    features = load_manifest()["features"]
    assert "assistant_thread_started" in registered("event")
    assert features["assistant_view"]["assistant_description"]
    assert features["agent_view"]["agent_description"]


def test_interactivity_is_on_for_buttons_and_dialogs() -> None:
    assert any(kind in INTERACTIVE_LISTENERS for _p, t in bot_sources() for kind, _ in listeners(t))
    assert load_manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_is_the_default_and_http_mode_is_explained() -> None:
    manifest = load_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    text = MANIFEST.read_text(encoding="utf-8")
    assert "request_url: https://YOUR-HOST/slack/events" in text
    assert "url: https://YOUR-HOST/slack/events" in text
    assert "socket_mode_enabled: false" in text
