"""Validate rendered manifests against the Kubernetes OpenAPI schemas (strict).

kubernetes-validate ships the schemas; its ``validate()`` re-reads them for every
call. We build one ``referencing.Registry`` holding the shared
``_definitions.json`` and one Draft 2020-12 validator per (apiVersion, kind),
both once per process, and report every error of every document.
Objects of custom resources (Argo CD, Flux, Calico, Istio ...) are validated
when a schema for them is found in ``schemas/crds`` shipped with the package or
in a user-supplied folder; otherwise they are counted as not validated.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import referencing
import referencing.jsonschema

from generator import schemagate
from generator.diagnostics import Finding, Location, error
from generator.errors import FleetError

DEFINITIONS_URI = "/api/_definitions.json"
# Distinct objects the Python validator checks on its own before the jsonschema-rs gate is built
# (importing it and translating the shared definitions costs ~40 ms: a small output never pays it);
# once built in a process, every later call uses it from the first object.
GATE_AFTER = 48
# Objects that are not Kubernetes API objects at all.
NOT_API_OBJECTS = {("kustomize.config.k8s.io/v1beta1", "Kustomization")}


def _schema_dir(version: str) -> Path:
    # the package's folder without importing it (its import pulls in email parsing, ~20 ms)
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise FleetError("kubernetes-validate is not installed; it ships the Kubernetes schemas")
    base = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"
    available = sorted(
        (p.name for p in base.iterdir() if p.name.endswith("-local-strict")),
        key=lambda n: tuple(int(x) for x in re.findall(r"\d+", n)[:2]),
    )
    wanted = tuple(int(x) for x in version.split(".")[:2])
    chosen = [n for n in available if tuple(int(x) for x in re.findall(r"\d+", n)[:2]) <= wanted]
    name = chosen[-1] if chosen else available[0]
    return Path(str(base.joinpath(name)))


def _api_file_part(api_version: str) -> str:
    # rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1
    return re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)


@dataclass
class SchemaSet:
    """Validators for one Kubernetes version, built lazily, each at most once."""

    directory: Path
    crd_dirs: tuple[Path, ...] = ()
    _registry: referencing.Registry | None = None
    _definitions: dict[str, Any] | None = None
    _rust_registry: Any = None  # jsonschema-rs registry of the definitions; False: not translatable
    _validators: dict[tuple[str, str], jsonschema.Draft202012Validator | None] = field(default_factory=dict)
    _gates: dict[tuple[str, str], schemagate.Gate | None] = field(default_factory=dict)
    _schemas: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    def definitions(self) -> dict[str, Any]:
        if self._definitions is None:
            self._definitions = json.loads((self.directory / "_definitions.json").read_text(encoding="utf-8"))
        return self._definitions

    def registry(self) -> referencing.Registry:
        if self._registry is None:
            resource = referencing.Resource.from_contents(
                self.definitions(), default_specification=referencing.jsonschema.DRAFT202012
            )
            # crawl once: an uncrawled registry re-crawls the 2 MB definitions on every $ref lookup
            self._registry = referencing.Registry().with_resource(DEFINITIONS_URI, resource).crawl()
        return self._registry

    def validator(self, api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            schema = self._schema(api_version, kind)
            self._validators[key] = (
                None if schema is None else jsonschema.Draft202012Validator(schema, registry=self.registry())
            )
        return self._validators[key]

    def gate(self, api_version: str, kind: str) -> schemagate.Gate | None:
        """The jsonschema-rs validity gate for the kind's schema (None: the Python validator alone decides)."""
        key = (api_version, kind)
        if key not in self._gates:
            schema = self._schema(api_version, kind)
            self._gates[key] = None if schema is None else schemagate.gate(schema, registry=self.rust_registry())
        return self._gates[key]

    def gate_ready(self) -> bool:
        """Whether this process already paid for the gate (later calls, e.g. the next render job, use it at once)."""
        return self._rust_registry is not None

    def rust_registry(self) -> Any:
        if self._rust_registry is None:
            definitions = self.definitions()
            # a CRD schema (no $id) names the definitions "/api/_definitions.json" (jsonschema-rs's default base
            # makes that json-schema:///api/...); a Kubernetes schema resolves it against its own https $id
            uris = {"json-schema://" + DEFINITIONS_URI, str(definitions.get("$id") or "")} - {""}
            self._rust_registry = schemagate.rust_registry((uri, definitions) for uri in sorted(uris))
        return self._rust_registry if self._rust_registry is not False else False

    def _schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        key = (api_version, kind)
        if key not in self._schemas:
            self._schemas[key] = self._read(api_version, kind)
        return self._schemas[key]

    def _read(self, api_version: str, kind: str) -> dict[str, Any] | None:
        name = f"{kind.lower()}-{_api_file_part(api_version)}.json"
        group_file = f"{kind.lower()}-{api_version.replace('/', '-')}.json"
        candidates = [self.directory / name] + [d / group_file for d in self.crd_dirs]
        for path in candidates:
            if path.is_file():
                schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                return schema
        return None


@lru_cache(maxsize=8)
def schema_set(version: str, crd_dirs: tuple[Path, ...] = ()) -> SchemaSet:
    return SchemaSet(_schema_dir(version), crd_dirs + (shipped_crd_schemas(),))


def shipped_crd_schemas() -> Path:
    return Path(str(resources.files("generator").joinpath("schemas").joinpath("crds")))


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    validated: int
    skipped: tuple[tuple[str, str], ...]  # (apiVersion, kind) with no schema


def _where(err: jsonschema.ValidationError) -> str:
    out = ""
    for part in err.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(object)"


def validate(
    documents: Iterable[tuple[str, Any]], version: str, crd_dirs: tuple[Path, ...] = (), out_dir: str = "output"
) -> Report:
    """Validate (path, object) pairs; a finding per schema error, rule ``manifest-schema``.

    Each distinct object (by content digest) is validated once: a workload's headless
    Service is the same in every cluster of its group, and the messages name only the
    object's own content, so the verdict is copied to every path that holds it.
    """
    schemas = schema_set(version, crd_dirs)
    findings: list[Finding] = []
    skipped: set[tuple[str, str]] = set()
    validated = 0
    verdicts: dict[bytes, tuple[bool, list[str]]] = {}  # content digest -> (validated, messages)
    for path, obj in documents:
        loc = Location(f"{out_dir}/{path}", 1, 1)
        digest = hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()).digest()
        if digest not in verdicts:
            verdicts[digest] = _verdict(obj, schemas, skipped, len(verdicts) >= GATE_AFTER or schemas.gate_ready())
        was_validated, messages = verdicts[digest]
        validated += was_validated
        findings.extend(error("manifest-schema", message, loc) for message in messages)
    return Report(tuple(findings), validated, tuple(sorted(skipped)))


def _verdict(obj: Any, schemas: SchemaSet, skipped: set[tuple[str, str]], use_gate: bool) -> tuple[bool, list[str]]:
    """(whether a schema checked it, its schema errors) for one object.

    With ``use_gate``, an object jsonschema-rs proves valid skips the Python validator (which would
    report nothing); anything else gets the Python validator's errors, word for word.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        return False, ["not a Kubernetes object (apiVersion and kind are required)"]
    key = (obj["apiVersion"], obj["kind"])
    if key in NOT_API_OBJECTS:
        return False, []
    gate = schemas.gate(*key) if use_gate else None
    if gate is not None and gate.is_valid(obj):
        return True, []  # jsonschema-rs proved it valid: the Python validator would report nothing
    validator = schemas.validator(*key)
    if validator is None:
        skipped.add(key)
        return False, []
    name = obj.get("metadata", {}).get("name", "?")
    return True, [
        f"{obj['kind']} {name}: {_where(err)}: {err.message}"
        for err in sorted(validator.iter_errors(obj), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    ]
