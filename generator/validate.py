"""Validate a loaded fleet document against the shipped JSON Schema (draft 2020-12)."""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

from generator.diagnostics import Finding, error
from generator.loader import SourceMap, escape

SCHEMA_FILE = "fleet-v1alpha1.schema.json"


@lru_cache(maxsize=1)
def fleet_schema() -> dict[str, Any]:
    text = resources.files("generator.schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(fleet_schema())


def display_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_document(data: Any, source: SourceMap) -> list[Finding]:
    """Every schema error, each at the line and column of the node it is about."""
    findings: list[Finding] = []
    for err in _validator().iter_errors(data):
        findings.extend(_to_findings(err, source))
    # one finding per (location, message): anyOf branches can repeat themselves
    unique = {(f.location, f.message): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


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
    if err.validator == "pattern" and "dnsLabel" in "/".join(str(p) for p in err.schema_path) or (
        err.validator == "pattern" and err.validator_value == "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    ):
        return [
            error(
                "schema",
                f"{where}: {json.dumps(err.instance)} is not a DNS-1123 label "
                "(lower case letters, digits and '-', starting and ending with a letter or digit)",
                source.locate(ptr),
            )
        ]
    return [error("schema", f"{where}: {err.message}", source.locate(ptr))]
