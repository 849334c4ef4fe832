"""The `threadwork` command: clear refusals without credentials, and `doctor` reporting each check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli.main import LISTENER_REDIS_CONNECTIONS, listener_settings
from bot.settings import Settings, load_settings
from tests.stack import SubprocessStack


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bare_env(tmp_path: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env["THREADWORK_CONFIG"] = "/nonexistent/threadwork.yaml"
    return env


def test_serve_without_credentials_names_what_is_missing(tmp_path: object) -> None:
    result = run_cli("serve", env=bare_env(tmp_path))
    assert result.returncode != 0
    assert "SLACK_BOT_TOKEN" in result.stderr and "ANTHROPIC_API_KEY" in result.stderr
    assert "README" in result.stderr
    assert "Traceback" not in result.stderr


def test_http_mode_asks_for_the_signing_secret(tmp_path: object) -> None:
    env = bare_env(tmp_path) | {"SLACK_BOT_TOKEN": "xoxb-1", "ANTHROPIC_API_KEY": "k"}
    result = run_cli("serve", "--http", env=env)
    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr


def test_worker_with_unreachable_redis_says_so(tmp_path: object) -> None:
    env = bare_env(tmp_path) | {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "ANTHROPIC_API_KEY": "k",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = run_cli("worker", env=env)
    assert result.returncode != 0
    assert "Redis at redis://127.0.0.1:1/0 is not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_reports_every_check_ok(
    settings: Settings, fake_slack: object, fake_anthropic: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    result = run_cli("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("config", "credentials", "redis", "database", "slack", "model"):
        assert any(line.startswith("ok") and name in line for line in result.stdout.splitlines()), (
            result.stdout
        )


def test_doctor_explains_a_half_set_oauth_client_and_serve_needs_no_bot_token_with_both(
    settings: Settings, fake_slack: object, fake_anthropic: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    env = {k: v for k, v in env.items() if k != "SLACK_BOT_TOKEN"} | {"SLACK_CLIENT_ID": "1.2"}
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if "credentials" in line]
    assert (
        line.startswith("FAIL") and "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not" in line
    )
    assert "SLACK_BOT_TOKEN" in line, "it says how to use one workspace instead"

    both = env | {"SLACK_CLIENT_SECRET": "s"}
    result = run_cli("doctor", env=both)
    lines = result.stdout.splitlines()
    assert any(line.startswith("ok") and "credentials" in line for line in lines), result.stdout
    assert any(line.startswith("ok") and "/slack/install" in line for line in lines), result.stdout


def test_doctor_says_what_to_fix(
    settings: Settings, fake_slack: object, fake_anthropic: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    env |= {"REDIS_URL": "redis://127.0.0.1:1/0", "SLACK_BOT_TOKEN": "not-a-bot-token"}
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("FAIL") and "redis" in line for line in lines), result.stdout
    assert any(line.startswith("FAIL") and "slack" in line for line in lines), result.stdout
    assert "fix: Start Redis or set REDIS_URL" in result.stdout
    assert any(line.startswith("ok") and "model" in line for line in lines)


def test_db_upgrade_is_idempotent(database_url: str, tmp_path: object) -> None:
    env = bare_env(tmp_path) | {"DATABASE_URL": database_url}
    for _ in range(2):
        result = run_cli("db", "upgrade", env=env)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout


def test_doctor_explains_a_malformed_secret_key(
    settings: Settings, fake_slack: object, fake_anthropic: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    env["THREADWORK_SECRET_KEY"] = "hunter2"
    result = run_cli("doctor", env=env)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "secret key" in line]
    assert line.startswith("FAIL") and "not a Fernet key" in line
    assert "Fernet.generate_key()" in result.stdout and "hunter2" not in result.stdout
    env.pop("THREADWORK_SECRET_KEY")
    result = run_cli("doctor", env=env)
    [line] = [line for line in result.stdout.splitlines() if "secret key" in line]
    assert "not set: connectors that need a sign-in stay off" in line


async def test_connections_list_shows_who_connected_what_and_never_a_token(
    database_url: str, tmp_path: object
) -> None:
    from mcp.shared.auth import OAuthToken

    from orchestrator.adapters.sealing import Sealer, new_key
    from orchestrator.adapters.sql.activity import make_engine, upgrade
    from orchestrator.adapters.sql.connections import SqlConnectionStore
    from orchestrator.domain.identity import SHARED, Identity

    env = bare_env(tmp_path) | {"DATABASE_URL": database_url}
    engine = make_engine(database_url)
    await upgrade(engine)
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    alice, shared = Identity("TLIST", "UALICE", "crm/crm"), Identity("TLIST", SHARED, "wiki/docs")
    await store.storage(alice).set_tokens(OAuthToken(access_token="listed-token-1"))
    await store.storage(shared).set_tokens(OAuthToken(access_token="listed-token-2"))
    try:
        result = run_cli("connections", "list", "--team", "TLIST", env=env)
    finally:
        await store.disconnect(alice)
        await store.disconnect(shared)
        await engine.dispose()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CONNECTOR", "WORKSPACE", "USER", "SINCE", "REFRESHED"]
    assert lines[1].split()[:3] == ["crm/crm", "TLIST", "UALICE"]
    assert lines[2].split()[:3] == ["wiki/docs", "TLIST", "shared"]
    assert "listed-token" not in result.stdout
    empty = run_cli("connections", "list", "--team", "TNOBODY", env=env)
    assert "No connector accounts connected yet" in empty.stdout


def test_doctor_checks_the_sandbox_with_a_real_run(
    settings: Settings, fake_slack: object, fake_anthropic: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    result = run_cli("doctor", env=env)
    [line] = [line for line in result.stdout.splitlines() if "sandbox" in line]
    assert line.startswith("ok") and "bubblewrap runs Python 3" in line, result.stdout
    assert "pandas, openpyxl, python-docx, python-pptx, matplotlib, reportlab present" in line


def test_doctor_says_what_the_sandbox_lacks(
    settings: Settings, fake_slack: object, fake_anthropic: object, tmp_path: object
) -> None:
    env = SubprocessStack(settings=settings, slack=fake_slack, model=fake_anthropic, port=0).env()  # type: ignore[arg-type]
    env["THREADWORK_SANDBOX_VENV"] = str(tmp_path) + "/no-such-venv"
    result = run_cli("doctor", env=env)
    [line] = [line for line in result.stdout.splitlines() if "sandbox" in line]
    assert line.startswith("ok") and "run_code has the standard library only" in line
    env["THREADWORK_WORKSPACES"] = str(tmp_path) + "/ws"  # under pytest's 0700 directories
    result = run_cli("doctor", env=env)
    lines = result.stdout.splitlines()
    sandbox = [line for line in lines if "sandbox" in line and line.startswith("FAIL")]
    if os.geteuid() == 0:
        assert sandbox and "cannot reach" in sandbox[0], result.stdout
        assert "user.max_user_namespaces" in result.stdout


def test_the_redis_pool_matches_the_job_slots_and_a_listener_alone_uses_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("THREADWORK_REDIS_CONNECTIONS", raising=False)
    monkeypatch.delenv("THREADWORK_WORKERS", raising=False)
    assert load_settings().workers == 256
    assert load_settings().redis_connections == 256 + 16, "one per job slot, and a few more"
    listener = listener_settings(load_settings())
    assert listener.redis_connections == LISTENER_REDIS_CONNECTIONS < 64

    monkeypatch.setenv("THREADWORK_WORKERS", "4")
    assert load_settings().redis_connections == 64, "never fewer than 64"

    monkeypatch.setenv("THREADWORK_REDIS_CONNECTIONS", "40")
    assert load_settings().redis_connections == 40
    assert listener_settings(load_settings()).redis_connections == 40
