"""The jsonschema-rs validity gate is never more permissive than Python jsonschema.

For every object of every shipped output (examples, the root fleet, goldens) and many
deliberately broken copies of them, and for every shipped fleet file and broken copies,
the gate's verdict must equal "the Python validator reports no error". Removing the
pattern translation, the instance guard or the keyword rules makes these fail (the
`[^\\s]` / control character, trailing newline, tuple and multipleOf cases below).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import yaml

from generator import manifests, schemagate, validate
from generator.loader import load_file
from tests.conftest import FLEETS, ROOT

OUTPUT_ROOTS = [ROOT / "output", *sorted((ROOT / "examples").glob("*/output")), ROOT / "tests" / "golden"]
FLEET_FILES = sorted(
    [ROOT / "fleet.yaml", *(ROOT / "examples").glob("*/fleet.yaml")]
    + [p for p in FLEETS.rglob("*.yaml") if "crd-examples" not in p.parts]
)
# strings that tell Python's re and Rust regexes apart if a translation is not exact
TRICKY = ["", "a", "\n", "a\n", "\x1c", "a\x1c", "\x85", "\xa0", "\u2028", "\u2003", "\u3000", "\t", "\r",
          "\u0663", "\u0301", "\U0001F600", "A", "Z_", "é", "ﬀ", "\ufeff"]


def shipped_objects() -> dict[tuple[str, str], list[Any]]:
    """Distinct Kubernetes objects of every committed output, by (apiVersion, kind)."""
    seen: dict[str, Any] = {}
    for root in OUTPUT_ROOTS:
        for path in sorted(root.rglob("*.y*ml")):
            for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(obj, dict) and isinstance(obj.get("kind"), str) and isinstance(obj.get("apiVersion"), str):
                    seen.setdefault(json.dumps(obj, sort_keys=True, default=str), obj)
    out: dict[tuple[str, str], list[Any]] = {}
    for obj in seen.values():
        out.setdefault((obj["apiVersion"], obj["kind"]), []).append(obj)
    return out


def python_valid(validator: jsonschema.Draft202012Validator, instance: Any) -> bool:
    return next(iter(validator.iter_errors(instance)), None) is None


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool = False) -> Any:
    out = copy.deepcopy(value)
    if not path:
        return new
    node = out
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = new
    return out


def mutations(obj: Any, limit: int) -> Iterator[Any]:
    """Broken copies: wrong types, unknown fields, bad enum values, missing required fields, bad strings."""
    count = 0
    for path in paths(obj):
        here = obj
        for part in path:
            here = here[part]
        candidates: list[Any] = []
        if isinstance(here, str):
            candidates = [here + "\n", here + "\x1c", here + " x", "\u2028" + here, here.upper() + "Ä", 7, None, [here]]
        elif isinstance(here, bool):
            candidates = ["true", 1, None]
        elif isinstance(here, (int, float)):
            candidates = [str(here), here + 0.5, -here - 1, True, 2**40, None]
        elif isinstance(here, dict):
            candidates = [[], "x", {**here, "unknownField": 1}, {**here, "name": 5}]
        elif isinstance(here, list):
            candidates = [{}, [*here, 3], [*here, "x"], [], "x"]
        for new in candidates:
            yield replaced(obj, path, new)
            count += 1
        if path and isinstance(path[-1], str):
            yield replaced(obj, path, None, delete=True)
            count += 1
        if count >= limit:
            return


OBJECTS = shipped_objects()
# kustomization.yaml is no API object: nothing validates it (manifests.NOT_API_OBJECTS)
KINDS = sorted(k for k in OBJECTS if k not in manifests.NOT_API_OBJECTS)


def test_shipped_outputs_hold_many_kinds() -> None:
    assert len(KINDS) >= 25  # the cross-check below covers Kubernetes and CRD kinds alike


@pytest.mark.parametrize("key", KINDS, ids=["/".join(k) for k in KINDS])
def test_gate_agrees_with_python_on_every_shipped_object_and_mutations(key: tuple[str, str]) -> None:
    schemas = manifests.schema_set("1.33")
    validator = schemas.validator(*key)
    assert validator is not None, f"no schema for {key}"
    gate = schemas.gate(*key)
    assert gate is not None  # every shipped schema's patterns and keywords have an exact Rust reading
    checked = 0
    for obj in OBJECTS[key]:
        assert gate.is_valid(obj) == python_valid(validator, obj), obj
        for broken in mutations(obj, 150 if len(OBJECTS[key]) < 5 else 30):
            assert gate.is_valid(broken) == python_valid(validator, broken), broken
            checked += 1
    assert checked > 0


def fleet_documents() -> list[tuple[str, Any]]:
    docs = []
    for path in FLEET_FILES:
        try:
            docs.append((str(path.relative_to(ROOT)), load_file(path).data))
        except Exception:  # unreadable fleets are other tests' subject
            continue
    return docs


def test_gate_agrees_with_python_on_every_fleet_file_and_mutations() -> None:
    gate = validate._gate()
    assert gate is not None  # the fleet schema's patterns ($(?!\n), [^\s"'{}] ...) all translate exactly
    python = validate._validator()
    docs = fleet_documents()
    assert len(docs) > 20
    verdicts = {True: 0, False: 0}
    for name, data in docs:
        expected = python_valid(python, data)
        assert gate.is_valid(data) == expected, name
        verdicts[expected] += 1
        for broken in mutations(data, 400 if name in ("fleet.yaml", "examples/overlay-calico/fleet.yaml") else 40):
            expected = python_valid(python, broken)
            assert gate.is_valid(broken) == expected, (name, broken)
            verdicts[expected] += 1
    assert verdicts[True] > 50 and verdicts[False] > 500


@pytest.mark.parametrize("field,value", [
    ("metadata.name", "stateful-eu\n"),  # `$` in Python matches before a final newline: `$(?!\n)` refuses it
    ("metadata.name", "stateful\x1ceu"),  # \x1c is whitespace to Python's \s (not to ECMA's)
    ("spec.gitops.repoURL", "https://git.example.com/x\x1c"),  # `[^\s"'{}]`: jsonschema-rs alone accepts it
    ("spec.gitops.repoURL", "https://git.example.com/\u2028x"),
    ("spec.gitops.repoURL", "https://git.example.com/\u2000x"),
])
def test_fleet_grammar_violations_are_refused_by_the_gate(field: str, value: str) -> None:
    data = load_file(ROOT / "fleet.yaml").data
    node = data
    parts = field.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    assert not python_valid(validate._validator(), data)
    gate = validate._gate()
    assert gate is not None and gate.is_valid(data) is False
    assert validate.schema_errors(data)  # the Python diagnostics still come


@functools.lru_cache(maxsize=None)
def rust_pattern(translated: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator({"pattern": translated}, pattern_options=jsonschema_rs.RegexOptions())


def rust_search(translated: str, text: str) -> bool:
    return bool(rust_pattern(translated).is_valid(text))


def shipped_patterns() -> set[str]:
    found: set[str] = set()

    def walk(node: Any, names: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not names and key == "pattern" and isinstance(value, str):
                    found.add(value)
                if not names and key == "patternProperties" and isinstance(value, dict):
                    found.update(value)
                walk(value, not names and key in ("properties", "$defs", "definitions", "patternProperties"))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(validate.fleet_schema())
    walk(manifests.schema_set("1.33").definitions())
    for path in manifests.shipped_crd_schemas().glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def test_every_shipped_pattern_matches_exactly_what_python_matches() -> None:
    patterns = shipped_patterns()
    assert len(patterns) > 20
    samples = set(TRICKY)
    for objs in OBJECTS.values():
        for obj in objs[:3]:
            for path in paths(obj):
                if path and isinstance(path[-1], str):
                    samples.add(path[-1])
    strings = {s + tail for s in list(samples)[:400] for tail in ("", "\n", "\x1c")} | {head + s for s in TRICKY
                                                                                         for head in ("a", "\n")}
    untranslated = []
    for pattern in sorted(patterns):
        try:
            rust = schemagate.translate(pattern)
        except schemagate.Unsupported:
            untranslated.append(pattern)
            continue
        for text in strings:
            assert rust_search(rust, text) == bool(re.search(pattern, text)), (pattern, rust, text)
    assert untranslated == []
    assert "(?i)^(Trace|Debug|Info|Warning|Error|Fatal)?$" in patterns  # Calico's: case folding, spelled out


@pytest.mark.parametrize("pattern,text,matches", [
    ("^[a-z]+$", "abc\n", True),  # Python's `$` before a final newline
    ("^[a-z]+$(?!\\n)", "abc\n", False),
    ("^[a-z]+\\Z", "abc\n", False),
    ("^[^\\s]+$", "a\x1cb", False),
    ("^\\d+$", "\u0663\u0664", True),  # Python's \d is Unicode
    ("^\\w$", "\u0301", False),
    ("^\\w$", "é", True),
    ("^.$", "\n", False),
    ("(?s)^.$", "\n", True),
    ("^a|b$", "xb\n", True),
    ("^[]a]$", "]", True),
    ("^[\\]\\-^]+$", "]-^", True),
    ("(?i)^info$", "INFO", True),
    ("(?i)^info$", "\u0130nfo", True),  # Python folds İ and ı onto i
    ("(?i)^kelvin$", "\u212aelvin", True),
    ("(?i)^info$", "inf\u00f6", False),
])
def test_translations_match_python(pattern: str, text: str, matches: bool) -> None:
    assert bool(re.search(pattern, text)) is matches
    assert rust_search(schemagate.translate(pattern), text) is matches


@pytest.mark.parametrize("pattern", [
    "(?i)^[a-z]$", "(?i)^é$", "(?i)[^k]", "(?i)\\w", "(?m)^a$", "(?<=a)b", "\\bword\\b", "(a)\\1", "a$b", "(?=a)", "(?i:a)", "(?>a+)", "a++",
])
def test_patterns_without_an_exact_rust_spelling_stay_with_python(pattern: str) -> None:
    with pytest.raises(schemagate.Unsupported):
        schemagate.translate(pattern)
    assert schemagate.gate({"type": "string", "pattern": pattern}) is None


@pytest.mark.parametrize("schema", [
    {"multipleOf": 0.1},  # jsonschema-rs accepts 0.3; Python's float division refuses it
    {"uniqueItems": True},
    {"unevaluatedProperties": False},
    {"$schema": "http://json-schema.org/draft-07/schema#"},
    {"$ref": "#/properties/a"},
    {"maximum": 9007199254740992.0},  # 2**53 + 1 > it for Python; as floats they are equal
    {"minimum": 0.5},
    {"maximum": 2**60},
    {"properties": {"a": {"not": {"dependencies": {"a": ["b"]}}}}},
])
def test_keywords_read_differently_stay_with_python(schema: dict[str, Any]) -> None:
    assert schemagate.gate(schema) is None


def test_multiple_of_would_be_unsound_without_the_rule() -> None:
    import jsonschema_rs

    assert jsonschema_rs.Draft202012Validator({"multipleOf": 0.1}).is_valid(0.3)
    assert not python_valid(jsonschema.Draft202012Validator({"multipleOf": 0.1}), 0.3)


@pytest.mark.parametrize("instance", [
    (1, 2),  # jsonschema-rs reads a tuple as an array; Python does not
    float("nan"),  # jsonschema-rs does not read NaN as a number
    float("inf"),
    2**70,
    {1: "a"},
    {"a": b"x"},
])
def test_instances_python_reads_otherwise_are_left_to_python(instance: Any) -> None:
    gate = schemagate.gate({"type": ["array", "null", "number", "object"]})
    assert gate is not None
    assert gate.is_valid(instance) is False


def test_tuple_would_be_unsound_without_the_guard() -> None:
    import jsonschema_rs

    assert jsonschema_rs.Draft202012Validator({"type": "array"}).is_valid((1, 2))
    assert not python_valid(jsonschema.Draft202012Validator({"type": "array"}), (1, 2))


def test_nan_would_be_unsound_without_the_guard() -> None:
    import jsonschema_rs

    assert jsonschema_rs.Draft202012Validator({"not": {"type": "number"}}).is_valid(float("nan"))
    assert not python_valid(jsonschema.Draft202012Validator({"not": {"type": "number"}}), float("nan"))


def test_known_ascii_folds_are_what_python_matches() -> None:
    if unicodedata.unidata_version not in schemagate.KNOWN_ASCII_FOLDS:
        pytest.skip("no fold table for this Unicode version: (?i) patterns stay with Python")
    for code in range(0x80):
        assert schemagate.ascii_fold(code) == schemagate.scan_fold(code), chr(code)


def test_known_category_tables_are_what_python_matches() -> None:
    for (name, ascii_only, version), ranges in schemagate.KNOWN_CATEGORIES.items():
        if version == unicodedata.unidata_version:
            assert schemagate.scan_category(name, ascii_only) == ranges
    assert ("s", False, unicodedata.unidata_version) in schemagate.KNOWN_CATEGORIES  # else every run scans


def test_a_ref_outside_the_given_documents_is_never_fetched() -> None:
    assert schemagate.gate({"$ref": "https://example.com/schema.json"}) is None


def test_diagnostics_still_come_from_python(tmp_path: Path) -> None:
    schemas = manifests.schema_set("1.33")
    obj = copy.deepcopy(OBJECTS[("v1", "Service")][0])
    obj["spec"]["clusterIP"] = 5
    report = manifests.validate([("x.yaml", obj)], "1.33")
    name = obj["metadata"]["name"]
    assert [f.message for f in report.findings] == [f"Service {name}: spec.clusterIP: 5 is not of type 'string', 'null'"]
    assert schemas.gate("v1", "Service") is not None


def test_a_gate_that_fails_leaves_the_instance_to_python() -> None:
    import jsonschema_rs

    def unresolvable(_instance: Any) -> bool:
        raise jsonschema_rs.ReferencingError("late $ref")  # not a ValueError

    assert schemagate.Gate(unresolvable).is_valid({}) is False


SHIPPED_PATTERNS = sorted(shipped_patterns())


@pytest.mark.parametrize("pattern", SHIPPED_PATTERNS)
def test_rewrites_agree_with_python_on_generated_strings(pattern: str) -> None:
    """Strings Python's regex generator says match, and near misses of them, get the same answer from Rust."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    try:
        rust = schemagate.translate(pattern)
    except schemagate.Unsupported:
        pytest.skip("left to Python")

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.from_regex(pattern), st.sampled_from(["", "\n", "\x1c", " ", "\u2028", "é", "\n\n"]), st.booleans())
    def agree(text: str, extra: str, front: bool) -> None:
        for candidate in (text, extra + text if front else text + extra):
            assert rust_search(rust, candidate) == bool(re.search(pattern, candidate)), (candidate, rust)

    agree()


def test_manifests_validate_asks_the_gate_after_the_first_distinct_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    manifests.schema_set.cache_clear()  # a process that has not built the gate yet
    asked: list[bool] = []
    real = schemagate.Gate.is_valid

    def counted(self: schemagate.Gate, instance: Any) -> bool:
        asked.append(real(self, instance))
        return asked[-1]

    monkeypatch.setattr(schemagate.Gate, "is_valid", counted)
    maps = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"m{i}"}, "data": {"k": str(i)}}
            for i in range(manifests.GATE_AFTER + 10)]
    maps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad"}, "data": {"k": 1}})
    report = manifests.validate([(f"{m['metadata']['name']}.yaml", m) for m in maps], "1.33")
    assert asked == [True] * 10 + [False]  # the first GATE_AFTER objects went to Python alone
    assert [f.message for f in report.findings] == ["ConfigMap bad: data.k: 1 is not of type 'string', 'null'"]
    assert report.validated == len(maps)
    asked.clear()  # the next call (the next render job) uses the gate from its first object
    report = manifests.validate([(f"{m['metadata']['name']}.yaml", m) for m in maps[::-1]], "1.33")
    assert asked == [False] + [True] * len(maps[:-1])
    assert [f.message for f in report.findings] == ["ConfigMap bad: data.k: 1 is not of type 'string', 'null'"]


def test_a_large_fleet_document_is_decided_by_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.loader import load_bytes
    from generator.synth import synthetic_fleet

    doc = load_bytes(yaml.dump(synthetic_fleet(120), Dumper=yaml.CSafeDumper, sort_keys=False).encode(), "fleet.yaml")
    assert len(doc.source.values) >= validate.GATE_MIN_NODES

    def python_must_not_run() -> Any:
        raise AssertionError("the Python validator ran on a valid large fleet")

    monkeypatch.setattr(validate, "_validator", python_must_not_run)
    assert validate.validate_document(doc.data, doc.source) == []
