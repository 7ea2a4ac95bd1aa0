"""Formatters for findings, chosen by name from one dict (text, json, ...)."""

from __future__ import annotations

import json
from typing import Callable, Sequence

from generator.diagnostics import Finding

Formatter = Callable[[Sequence[Finding], bool], str]

_COLOURS = {"error": "\033[31m", "warning": "\033[33m"}
_RESET = "\033[0m"


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    errors = sum(1 for f in findings if f.is_error)
    return {"errors": errors, "warnings": len(findings) - errors}


def text(findings: Sequence[Finding], colour: bool = False) -> str:
    """``file:line:col: [severity] rule message`` lines, grouped by file, then a count."""
    lines: list[str] = []
    for f in findings:
        sev = str(f.severity)
        if colour:
            sev = f"{_COLOURS.get(sev, '')}{sev}{_RESET}"
        where = f" (clusters: {', '.join(f.clusters)})" if f.clusters else ""
        lines.append(f"{f.location}: [{sev}] {f.rule} {f.message}{where}")
    counts = summary(findings)
    lines.append(f"{counts['errors']} error(s), {counts['warnings']} warning(s)")
    return "\n".join(lines) + "\n"


def as_json(findings: Sequence[Finding], colour: bool = False) -> str:
    return json.dumps({"summary": summary(findings), "findings": [f.to_json() for f in findings]}, indent=2) + "\n"


FORMATTERS: dict[str, Formatter] = {
    "text": text,
    "json": as_json,
}
