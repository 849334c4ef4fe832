"""`execution:` in threadwork.yaml: defaults, per-channel overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins import AdminConfig, ConfigError, load_admin_config


def test_defaults_are_the_documented_ones() -> None:
    policy = AdminConfig().execution.for_channel("C0ANY")
    assert policy.enabled and policy.network == "none"
    assert (policy.timeout_s, policy.memory_mb, policy.disk_mb, policy.processes) == (
        60,
        1024,
        1024,
        256,
    )


def test_a_channel_override_changes_only_its_keys_and_star_covers_the_rest() -> None:
    config = AdminConfig.model_validate(
        {
            "execution": {
                "timeout_s": 30,
                "channels": {"C0FIN": {"memory_mb": 4096}, "*": {"enabled": False}},
            }
        }
    )
    finance = config.execution.for_channel("C0FIN")
    assert (finance.memory_mb, finance.timeout_s, finance.enabled) == (4096, 30, True)
    assert config.execution.for_channel("C0OTHER").enabled is False


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "threadwork.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("execution:\n  network: allowlist\n", "execution.network: allowlist (egress"),
        ("execution:\n  timeout_s: 0\n", "execution.timeout_s"),
        ("execution:\n  allow_hosts: ['http://x']\n", "is not a host name"),
        ("execution:\n  channels:\n    general: {}\n", "is not a channel id"),
        ("execution:\n  memroy_mb: 5\n", "execution.memroy_mb: unknown key"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, yaml: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_admin_config(write(tmp_path, yaml))
    assert expected in str(error.value)
