import pytest

from connectors import HttpSpec, StdioSpec
from connectors.transports import server_env


def test_specs_are_validated_with_clear_messages():
    with pytest.raises(ValueError, match="url must start with http"):
        HttpSpec(name="crm", url="crm.example.com/mcp")
    with pytest.raises(ValueError, match="command is empty"):
        StdioSpec(name="x", command="")
    with pytest.raises(ValueError, match="timeouts must be positive"):
        StdioSpec(name="x", command="x", timeout_s=0)


def test_stdio_env_is_minimal_plus_the_spec():
    spec = StdioSpec(name="x", command="x", env={"TOKEN": "abc"})
    parent = {"PATH": "/bin", "HOME": "/h", "ANTHROPIC_API_KEY": "k", "SLACK_BOT_TOKEN": "t"}
    assert server_env(spec, parent) == {"PATH": "/bin", "HOME": "/h", "TOKEN": "abc"}


def test_specs_are_frozen_values():
    spec = StdioSpec(name="x", command="x", env={"A": "1"}, args=["a"])  # type: ignore[arg-type]
    assert spec.args == ("a",)
    with pytest.raises(TypeError):
        spec.env["B"] = "2"  # type: ignore[index]
