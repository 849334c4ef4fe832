"""The shared readers of plugin files: a JSON object or a named problem; paths kept inside a root."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.files import inside, read_json_object
from plugins.problems import Problems


def read(path: Path) -> tuple[dict[str, object] | None, list[str]]:
    problems = Problems()
    data = read_json_object(path, problems, if_invalid="fix it", expected="expected an object")
    return data, [f"{p.path.name}: {p.message}" for p in problems.items]


def test_an_object_is_read_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "plugin.json"
    path.write_text('\ufeff{"name": "x"}', encoding="utf-8")
    assert read(path) == ({"name": "x"}, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": ', "plugin.json: not valid JSON (line 1, column 10: Expecting value); fix it"),
        ("[1, 2]", "plugin.json: expected an object"),
        ("null", "plugin.json: expected an object"),
    ],
)
def test_a_file_that_is_not_an_object_names_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "plugin.json"
    path.write_text(text, encoding="utf-8")
    assert read(path) == (None, [message])


def test_an_unreadable_file_says_to_check_permissions(tmp_path: Path) -> None:
    data, problems = read(tmp_path / "missing.json")
    assert data is None
    assert problems == [
        "missing.json: cannot read the file (No such file or directory); check its permissions"
    ]


def test_inside_follows_dots_and_links(tmp_path: Path) -> None:
    root = tmp_path / "plugin"
    (root / "skills").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("no")
    (root / "link").symlink_to(tmp_path / "secret.txt")
    assert inside(root, root / "skills" / ".." / "skills") == (root / "skills").resolve()
    assert inside(root, root / ".." / "secret.txt") is None
    assert inside(root, root / "link") is None
