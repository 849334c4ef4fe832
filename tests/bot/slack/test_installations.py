"""An installation asks Slack for exactly the bot scopes the manifest declares."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.installations import DEFAULT_SCOPES

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"


def test_installations_ask_for_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert sorted(DEFAULT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
