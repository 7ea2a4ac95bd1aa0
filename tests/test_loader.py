"""Untrusted fleet files: every way in which reading can fail gives one located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import LoadError
from generator.loader import load_bytes, load_file


def message(raw: bytes) -> str:
    with pytest.raises(LoadError) as info:
        load_bytes(raw, "fleet.yaml")
    return info.value.finding.parsable()


def test_source_map_points_at_values_and_keys() -> None:
    doc = load_bytes(b"spec:\n  clusters:\n    - name: a\n      provider: aws\n", "fleet.yaml")
    assert doc.data == {"spec": {"clusters": [{"name": "a", "provider": "aws"}]}}
    assert doc.source.values["/spec/clusters/0/provider"] == (4, 17)
    assert doc.source.keys["/spec/clusters/0/provider"] == (4, 7)
    # an unknown pointer falls back to its closest ancestor
    assert str(doc.source.locate("/spec/clusters/0/dns/zone")) == "fleet.yaml:3:7"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\nb: [\n", "fleet.yaml:3:1: [error] load invalid YAML: did not find expected node content"),
        (b"a: 1\nb: 2\na: 3\n", "fleet.yaml:3:1: [error] load duplicate key 'a' (first defined at line 1)"),
        (
            b"a: !!python/object/apply:os.system [ls]\n",
            "fleet.yaml:1:4: [error] load tag tag:yaml.org,2002:python/object/apply:os.system is not allowed in a fleet file",
        ),
        (b"a: !Ref x\n", "fleet.yaml:1:4: [error] load tag !Ref is not allowed in a fleet file"),
        (b"a: !!set {x}\n", "fleet.yaml:1:4: [error] load tag tag:yaml.org,2002:set is not allowed in a fleet file"),
        (b"a: &x [*x]\n", "fleet.yaml:1:4: [error] load recursive alias"),
        (b"a: 1\n---\nb: 2\n", "fleet.yaml:3:1: [error] load expected one YAML document, found several"),
        (b"# nothing\n", "fleet.yaml:1:1: [error] load file is empty; expected a Fleet document"),
        (b"a: 1\nb: \xff\n", "fleet.yaml:2:4: [error] load file is not valid UTF-8"),
        (
            b"base: &b {x: 1}\nc:\n  <<: *b\n",
            "fleet.yaml:3:3: [error] load merge keys (<<) are not supported in a fleet file; write the fields out",
        ),
        (b"? [a, b]\n: 1\n", "fleet.yaml:1:3: [error] load mapping keys must be plain strings"),
    ],
)
def test_bad_yaml_is_one_located_message(raw: bytes, expected: str) -> None:
    assert message(raw) == expected


def test_alias_bomb_is_bounded() -> None:
    lines = [b"l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*l{i - 1}"] * 10).encode()
        lines.append(b"l%d: &l%d [%s]" % (i, i, refs))
    got = message(b"\n".join(lines) + b"\n")
    assert got.startswith("fleet.yaml:")
    assert "document expands to more than 2000000 nodes (alias bomb?)" in got


def test_deep_nesting_is_bounded() -> None:
    raw = b"a: " + b"[" * 100 + b"]" * 100 + b"\n"
    assert "nesting deeper than 64 levels" in message(raw)


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.loader as loader

    monkeypatch.setattr(loader, "MAX_BYTES", 10)
    path = tmp_path / "fleet.yaml"
    path.write_bytes(b"a: 12345678901234567890\n")
    with pytest.raises(LoadError) as info:
        load_file(path, "fleet.yaml")
    assert info.value.finding.parsable() == "fleet.yaml:1:1: [error] load file is 24 bytes; the limit is 10"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load_file(tmp_path / "nope.yaml", "nope.yaml")
    assert info.value.finding.parsable() == "nope.yaml: [error] load cannot read fleet file: No such file or directory"


def test_scalars_follow_yaml_1_1_like_kubernetes_tools() -> None:
    doc = load_bytes(b"a: 0x1f\nb: 1_000\nc: yes\nd: ~\ne: 2024-01-01\nf: 1.5\ng: '10'\n", "f.yaml")
    assert doc.data == {"a": 31, "b": 1000, "c": True, "d": None, "e": "2024-01-01", "f": 1.5, "g": "10"}
