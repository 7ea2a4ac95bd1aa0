"""Validate a loaded fleet document against the shipped JSON Schema (draft 2020-12)."""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

from generator import schemagate
from generator.diagnostics import Finding, error
from generator.loader import SourceMap, escape

SCHEMA_FILE = "fleet-v1alpha1.schema.json"
# From this many YAML nodes on, jsonschema-rs decides first (generator/schemagate.py); below it, importing
# and compiling it (~15 ms) costs more than the Python validator.
GATE_MIN_NODES = 2000
DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$(?!\\n)"
# Characters no fleet value may hold: they end up inside Corefiles, JSON in ConfigMaps,
# Helm values and annotations, where a line break starts new configuration.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# What each pattern of the fleet schema asks for, in words: a failed pattern never shows the raw
# regular expression. A pattern missing here falls back to its schema node's description.
PATTERN_HELP = {
    "^1\\.[0-9]{2}$": "a Kubernetes minor version such as \"1.33\"",
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": (
        "a DNS-1123 label (lower case letters, digits and '-', starting and ending with a letter or digit)"
    ),
    "^[0-9A-Za-z.+-]+$": "a chart version (letters, digits, '.', '+' and '-', e.g. \"1.19.1\")",
    "^[^\\s\"'{}]+$": (
        "an image reference without spaces, quotes or braces (e.g. \"registry.k8s.io/coredns/coredns:v1.12.2\")"
    ),
    "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$": (
        "a DNS-1123 subdomain (lower case letters, digits, '-' and '.', starting and ending with a letter or digit)"
    ),
    "^(https://|ssh://|git@|http://)[^\\s\"'{}]+$": (
        "a Git URL starting with https://, ssh://, git@ or http://, without spaces, quotes or braces"
    ),
    "^[A-Za-z0-9._/-]+$": "a relative path of letters, digits, '.', '_', '-' and '/'",
    "^[0-9]+(s|m|h)$": "a duration in whole seconds, minutes or hours (e.g. \"30s\", \"5m\", \"1h\")",
    "\\{cluster\\}": "a pattern containing the placeholder {cluster}",
    "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\\.?$": (
        "an RFC 1123 DNS name in lower case (labels of letters, digits and '-', separated by '.', "
        "e.g. \"corp.example.com\")"
    ),
    "^[0-9a-fA-F:.]+$": "an IPv4 or IPv6 address (digits, hex, '.' and ':' only; no zone id, port or spaces)",
    "^https://[^\\s\"'{}]+$": "an https:// URL without spaces, quotes or braces (e.g. \"https://a.eks.example.com\")",
}


@lru_cache(maxsize=1)
def fleet_schema() -> dict[str, Any]:
    text = resources.files("generator.schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(fleet_schema())


@lru_cache(maxsize=1)
def _gate() -> schemagate.Gate | None:
    return schemagate.gate(fleet_schema())


def schema_errors(data: Any, use_gate: bool = True) -> list[jsonschema.ValidationError]:
    """The fleet schema's errors; none without asking Python when jsonschema-rs proves the document valid."""
    gate = _gate() if use_gate else None
    if gate is not None and gate.is_valid(data):
        return []
    return list(_validator().iter_errors(data))


def display_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_document(data: Any, source: SourceMap) -> list[Finding]:
    """Every schema error, each at the line and column of the node it is about."""
    findings: list[Finding] = []
    for err in schema_errors(data, use_gate=len(source.values) >= GATE_MIN_NODES):
        findings.extend(_to_findings(err, source))
    # a control character anywhere, also where the schema has no grammar (once per node)
    seen = {f.location for f in findings}
    findings.extend(f for f in _control_characters(data, [], source) if f.location not in seen)
    # one finding per (location, message): anyOf branches can repeat themselves
    unique = {(f.location, f.message): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


def _control_characters(value: Any, parts: list[Any], source: SourceMap) -> Any:
    """Every string value or mapping key of the document holding a control character (a line break, a tab, ESC)."""
    ptr = "".join("/" + escape(str(p)) for p in parts)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _CONTROL.search(key):
                yield error(
                    "schema",
                    f"{display_path([*parts, key])}: the key {json.dumps(key)} contains a control character; "
                    "fleet values end up in Corefiles, JSON and annotations, where it would start new configuration",
                    source.locate(f"{ptr}/{escape(str(key))}", key=True),
                )
            yield from _control_characters(item, [*parts, key], source)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _control_characters(item, [*parts, index], source)
    elif isinstance(value, str) and _CONTROL.search(value):
        yield error(
            "schema",
            f"{display_path(parts)}: {json.dumps(value)} contains a control character; "
            "fleet values end up in Corefiles, JSON and annotations, where it would start new configuration",
            source.locate(ptr),
        )


def _to_findings(err: jsonschema.ValidationError, source: SourceMap) -> list[Finding]:
    parts = list(err.absolute_path)
    ptr = "".join("/" + escape(str(p)) for p in parts)
    where = display_path(parts)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted((err.schema.get("properties") or {}).keys())
        known = set(allowed)
        out = []
        for key in err.instance:
            if key in known:
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else f"; allowed: {', '.join(allowed)}"
            name = f"{where}.{key}" if parts else key
            out.append(error("schema", f"{name}: unknown field{suggestion}", source.locate(f"{ptr}/{escape(key)}", key=True)))
        return out
    if err.validator == "required":
        return [error("schema", f"{where}: {err.message}", source.locate(ptr))]
    if err.validator == "enum":
        options = ", ".join(json.dumps(v) for v in err.validator_value)
        return [error("schema", f"{where}: {json.dumps(err.instance)} is not one of {options}", source.locate(ptr))]
    if err.validator in ("oneOf", "anyOf") and err.context:
        # one branch is the plain-string form: its grammar says what was wrong with the value
        worded = [e for e in err.context if e.validator == "pattern" and isinstance(e.schema, dict)
                  and e.schema.get("x-fleetgen-grammar")]
        if worded:
            grammar = worded[0].schema["x-fleetgen-grammar"]
            return [error("schema", f"{where}: {json.dumps(err.instance)} is not {grammar}", source.locate(ptr))]
    if err.validator == "pattern":
        grammar = err.schema.get("x-fleetgen-grammar") if isinstance(err.schema, dict) else None
        words = grammar or pattern_help(err)
        return [error("schema", f"{where}: {json.dumps(err.instance)} is not {words}", source.locate(ptr))]
    return [error("schema", f"{where}: {err.message}", source.locate(ptr))]


def pattern_words(pattern: str) -> str | None:
    """The words for a schema pattern (the trailing ``(?!\\n)`` that keeps ``$`` from matching before a newline aside)."""
    return PATTERN_HELP.get(pattern.removesuffix("(?!\\n)"))


def pattern_help(err: jsonschema.ValidationError) -> str:
    """The words for what a pattern asks for (never the regular expression itself)."""
    known = pattern_words(str(err.validator_value))
    if known:
        return known
    description = err.schema.get("description") if isinstance(err.schema, dict) else None
    if isinstance(description, str) and description:
        return f"in the expected form ({description.rstrip('.')})"
    return "in the expected form (see docs/fleet-reference.md)"
