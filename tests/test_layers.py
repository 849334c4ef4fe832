"""Dependencies point one way: bot -> orchestrator -> {plugins, connectors}.

Two independent checks: our own `ast` scan of every module (imports anywhere, including inside
functions, relative imports resolved, `importlib.import_module("…")` with a literal name), and
import-linter's contracts from pyproject.toml. The scan is shown to fail on a forbidden import, so
a clean result means something.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_SLACK_AND_BOT = frozenset({"slack_bolt", "slack_sdk", "bot"})
FORBIDDEN: dict[str, frozenset[str]] = {
    "orchestrator": _SLACK_AND_BOT,
    "plugins": _SLACK_AND_BOT
    | {"connectors", "orchestrator", "mcp", "anthropic", "redis", "sqlalchemy"},
    "connectors": _SLACK_AND_BOT | {"plugins", "orchestrator", "anthropic", "redis", "sqlalchemy"},
    # The orchestrator's pure rules: no I/O library, no adapter, no loop, no wiring.
    "orchestrator.domain": _SLACK_AND_BOT
    | {
        "redis",
        "sqlalchemy",
        "anthropic",
        "connectors",
        "orchestrator.adapters",
        "orchestrator.engine",
        "orchestrator.tools",
        "orchestrator.service",
        "orchestrator.assemble",
    },
}
"""Forbidden imports per package (dotted names forbid that module and everything under it). A module
is held to the rules of the longest package name it lies in."""


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}"


def imported_names(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in `source`, wherever it appears."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            found.append((node.lineno, base))
            # `from pkg import sub` may import the submodule `pkg.sub`.
            found += [(node.lineno, _join(base, a.name)) for a in node.names if a.name != "*"]
        elif _is_dynamic_import(node):
            assert isinstance(node, ast.Call)
            found.append((node.lineno, node.args[0].value))  # type: ignore[attr-defined]
    return found


def _absolute(name: str | None, level: int, package: str) -> str:
    if level == 0:
        return name or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, *([name] if name else [])])


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _is_dynamic_import(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in {"import_module", "__import__"}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def rules_for(module: str) -> frozenset[str]:
    """The forbidden imports of the innermost package in FORBIDDEN that holds `module`."""
    holders = [package for package in FORBIDDEN if _within(module, package)]
    return FORBIDDEN[max(holders, key=len)] if holders else frozenset()


def violations(source: str, module: str, *, is_package: bool = False) -> list[Violation]:
    """Every import in `source` (the module `module`) that its package's layer forbids."""
    forbidden = rules_for(module)
    return [
        Violation(module, line, name)
        for line, name in imported_names(source, module, is_package=is_package)
        if any(_within(name, banned) for banned in forbidden)
    ]


def modules(package: str) -> list[tuple[str, Path]]:
    out = []
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append((".".join(parts), path))
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    found = modules(package)
    assert found, f"no modules found under {package}/"
    problems = [
        v
        for name, path in found
        for v in violations(
            path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py"
        )
    ]
    assert not problems, "layering broken:\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("orchestrator.engine.runner", "def f():\n    import slack_sdk\n", "slack_sdk"),
        (
            "orchestrator.engine.runner",
            "from slack_bolt.async_app import AsyncApp\n",
            "slack_bolt.async_app",
        ),
        ("orchestrator.sub.mod", "from ...bot import app\n", "bot"),
        (
            "orchestrator.engine.runner",
            "import importlib\nimportlib.import_module('bot.cli.main')\n",
            "bot.cli.main",
        ),
        (
            "plugins.registry",
            "class A:\n    def m(self):\n        from redis import asyncio\n",
            "redis",
        ),
        ("plugins.registry", "from connectors.pool import Pool\n", "connectors.pool"),
        ("plugins.registry", "import mcp.types as t\n", "mcp.types"),
        ("plugins.registry", "from .. import orchestrator\n", "orchestrator"),
        ("connectors.pool", "import anthropic\n", "anthropic"),
        ("connectors.pool", "from sqlalchemy import text\n", "sqlalchemy"),
        ("connectors.pool", "from plugins import registry\n", "plugins"),
        ("orchestrator.domain.budget", "import redis.asyncio\n", "redis.asyncio"),
        ("orchestrator.domain.task", "def f():\n    import anthropic\n", "anthropic"),
        (
            "orchestrator.domain.turns",
            "from orchestrator.adapters.redis import keys\n",
            "orchestrator.adapters.redis.keys",
        ),
        (
            "orchestrator.domain.views",
            "from ..engine import runner\n",
            "orchestrator.engine.runner",
        ),
        (
            "orchestrator.domain.scheduling",
            "from orchestrator import assemble\n",
            "orchestrator.assemble",
        ),
        (
            "orchestrator.domain.commands",
            "from ..service import Orchestrator\n",
            "orchestrator.service",
        ),
    ],
)
def test_scan_reports_a_forbidden_import(module: str, source: str, expected: str) -> None:
    assert expected in [v.imported for v in violations(source, module)]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "orchestrator.engine.runner",
            "from plugins import registry\nimport connectors\nimport redis\n",
        ),
        ("connectors.pool", "import mcp\nfrom .errors import ConnectorError\n"),
        ("plugins.registry", "import yaml\nfrom plugins.errors import PluginError\n"),
        (
            "orchestrator.domain.budget",
            "from orchestrator.domain.task import Task\nfrom orchestrator.errors import X\n"
            "from plugins import Limits\nimport pydantic\n",
        ),
        # Outside the domain the engine may use the wiring's neighbours; only the domain is pure.
        ("orchestrator.assemble", "import redis\nfrom orchestrator.adapters import anthropic\n"),
    ],
)
def test_scan_accepts_allowed_imports(module: str, source: str) -> None:
    assert violations(source, module) == []


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} missing: pip install -e '.[test]'"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "forbidden",
    [
        "import redis",
        "from orchestrator.assemble import assemble",
        "from orchestrator.engine import runner",
        "from orchestrator.adapters.redis import keys",
    ],
)
def test_import_linter_breaks_the_domain_contract_on_a_forbidden_import(
    forbidden: str, tmp_path: Path
) -> None:
    """The same contracts, run on a copy of the code where one domain module imports `forbidden`."""
    for package in ("bot", "orchestrator", "plugins", "connectors"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    victim = tmp_path / "orchestrator" / "domain" / "scheduling.py"
    victim.write_text(victim.read_text(encoding="utf-8") + f"\n{forbidden}  # noqa\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stdout
    assert "The orchestrator's domain is pure: no I/O library, no adapter, no loop BROKEN" in (
        result.stdout
    )
    assert "orchestrator.domain.scheduling" in result.stdout
