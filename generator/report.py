"""Formatters for findings, chosen by name from one dict (text, json, ...)."""

from __future__ import annotations

import json
from typing import Callable, Sequence

from generator import __version__
from generator.diagnostics import Finding, printable

Formatter = Callable[[Sequence[Finding], bool], str]

_COLOURS = {"error": "\033[31m", "warning": "\033[33m"}
_RESET = "\033[0m"


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    errors = sum(1 for f in findings if f.is_error)
    return {"errors": errors, "warnings": len(findings) - errors}


def text(findings: Sequence[Finding], colour: bool = False) -> str:
    """``file:line:col: [severity] rule message`` lines, grouped by file, then a count.

    With findings in several files, each file's group starts with a ``== file`` heading
    line (which no ``file:line:col:`` parser mistakes for a finding).
    """
    lines: list[str] = []
    files = list(dict.fromkeys(f.location.file for f in findings))
    for file in files:
        group = [f for f in findings if f.location.file == file]
        if len(files) > 1:
            if lines:
                lines.append("")
            lines.append(f"== {printable(file)} ({len(group)} finding{'s' if len(group) != 1 else ''})")
        for f in group:
            sev = str(f.severity)
            if colour:
                sev = f"{_COLOURS.get(sev, '')}{sev}{_RESET}"
            where = f" (clusters: {printable(', '.join(f.clusters))})" if f.clusters else ""
            lines.append(f"{f.location}: [{sev}] {printable(f.rule)} {printable(f.message)}{where}")
    counts = summary(findings)
    lines.append(f"{counts['errors']} error(s), {counts['warnings']} warning(s)")
    return "\n".join(lines) + "\n"


def as_json(findings: Sequence[Finding], colour: bool = False) -> str:
    return json.dumps({"summary": summary(findings), "findings": [f.to_json() for f in findings]}, indent=2) + "\n"


SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _uri(file: str) -> tuple[str, bool]:
    """A SARIF artifact URI: repository-relative paths stay relative (to %SRCROOT%)."""
    if file.startswith("/"):
        return "file://" + "/".join(_percent(p) for p in file.split("/")), False
    return "/".join(_percent(p) for p in file.split("/")), True


def _percent(segment: str) -> str:
    from urllib.parse import quote  # here, not at the top: `fleetgen --help` lists the formats

    return quote(segment, safe="-._~@+=,;!$&'()*")


def sarif(findings: Sequence[Finding], colour: bool = False) -> str:
    """SARIF 2.1.0, one run, for GitHub code scanning (``github/codeql-action/upload-sarif``)."""
    rule_ids = sorted({f.rule for f in findings})
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = [
        {
            "id": r,
            "name": "".join(part.capitalize() for part in r.replace("/", "-").split("-")),
            "shortDescription": {"text": f"fleetgen rule {r}"},
        }
        for r in rule_ids
    ]
    results = []
    for f in findings:
        uri, relative = _uri(f.location.file)
        artifact: dict[str, object] = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        result: dict[str, object] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": "error" if f.is_error else "warning",
            "message": {"text": printable(f.message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {"startLine": max(f.location.line, 1), "startColumn": max(f.location.column, 1)},
                    }
                }
            ],
        }
        if f.clusters:
            result["properties"] = {"clusters": list(f.clusters)}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fleetgen",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def junit(findings: Sequence[Finding], colour: bool = False) -> str:
    """One ``testsuite``; a ``testcase`` per rule with findings, a ``failure`` per error (warnings in system-out)."""
    import xml.etree.ElementTree as ET  # here, not at the top: `fleetgen --help` lists the formats

    rules = sorted({f.rule for f in findings})
    errors = [f for f in findings if f.is_error]
    suites = ET.Element("testsuites", name="fleetgen")
    suite = ET.SubElement(
        suites, "testsuite", name="fleetgen check", tests=str(max(len(rules), 1)),
        failures=str(len(errors)), errors="0", skipped="0",
    )
    if not rules:
        ET.SubElement(suite, "testcase", classname="fleetgen", name="fleetgen check")
    for rule in rules:
        case = ET.SubElement(suite, "testcase", classname="fleetgen", name=printable(rule))
        for f in findings:
            if f.rule == rule and f.is_error:
                failure = ET.SubElement(case, "failure", message=printable(f.message), type=printable(rule))
                failure.text = f.parsable()
        warnings = [f.parsable() for f in findings if f.rule == rule and not f.is_error]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(warnings)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _escape_data(value: str) -> str:
    """GitHub's own escapes for CR, LF and '%'; every other control character as printable() writes it."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding], colour: bool = False) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...,col=...,title=...::message``)."""
    lines = []
    for f in findings:
        command = "error" if f.is_error else "warning"
        props = [f"file={_escape_property(f.location.file)}"]
        if f.location.line:
            props += [f"line={f.location.line}", f"col={max(f.location.column, 1)}"]
        props.append(f"title={_escape_property(f.rule)}")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(f.message)}")
    counts = summary(findings)
    lines.append(f"fleetgen: {counts['errors']} error(s), {counts['warnings']} warning(s)")
    return "\n".join(lines) + "\n"


FORMATTERS: dict[str, Formatter] = {
    "text": text,
    "json": as_json,
    "sarif": sarif,
    "junit": junit,
    "github": github,
}
