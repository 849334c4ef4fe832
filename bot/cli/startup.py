"""Start a one-shot command on the bot's runtime, or say why the configuration is invalid."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot import messages
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from plugins import ConfigError


def run_on_runtime(
    settings: Settings, command: Callable[[Runtime], Coroutine[Any, Any, int]]
) -> int:
    """`command`'s exit code, or 1 with the configuration's problems on stderr."""
    try:
        runtime = build_runtime(settings)
    except ConfigError as exc:
        print(messages.config_invalid(settings.config_path, exc.errors), file=sys.stderr)
        return 1
    return asyncio.run(command(runtime))
