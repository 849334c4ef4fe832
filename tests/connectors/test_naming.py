import itertools

import pytest

from connectors.errors import NameCollision
from connectors.naming import MODEL_NAME_RE, NameTable, model_tool_name


def test_clean_names_stay_readable():
    assert model_tool_name("", "git", "git_status") == "git__git_status"
    assert model_tool_name("eng", "everything", "get-env") == "eng__everything__get-env"


@pytest.mark.parametrize(
    "triple",
    [
        ("", "fs", "read.file"),
        ("my plugin", "srv", "tool"),
        ("", "srv", "tool/ä"),
        ("", "s", "t" * 200),
        ("ns" * 30, "server" * 10, "tool"),
        ("", "a__b", "c"),
        ("", "_x", "y"),
    ],
)
def test_every_name_is_accepted_by_the_model_api(triple):
    name = model_tool_name(*triple)
    assert MODEL_NAME_RE.match(name), name
    assert model_tool_name(*triple) == name  # deterministic


def test_ambiguous_joins_do_not_collide():
    triples = [
        ("a", "b", "c"),
        ("", "a__b", "c"),
        ("", "a", "b__c"),
        ("a__b", "c", "d"),
        ("a", "b__c", "d"),
        ("a_", "b", "c"),
        ("a", "_b", "c"),
        ("", "a.b", "c"),
        ("", "a_b", "c"),
        ("", "a-b", "c"),
        ("", "s", "x" * 70),
        ("", "s", "x" * 71),
        ("", "s", "t" * 53 + "___abcdefghij"),
    ]
    names = [model_tool_name(*t) for t in triples]
    assert len(set(names)) == len(triples)


def test_long_names_are_shortened_with_a_hash_keeping_a_readable_prefix():
    a = model_tool_name("plugin", "server", "x" * 80 + "a")
    b = model_tool_name("plugin", "server", "x" * 80 + "b")
    assert len(a) == len(b) == 64
    assert a.startswith("plugin__server__xxx")
    assert a != b


def test_round_trip_through_the_table():
    table = NameTable()
    triples = list(itertools.product(["", "p"], ["s", "s.v"], ["t", "t-1", "ü" * 70]))
    names = [table.register(*t) for t in triples]
    for triple, name in zip(triples, names, strict=True):
        key = table.lookup(name)
        assert key is not None
        assert (key.namespace, key.server, key.tool) == triple
    table.drop_server("p", "s")
    assert table.lookup(model_tool_name("p", "s", "t")) is None
    assert table.lookup(model_tool_name("", "s", "t")) is not None


def test_table_refuses_two_originals_under_one_name(monkeypatch):
    table = NameTable()
    table.register("", "s", "t")
    monkeypatch.setattr("connectors.naming.model_tool_name", lambda *_: "s__t")
    with pytest.raises(NameCollision) as err:
        table.register("", "s", "other")
    assert err.value.server == "s"
