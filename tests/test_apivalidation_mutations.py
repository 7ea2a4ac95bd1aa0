"""Mutation test: single-field mistakes in the example fleets never reach an API server.

Every example fleet is mutated the ways a person gets a fleet wrong (a list entry
duplicated, two ports sharing a number or a name, numbers out of range, names too
long, with capitals or a leading digit, colliding names). Each mutation must either

* be refused with every error at a line of the fleet file (file:line:col), or
* render objects that satisfy every implemented API-server rule
  (``apivalidation.object_errors`` is empty for each of them).

The list is deterministic (no randomness); it is rendered in-process.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from generator import apivalidation, pipeline
from generator.errors import FleetError
from generator.loader import load_file

ROOT = Path(__file__).resolve().parent.parent
FLEETS = [ROOT / "fleet.yaml", *sorted(ROOT.glob("examples/*/fleet.yaml"))]

Mutation = tuple[str, Callable[[dict[str, Any]], None]]


def _rename(doc: Any, old: str, new: str) -> Any:
    """Every string equal to ``old`` (values and mapping keys) becomes ``new``: one name changed consistently."""
    if isinstance(doc, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_rename(v, old, new) for v in doc]
    return new if doc == old else doc


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return apply


def _get(doc: Any, path: list[Any]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _append_copy(path: list[Any], index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        node = doc
        for part in path:
            node = node[part]
        entry = copy.deepcopy(node[index])
        if isinstance(entry, dict):
            entry.update(changes)
        node.append(entry)

    return apply


def _lists(node: Any, path: list[Any]) -> Iterator[list[Any]]:
    """Paths of every non-empty list in the document, in document order."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _lists(value, path + [key])
    elif isinstance(node, list) and node:
        yield path
        for i, value in enumerate(node):
            yield from _lists(value, path + [i])


def _numbers(node: Any, path: list[Any]) -> Iterator[list[Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, path + [i])
    elif isinstance(node, int) and not isinstance(node, bool):
        yield path


NAME_KEYS = {"name", "namespace", "network", "project", "meshID", "credentialsSecret", "zone", "clusterDomain",
             "region", "revision", "trustDomain", "datacenter"}


def _names(node: Any, path: list[Any]) -> Iterator[list[Any]]:
    """Paths of string values under name-like keys (they end up in object names, labels, DNS names)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and key in NAME_KEYS:
                yield path + [key]
            else:
                yield from _names(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _names(value, path + [i])


def mutations(data: dict[str, Any]) -> Iterator[Mutation]:
    spec = data["spec"]
    # every name-like string at the longest DNS label, and starting with a digit
    for path in _names(data, []):
        where = "/".join(map(str, path))
        yield f"{where} 63 characters", _set(path, "n" * 63)
        yield f"{where} leading digit", lambda doc, path=path: _set(path, "9" + _get(doc, path)[:62])(doc)
    # every list entry duplicated (the first of each list), every number pushed out of range
    for path in _lists(data, []):
        yield f"{'/'.join(map(str, path))}[0] duplicated", _append_copy(path, 0)
    for path in _numbers(data, []):
        for number in (0, -1, 2**32):
            yield f"{'/'.join(map(str, path))} = {number}", _set(path, number)
    for wi, workload in enumerate(spec.get("workloads", [])[:2]):
        w = ["spec", "workloads", wi]
        ports = w + ["ports"]
        first = workload["ports"][0]
        yield f"w{wi} ports[0] duplicated", _append_copy(ports, 0)
        yield f"w{wi} port number reused", _append_copy(ports, 0, name="extra")
        yield f"w{wi} port name reused", _append_copy(ports, 0, port=(first["port"] % 65535) + 1)
        yield f"w{wi} same port other protocol", _append_copy(ports, 0, name="extra", protocol="UDP")
        for name in ("9042", "a--b", "CQL", "x" * 16, "p" * 15, "a-1"):
            yield f"w{wi} port name {name!r}", _set(ports + [0, "name"], name)
        for number in (0, -1, 65536, 65535, 10250):
            yield f"w{wi} port {number}", _set(ports + [0, "port"], number)
        yield f"w{wi} protocol SCTP", _set(ports + [0, "protocol"], "SCTP")
        for name in ("9" + workload["name"], workload["name"].upper(), "w" * 64, "w" * 63):
            yield f"w{wi} name {name[:10]!r}", _set(w + ["name"], name)
        for ns in ("n" * 63, "n" * 64, "Db", "kube-system", "default"):
            yield f"w{wi} namespace {ns[:10]!r}", _set(w + ["namespace"], ns)
        yield f"w{wi} workload duplicated", _append_copy(["spec", "workloads"], wi)
        cluster = next(iter(workload["placement"]))
        for replicas in (-1, 0, 10**6):
            yield f"w{wi} replicas {replicas}", _set(w + ["placement", cluster], replicas)
        for seeds in (0, 99):
            yield f"w{wi} seedsPerCluster {seeds}", _set(w + ["seedsPerCluster"], seeds)
    clusters = spec["clusters"]
    yield "cluster duplicated", _append_copy(["spec", "clusters"], 0)
    yield "cluster name capitals", _set(["spec", "clusters", 0, "name"], clusters[0]["name"].upper())
    old = clusters[0]["name"]
    for new in ("c" * 63, "1" + old[:62], "default", "c" * 64):
        yield f"cluster renamed {new[:10]!r}", lambda doc, new=new: doc.update(_rename(doc, old, new))
    if "mesh" in clusters[0] and "id" in clusters[0]["mesh"]:
        for mesh_id in (0, 256, clusters[-1]["mesh"]["id"]):
            yield f"cluster mesh id {mesh_id}", _set(["spec", "clusters", 0, "mesh", "id"], mesh_id)
    for name in ("f" * 63, data["metadata"]["name"].upper()):
        yield f"fleet name {name[:10]!r}", _set(["metadata", "name"], name)


def _cases() -> list[tuple[Path, str, dict[str, Any]]]:
    cases = []
    for fleet in FLEETS:
        data = load_file(fleet).data
        for label, apply in mutations(data):
            mutated = copy.deepcopy(data)
            apply(mutated)
            cases.append((fleet, label, mutated))
    return cases


CASES = _cases()


def test_mutation_count() -> None:
    # The closing note of issue 15 reports this number; it grows with the examples.
    assert len(CASES) >= 300, len(CASES)


@pytest.mark.parametrize("index", range(0, len(CASES), 25), ids=lambda i: f"batch{i // 25}")
def test_mutations_refused_at_fleet_line_or_valid(index: int, tmp_path: Path) -> None:
    failures = []
    for fleet, label, mutated in CASES[index:index + 25]:
        path = tmp_path / f"{fleet.parent.name}.yaml"
        path.write_text(yaml.safe_dump(mutated, sort_keys=False), encoding="utf-8")
        display = str(path)
        loaded = pipeline.load(path, display)
        findings = list(loaded.findings)
        if loaded.ok and loaded.fleet is not None:
            try:
                output = pipeline.render_output(loaded.fleet, out_dir="output")
            except FleetError as exc:  # a render that fails is not refused at a fleet line
                failures.append(f"{fleet.parent.name}: {label}: render failed: {exc}")
                continue
            findings.extend(output.findings)
            if not any(f.is_error for f in findings):
                for rel, obj in output.files.items():
                    if rel.endswith((".yaml", ".yml")):
                        errs = apivalidation.object_errors(obj)
                        if errs:
                            failures.append(f"{fleet.parent.name}: {label}: renders {rel} with {errs}")
                continue
        errors = [f for f in findings if f.is_error]
        assert errors, label
        for f in errors:
            if f.location.file != display or f.location.line < 1 or f.location.column < 1:
                failures.append(f"{fleet.parent.name}: {label}: refused at {f.location}, not at a fleet line: {f.parsable()}")
    assert not failures, "\n".join(failures)
