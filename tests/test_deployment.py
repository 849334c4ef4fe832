"""The deployment files agree with the code: compose's services, environment, commands and
health checks, and the Dockerfile's entry points, read against the settings model and the CLI.

Docker does not run here; the files are parsed, and every value the bot would read is parsed
by the same `Settings` model and argument parser the processes use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bot.cli.main import _parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
APP = ("bot", "worker")
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def resolved(value: str) -> str:
    """Compose's interpolation with defaults, and a stand-in for required variables."""
    return _VARIABLE.sub(lambda m: m.group(3) if m.group(2) == "-" else f"set-{m.group(1)}", value)


def environment(service: str) -> dict[str, str]:
    env = {k: resolved(str(v)) for k, v in SERVICES[service]["environment"].items()}
    return env


def image_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", DOCKERFILE, re.M | re.S)
    assert block is not None
    pairs = re.findall(r"(\w+)=(\S+)", block.group(1))
    return dict(pairs)


def aliases() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        if field.alias:
            names.add(field.alias)
        choices = getattr(field.validation_alias, "choices", ())
        names.update(c for c in choices if isinstance(c, str) and c.isupper())
    return names


def settings_of(service: str) -> Settings:
    env = image_env() | environment(service)
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


def healthcheck_url(service: str) -> str:
    test = " ".join(SERVICES[service]["healthcheck"]["test"])
    found = re.search(r"http://[^'\" ]+", test)
    assert found, test
    return found.group(0)


def test_compose_runs_the_listener_workers_redis_and_postgres_with_health_checks() -> None:
    assert set(SERVICES) == {"bot", "worker", "redis", "postgres"}
    for name, service in SERVICES.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


@pytest.mark.parametrize("service", APP)
def test_every_variable_compose_sets_is_a_setting_the_code_reads(service: str) -> None:
    unknown = set(environment(service)) - aliases()
    assert not unknown, f"{service} sets variables no setting reads: {sorted(unknown)}"
    assert set(image_env()) - {"PATH", "PYTHONUNBUFFERED"} <= aliases()
    settings = settings_of(service)
    for required in ("slack_bot_token", "slack_signing_secret", "anthropic_api_key"):
        assert getattr(settings, required) is not None, required
    assert settings.log_format == "json"


@pytest.mark.parametrize("service", APP)
def test_the_app_reaches_redis_and_postgres_as_compose_names_them(service: str) -> None:
    settings = settings_of(service)
    redis = urlparse(settings.redis_url)
    assert redis.hostname == "redis" and (redis.port or 6379) == 6379
    database = urlparse(settings.database_url)
    postgres = {k: resolved(str(v)) for k, v in SERVICES["postgres"]["environment"].items()}
    assert database.hostname == "postgres" and database.port == 5432
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path == "/" + postgres["POSTGRES_DB"]
    mounts = [str(v).split(":")[1] for v in SERVICES[service]["volumes"]]
    assert str(settings.config_path) in mounts and str(settings.workspaces) in mounts


def test_the_listener_serves_http_without_workers_and_is_probed_on_its_port() -> None:
    args = _parser().parse_args(SERVICES["bot"]["command"])
    assert args.func.__name__ == "_serve" and args.http and args.no_workers
    assert healthcheck_url("bot") == f"http://127.0.0.1:{args.port}/healthz"
    assert any(str(p).endswith(f":{args.port}") for p in SERVICES["bot"]["ports"])


def test_workers_serve_their_probes_where_the_health_check_looks() -> None:
    args = _parser().parse_args(SERVICES["worker"]["command"])
    assert args.func.__name__ == "_worker"
    assert healthcheck_url("worker") == f"http://127.0.0.1:{args.metrics_port}/healthz"
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2


def test_redis_persists_with_aof_every_second() -> None:
    command = SERVICES["redis"]["command"]
    options = dict(zip(command[1::2], command[2::2], strict=False))
    assert options["--appendonly"] == "yes" and options["--appendfsync"] == "everysec"
    assert any(str(v).endswith(":/data") for v in SERVICES["redis"]["volumes"])


def test_the_image_is_slim_unprivileged_and_starts_either_entry_point() -> None:
    assert re.search(r"^FROM python:3\.\d+-slim\s*$", DOCKERFILE, re.M)
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["threadwork"\]', DOCKERFILE, re.M)
    cmd = re.search(r"^CMD (\[.*\])", DOCKERFILE, re.M)
    assert cmd is not None
    args = _parser().parse_args(yaml.safe_load(cmd.group(1)))
    assert args.func.__name__ == "_serve" and args.http
    exposed = re.search(r"^EXPOSE (.*)$", DOCKERFILE, re.M)
    assert exposed is not None
    ports = exposed.group(1).split()
    assert str(args.port) in ports
    worker = _parser().parse_args(SERVICES["worker"]["command"])
    assert str(worker.metrics_port) in ports
