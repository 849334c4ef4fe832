"""Every third-party package the code imports is declared in pyproject.toml.

Product code (bot, orchestrator, plugins, connectors) may import only runtime `dependencies`;
tests, benchmarks and examples may also import the `test` extra. A package that arrives only as
someone else's dependency (httpx2 through mcp, say) could vanish with that package's next release.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.test_layers import imported_names, modules

ROOT = Path(__file__).resolve().parents[1]
OURS = frozenset({"bot", "orchestrator", "plugins", "connectors", "tests", "bench"})
PRODUCT = ("bot", "orchestrator", "plugins", "connectors")
SUPPORT = ("tests", "bench", "examples")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*groups: str) -> frozenset[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for group in groups:
        specs += project["optional-dependencies"][group]
    return frozenset(_normal(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0]) for spec in specs)


def undeclared(packages: tuple[str, ...], allowed: frozenset[str]) -> list[str]:
    """`module:line imports X (distribution D)` for each import of an undeclared distribution."""
    owners = importlib.metadata.packages_distributions()
    problems = []
    for package in packages:
        for name, path in modules(package):
            source = path.read_text(encoding="utf-8")
            for line, imported in imported_names(
                source, name, is_package=path.name == "__init__.py"
            ):
                top = imported.split(".")[0]
                if not top or top in OURS or top in sys.stdlib_module_names:
                    continue
                dists = {_normal(d) for d in owners.get(top, [])}
                if not dists & allowed:
                    problems.append(f"{name}:{line} imports {top} ({', '.join(sorted(dists))})")
    return sorted(set(problems))


def test_product_code_imports_only_runtime_dependencies() -> None:
    problems = undeclared(PRODUCT, declared())
    assert not problems, "add these to [project] dependencies:\n" + "\n".join(problems)


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    problems = undeclared(SUPPORT, declared("test"))
    assert not problems, "add these to the test extra:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "allowed", "flagged"),
    [
        ("import httpx2\n", frozenset({"mcp"}), True),
        ("from anthropic import AsyncAnthropic\n", frozenset({"anthropic"}), False),
        ("import json\nfrom orchestrator import errors\n", frozenset(), False),
    ],
)
def test_the_scan_flags_an_import_of_an_undeclared_distribution(
    source: str,
    allowed: frozenset[str],
    flagged: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = tmp_path / "probe"
    package.mkdir()
    (package / "mod.py").write_text(source)
    monkeypatch.setattr(
        "tests.test_dependencies.modules", lambda _: [("probe.mod", package / "mod.py")]
    )
    assert bool(undeclared(("probe",), allowed)) is flagged
