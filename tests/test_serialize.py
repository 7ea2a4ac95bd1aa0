"""The fast writers (generator/yamlemit.py, orjson) produce exactly the bytes of PyYAML / json.dumps.

The reference is what fleetgen wrote before: ``yaml.dump`` with its Dumper settings and
``json.dumps(indent=2, sort_keys=True)``. Every rendered file of every shipped fleet,
a 100-cluster synthetic fleet and generated hostile data must come out identical,
and the cases the emitter does not reproduce must fall back (not differ).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import pipeline, write, yamlemit
from generator.synth import synthetic_fleet
from tests.conftest import FLEETS, ROOT

class Text(str):
    """A str subclass: PyYAML's SafeDumper refuses it, so fleetgen must too."""


SHIPPED = [ROOT / "fleet.yaml", *sorted(ROOT.glob("examples/*/fleet.yaml")), *sorted((FLEETS / "render").glob("*.yaml"))]


def reference(path: str, obj: Any, fleet_file: str) -> bytes:
    """What ``write.serialize`` wrote before the fast paths (the contract)."""
    if path.endswith(".json"):
        return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    doc = write._ordered(obj) if isinstance(obj, dict) else obj
    body = yaml.dump(doc, Dumper=write._Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=4096)
    return (write.header(fleet_file) + body).encode()


def fast_yaml(doc: Any, styles: yamlemit.Styles | None = None) -> str:
    """The emitter alone: raises Unsupported instead of falling back."""
    return yamlemit.emit(doc, styles or yamlemit.Styles(write.dump_yaml))


def assert_rendered_identical(fleet_path: Path) -> None:
    loaded = pipeline.load(fleet_path, fleet_path.name)
    assert loaded.fleet is not None
    out = pipeline.render_output(loaded.fleet, processes=1, validate=False)
    styles = yamlemit.Styles(write.dump_yaml)
    assert out.files and set(out.files) == set(out.contents)
    for path, obj in sorted(out.files.items()):
        expected = reference(path, obj, fleet_path.name)
        assert out.contents[path] == expected, path
        if path.endswith(".json"):  # the orjson path itself, not a fallback that hides it
            orjson = write.orjson()
            assert orjson is not None
            fast = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
            assert fast == expected, path
        else:  # the emitter itself took every shipped document (no fallback)
            assert (write.header(fleet_path.name) + fast_yaml(write._ordered(obj), styles)).encode() == expected, path


@pytest.mark.parametrize("fleet_path", SHIPPED, ids=lambda p: p.parent.name if p.name == "fleet.yaml" else p.stem)
def test_every_rendered_file_of_every_shipped_fleet_is_byte_identical(fleet_path: Path) -> None:
    assert_rendered_identical(fleet_path)


def test_every_rendered_file_of_a_100_cluster_fleet_is_byte_identical(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(yaml.dump(synthetic_fleet(100), Dumper=yaml.CSafeDumper, sort_keys=False))
    assert_rendered_identical(fleet)


# Strings that make YAML quote, escape, block, wrap or re-type a scalar.
HOSTILE = [
    "", " ", "  ", "yes", "No", "ON", "off", "y", "n", "null", "Null", "NULL", "~", "true", "False", "0x1f", "0o17",
    "0b101", "017", "1_000", "+1", "-0", "1e3", "1.5e3", "1.", ".5", ".inf", "-.Inf", ".nan", "NaN", "190:20:30",
    "1:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "=", "<<", "- x", "-", "--",
    "---", "...", "? x", "?", ": x", ":", "a: b", "a:b", "a #b", "a#b", "#c", "&a", "*a", "!t", "!!str", "|", ">",
    "%x", "@x", "`x", "'", "''", '"', "\\", "{a}", "[a]", "{}", "[]", ",", "a,b", " lead", "trail ", "tab\there",
    "\t", "\tlead", "trail\t", "multi\nline", "multi \nline", "multi\n line", " lead\nline", "line\n", "line\n\n",
    "\n", "\n\n", "a\n\n\nb", "a\n\n", "\nlead", "a\r\nb", "\r", "\u2028", "x\u2029y", "\x85", "a\x85b", "\ufeff",
    "\ufeffbom", "é", "日本語", "\x00", "\x07", "\x1b[31m", "\x7f", "\x9f", "\xa0", "\ud7ff", "\ue000", "\ufffe",
    "\U0001f600", "a  b", "a \n b", "x" * 130, "k" * 5000, "word " * 1000, ("y" * 4090 + " z"), "a\n" + "b " * 3000, "a\n" + " b" * 3000,
    "%TAG", "foo: |", "x\n  - y\n", "#!/bin/sh\necho hi\n",
]
PIECES = st.sampled_from(HOSTILE) | st.text(max_size=6) | st.sampled_from(list(" \t\n:#-?'\"|>{}[],&*!%@`\\\r\x85\u2028"))
TEXT = st.sampled_from(HOSTILE) | st.lists(PIECES, max_size=4).map("".join)
SCALARS = TEXT | st.integers() | st.integers(min_value=-(2**70), max_value=2**70) | st.booleans() | st.none()
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=24,
)
DOCS = st.dictionaries(TEXT, DATA, min_size=1, max_size=5)
# Single-line keys (still hostile): most such documents are written by the emitter itself.
LINE_TEXT = TEXT.filter(lambda s: not any(b in s for b in "\n\r\x85\u2028\u2029") and len(s.encode()) <= 128)
LINE_KEYED = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(LINE_TEXT, children, max_size=4),
    max_leaves=24,
)
LINE_KEYED_DOCS = st.dictionaries(LINE_TEXT, LINE_KEYED, min_size=1, max_size=5)
SHARED_STYLES = yamlemit.Styles(write.dump_yaml)  # reused across examples, as across the files of a render


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(DOCS)
def test_generated_documents_with_hostile_strings_are_byte_identical_and_load_back(doc: dict[str, Any]) -> None:
    expected = reference("x.yaml", doc, "fleet.yaml")
    assert write.serialize("x.yaml", doc, "fleet.yaml", SHARED_STYLES) == expected
    try:
        fast = fast_yaml(write._ordered(doc), SHARED_STYLES)
    except yamlemit.Unsupported:
        pass  # the fallback wrote it (identical by construction, asserted above)
    else:
        assert (write.header("fleet.yaml") + fast).encode() == expected
    assert yaml.safe_load(expected) == doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.filter_too_much])
@given(LINE_KEYED_DOCS)
def test_generated_documents_with_single_line_keys_are_byte_identical(doc: dict[str, Any]) -> None:
    test_generated_documents_with_hostile_strings_are_byte_identical_and_load_back.hypothesis.inner_test(doc)  # type: ignore[attr-defined]


def test_every_hostile_string_at_every_depth_and_position() -> None:
    """Each string as a value, then as a key, in block mappings and sequences, nested, with one shared memo."""
    styles = yamlemit.Styles(write.dump_yaml)
    taken: list[str] = []
    for s in HOSTILE:
        as_values = {"apiVersion": s, "k": s, "m": {"k": s, "n": {"k": [s, {"a": s, "x": [s]}]}},
                     "l": [s, [s, [s]], {"k": s}], "z": [{"a": s, "b": {"c": [s]}}]}
        as_keys = {s: 1, "m": {s: "v", "n": {s: [1, {s: True, "x": [None]}]}}, "l": [{s: {}}, [{s: []}]],
                   "z": [{"a": 0, s: {s: [2]}}]}
        for doc in (as_values, as_keys):
            expected = reference("x.yaml", doc, "fleet.yaml")
            assert write.serialize("x.yaml", doc, "fleet.yaml", styles) == expected, repr(s)
            try:
                fast = fast_yaml(write._ordered(doc), styles)
            except yamlemit.Unsupported:
                continue
            taken.append(s)
            assert (write.header("fleet.yaml") + fast).encode() == expected, repr(s)
    # the emitter itself (not the fallback) wrote every string as a value except those documented as
    # unsupported (kept trailing newlines, other line breaks, a line libyaml wraps) ...
    refused_values = {s for s in HOSTILE if s not in taken}
    assert refused_values == {"\n", "line\n\n", "\n\n", "a\n\n", "a\r\nb", "\r", "\u2028", "x\u2029y", "\x85", "a\x85b",
                              "word " * 1000, "y" * 4090 + " z", "a\n" + "b " * 3000}
    # ... and as a key every single-line key up to libyaml's simple-key limit
    assert sum(1 for s in HOSTILE if taken.count(s) == 2) >= len(HOSTILE) - 30


@pytest.mark.parametrize("doc", [
    {"f": 1.5}, {"f": [0.1, float("inf")]},  # floats
    {1: "int key"}, {"a": {None: 1}},  # keys that are not strings
    {"k" * 200: 1}, {"multi\nline key": 1},  # keys that are not simple keys
    {"a": "kept\n\n"},  # literal with "+": libyaml ends the document with "..."
    {"a": "x\u2028y"}, {"a": "x\ry"}, {"a\x85": 1},  # breaks libyaml indents after
    {"a": "word " * 1000}, {"a": ["y" * 4090 + " z"]},  # a line libyaml wraps
    {"a": ("t",)}, {"a": b"bytes"}, {"a": Text("s")}, {"apiVersion": 1, Text("kind"): 2},  # other types
], ids=lambda d: repr(d)[:30])
def test_documents_the_emitter_does_not_reproduce_fall_back_to_pyyaml(doc: dict[Any, Any]) -> None:
    styles = yamlemit.Styles(write.dump_yaml)  # knowing the plain-str spellings of these keys and values
    fast_yaml({"a": "s", "kind": "t", "f": "x", "apiVersion": "v"}, styles)
    with pytest.raises(yamlemit.Unsupported):
        fast_yaml(write._ordered(doc) if all(type(k) is str for k in doc) else doc, styles)
    try:
        expected: bytes | type = reference("x.yaml", doc, "fleet.yaml")
    except Exception as exc:  # PyYAML refuses it: so must serialize, with the same error
        expected = type(exc)
    if isinstance(expected, bytes):
        assert write.serialize("x.yaml", doc, "fleet.yaml") == expected
    else:
        with pytest.raises(expected):
            write.serialize("x.yaml", doc, "fleet.yaml")


def test_a_container_shared_inside_a_document_falls_back_to_anchors() -> None:
    shared: dict[str, Any] = {"x": 1}
    empty: list[Any] = []
    for doc in ({"a": shared, "b": shared}, {"a": [empty, empty]}):
        with pytest.raises(yamlemit.Unsupported):
            fast_yaml(doc)
        out = write.serialize("x.yaml", doc, "fleet.yaml")
        assert out == reference("x.yaml", doc, "fleet.yaml") and b"&id001" in out


@pytest.mark.parametrize("doc", [
    {"a": {"b": {"c": {"d": "y" * 4090 + " z"}}}},  # a mapping value
    {"a": {"b": {"c": {"d": ["y" * 4090 + " z"]}}}},  # a sequence item
], ids=["mapping", "sequence"])
def test_a_line_libyaml_wraps_only_when_nested_falls_back(doc: dict[str, Any]) -> None:
    """Dumped alone ("k: " + the string) the line fits libyaml's width; deeper in a document it wraps."""
    long = "y" * 4090 + " z"
    assert write.dump_yaml({"k": long}).count("\n") == 1
    expected = reference("x.yaml", doc, "f")
    assert b"y\n        z\n" in expected  # wrapped by libyaml
    with pytest.raises(yamlemit.Unsupported):
        fast_yaml(doc)
    assert write.serialize("x.yaml", doc, "f") == expected


def test_a_long_line_without_a_space_is_emitted_not_wrapped() -> None:
    doc = {"seeds": ",".join(f"cassandra-{i}.cassandra.db.svc.c{i:05}.local" for i in range(200))}
    assert len(doc["seeds"]) > 4096
    assert (write.header("f") + fast_yaml(doc)).encode() == reference("x.yaml", doc, "f")


JSON_SCALARS = (TEXT | st.integers() | st.integers(min_value=-(2**80), max_value=2**80) | st.booleans() | st.none()
                | st.floats() | st.sampled_from([1e16, 1e-5, -0.0, 1e300, 5e-324, 0.1, 123456789.125, 2.0**63]))
JSON_DATA = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=24,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_DATA)
def test_json_is_byte_identical_to_json_dumps(obj: Any) -> None:
    try:
        expected: bytes | type = reference("x.json", obj, "f")
    except Exception as exc:  # e.g. a lone surrogate cannot be encoded: the same error either way
        expected = type(exc)
    if isinstance(expected, bytes):
        assert write.serialize("x.json", obj, "f") == expected
        assert json.loads(expected) == obj or _has_nan(obj)
    else:
        with pytest.raises(expected):
            write.serialize("x.json", obj, "f")


def _has_nan(obj: Any) -> bool:
    if isinstance(obj, float):
        return math.isnan(obj)
    if isinstance(obj, dict):
        return any(_has_nan(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_nan(v) for v in obj)
    return False


@pytest.mark.parametrize("obj", [
    {"nan": float("nan")}, {"inf": [float("inf"), float("-inf")]}, {"f": 1e16}, {"f": 1e-7},
    {"big": 2**64}, {"neg": -(2**64) - 1}, {1: "int key"}, {"esc": "\x00\x1f\x7f\u2028\x85\ufeff\"\\/é😀"},
    {"e": [{}, [], ""]},
], ids=lambda o: repr(o)[:24])
def test_json_edge_cases_are_byte_identical(obj: Any) -> None:
    assert write.serialize("x.json", obj, "f") == reference("x.json", obj, "f")


@pytest.mark.parametrize("depth", [60, 99, 150, 400, 700])
def test_deep_nesting_is_emitted_identically_or_fails_as_before(depth: int) -> None:
    """PyYAML's representer overflows Python's stack from about 330 levels: such a document still fails."""
    doc: Any = "leaf"
    for i in range(depth):
        doc = {"a": doc} if i % 3 else {"l": [doc, "x"]}
    try:
        expected: bytes | type = reference("x.yaml", doc, "f")
    except RecursionError:
        expected = RecursionError
    if isinstance(expected, bytes):
        assert write.serialize("x.yaml", doc, "f") == expected
        if depth < 100:  # shallow enough for the emitter itself
            assert (write.header("f") + fast_yaml(doc)).encode() == expected
    else:
        with pytest.raises(RecursionError):
            write.serialize("x.yaml", doc, "f")


def test_a_memo_shared_by_render_jobs_forgets_long_strings_and_still_writes_the_same_bytes() -> None:
    """render_output hands one Styles to every job of a worker; long strings are dropped after each job."""
    corefile = "".join(f"c{i}.local:53 {{\n    errors\n    forward . 10.0.{i}.10\n}}\n" for i in range(20))
    seeds = ",".join(f"cassandra-{i}.cassandra.db.svc.c{i}.local" for i in range(200))
    job1 = {"a.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"Corefile": corefile, "seeds": seeds}}}
    job2 = {"b.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"Corefile": corefile + "x\n", "s": seeds,
                                                                        "n": "c1.local"}}}
    styles = write.scalar_styles()
    first = write.serialize_all(job1, "fleet.yaml", styles)
    assert corefile not in styles.values and seeds not in styles.values  # forgotten: longer than yamlemit.LONG
    assert "v1" in styles.values and "Corefile" in styles.keys  # short ones stay for the next job
    second = write.serialize_all(job2, "fleet.yaml", styles)
    for job, out in ((job1, first), (job2, second)):
        assert out == {p: reference(p, o, "fleet.yaml") for p, o in job.items()}
