"""manifest.yml asks Slack for exactly what the bot uses: its events, their scopes, interactivity.

What the bot uses is read from its source (`bot/**/*.py`): the Bolt listeners it registers
(`app.event("…")`, `app.action(…)`, …) and the Web API methods it calls on a client. A listener or
a call added without its manifest entry would fail silently in a real workspace (Slack never sends
the event, or answers `missing_scope`), so it fails here instead.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
BOT = ROOT / "bot"

# A `message` listener hears only the conversation types the manifest subscribes to; the bot works
# in threads of public and private channels.
MESSAGE_EVENTS_NEEDED = frozenset({"message.channels", "message.groups", "message.im"})

EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "reaction_added": "reactions:read",
    "app_home_opened": None,
    "agent_session_stopped": "assistant:write",
    "assistant_thread_started": "assistant:write",
}

# Web API methods (as slack_sdk spells them) and the bot scope each needs.
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_startStream": "chat:write",
    "chat_appendStream": "chat:write",
    "chat_stopStream": "chat:write",
    # Since 2026-03-05 chat:write is enough for the status in channel threads.
    "assistant_threads_setStatus": "chat:write",
    "reactions_add": "reactions:write",
    "reactions_remove": "reactions:write",
    "users_info": "users:read",
    "users_list": "users:read",
    "usergroups_users_list": "usergroups:read",
    "usergroups_list": "usergroups:read",
    "conversations_replies": "channels:history",
    "conversations_history": "channels:history",
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
}

INTERACTIVE_LISTENERS = frozenset({"action", "view", "shortcut", "block_action", "options"})


def load_manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


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


def listened_events() -> set[str]:
    events: set[str] = set()
    for _path, tree in bot_sources():
        for kind, arg in listeners(tree):
            if kind == "event":
                name = arg.get("type") if isinstance(arg, dict) else arg
                events.add(str(name))
            elif kind == "message":
                events.add("message")
    return events


def called_methods() -> set[str]:
    names = set()
    for _path, tree in bot_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in METHOD_SCOPES:
                names.add(node.attr)
    return names


def bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["settings"]["event_subscriptions"]["bot_events"])


def bot_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_bot_is_named_threadwork() -> None:
    manifest = load_manifest()
    assert manifest["display_information"]["name"] == "Threadwork"
    assert len(manifest["display_information"]["description"]) <= 140
    assert manifest["features"]["bot_user"]["display_name"] == "threadwork"


def test_source_scan_finds_the_listeners_the_app_registers() -> None:
    # Guards the scan itself: if it found nothing, every check below would pass vacuously.
    assert {"app_mention", "message"} <= listened_events()
    assert {"chat_postMessage", "chat_update"} <= called_methods()


def test_every_event_the_app_listens_to_is_subscribed() -> None:
    subscribed = set(bot_events(load_manifest()))
    for event in listened_events():
        if event == "message":
            missing = MESSAGE_EVENTS_NEEDED - subscribed
            assert not missing, f"the app listens to `message` but manifest lacks {sorted(missing)}"
        else:
            assert event in subscribed, f"the app listens to {event!r}; add it to bot_events"


def test_every_subscribed_event_has_its_scope() -> None:
    manifest = load_manifest()
    scopes = bot_scopes(manifest)
    for event in bot_events(manifest):
        assert event in EVENT_SCOPES, f"no known scope for event {event!r}; extend EVENT_SCOPES"
        needed = EVENT_SCOPES[event]
        assert needed is None or needed in scopes, f"event {event!r} needs scope {needed!r}"


def test_every_web_api_method_the_bot_calls_has_its_scope() -> None:
    scopes = bot_scopes(load_manifest())
    for method in called_methods():
        assert METHOD_SCOPES[method] in scopes, (
            f"bot calls {method}, which needs {METHOD_SCOPES[method]}"
        )


@pytest.mark.parametrize("scope", ["app_mentions:read", "chat:write", "usergroups:read"])
def test_core_scopes_are_requested(scope: str) -> None:
    assert scope in bot_scopes(load_manifest())


def test_no_slash_command_means_no_commands_scope() -> None:
    manifest = load_manifest()
    commands = manifest.get("features", {}).get("slash_commands") or []
    assert ("commands" in bot_scopes(manifest)) == bool(commands)


def test_interactivity_is_on_for_approval_buttons() -> None:
    assert load_manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_is_the_default_and_http_mode_is_explained() -> None:
    manifest = load_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    text = MANIFEST.read_text(encoding="utf-8")
    assert "request_url: https://YOUR-HOST/slack/events" in text
    assert "socket_mode_enabled: false" in text
