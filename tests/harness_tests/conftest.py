"""Fixtures for the harness's own tests.

The repository root goes on sys.path so `tests.harness` imports under pytest's default import mode
whether or not a conftest higher up already arranged it.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.harness.fixtures import (  # noqa: E402
    fake_anthropic,
    fake_slack,
    postgres_url,
    redis_prefix,
    redis_url,
)

__all__ = ["fake_anthropic", "fake_slack", "postgres_url", "redis_prefix", "redis_url"]
