"""Formatters for a ``FleetDiff``: text, json, markdown (a pull-request comment), github annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from generator import report
from generator.diagnostics import Severity
from generator.diff import Change, ClusterDiff, FleetDiff

FILE_LIST_LIMIT = 50  # rendered paths listed per kind; the rest are counted


@dataclass(frozen=True)
class Header:
    fleet: str  # the fleet file as named on the command line
    base: str  # "<ref> (<short commit>)"
    why: str  # how the base was chosen, "" when named
    graph: str = ""  # Mermaid source of the change (markdown only), "" for none


def _mark(change: Change) -> str:
    return f"[{change.severity}] " if change.severity else ""


def _files_line(d: FleetDiff) -> str:
    if d.files is None:
        return f"rendered files: not compared ({d.unrendered or 'a side was not rendered'})"
    f = d.files
    return (f"rendered files: {len(f.added)} added, {len(f.changed)} changed, {len(f.removed)} removed, "
            f"{f.unchanged} unchanged")


def _title(h: Header) -> str:
    why = f"; {h.why}" if h.why else ""
    return f"{h.fleet} at {h.base}{why} -> working tree"


def text(d: FleetDiff, h: Header) -> str:
    lines = [f"fleetgen diff: {_title(h)}"]
    if d.empty:
        lines.append("no changes")
    for c in d.fleet_changes:
        lines.append(f"fleet: {_mark(c)}{c.text}")
    for cd in d.clusters:
        lines.append(f"cluster {cd.name} ({cd.status})")
        for c in cd.changes:
            lines.append(f"  {c.section}: {_mark(c)}{c.text}")
    lines.append(_files_line(d))
    if d.files:
        for sign, paths in (("+", d.files.added), ("~", d.files.changed), ("-", d.files.removed)):
            lines += [f"  {sign} {p}" for p in paths[:FILE_LIST_LIMIT]]
            if len(paths) > FILE_LIST_LIMIT:
                lines.append(f"  {sign} ... and {len(paths) - FILE_LIST_LIMIT} more")
    if d.findings:
        lines.append("risky changes:")
        lines += [f.parsable() + (f" (clusters: {', '.join(f.clusters)})" if f.clusters else "") for f in d.findings]
    counts = report.summary(d.findings)
    lines.append(f"{counts['errors']} error(s), {counts['warnings']} warning(s)")
    return "\n".join(lines) + "\n"


def _change_json(c: Change) -> dict[str, object]:
    out: dict[str, object] = {"section": c.section, "text": c.text}
    if c.severity:
        out["severity"] = str(c.severity)
        out["rule"] = c.rule
    if c.location:
        out["location"] = {"file": c.location.file, "line": c.location.line, "column": c.location.column}
    return out


def as_json(d: FleetDiff, h: Header) -> str:
    doc = {
        "fleet": h.fleet,
        "base": h.base,
        "summary": report.summary(d.findings),
        "fleetChanges": [_change_json(c) for c in d.fleet_changes],
        "clusters": [
            {"name": cd.name, "status": cd.status, "changes": [_change_json(c) for c in cd.changes]}
            for cd in d.clusters
        ],
        "files": None if d.files is None else {
            "added": list(d.files.added), "changed": list(d.files.changed), "removed": list(d.files.removed),
            "unchanged": d.files.unchanged,
        },
        "findings": [f.to_json() for f in d.findings],
    }
    return json.dumps(doc, indent=2) + "\n"


_ICON = {Severity.ERROR: ":x:", Severity.WARNING: ":warning:"}


def _md(text: str) -> str:
    """Text safe inside a Markdown list item or table cell (no HTML, no table breaks)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return out.replace("\n", " ")


def _md_cluster(cd: ClusterDiff) -> list[str]:
    risky = [c for c in cd.changes if c.severity]
    worst = Severity.ERROR if any(c.severity is Severity.ERROR for c in risky) else (
        Severity.WARNING if risky else None)
    icon = f"{_ICON[worst]} " if worst else ""
    n = len(cd.changes)
    lines = [
        "<details>",
        f"<summary>{icon}<b>{_md(cd.name)}</b> ({cd.status}, {n} change{'s' if n != 1 else ''})</summary>",
        "",
    ]
    for c in cd.changes:
        icon = f"{_ICON[c.severity]} " if c.severity else ""
        where = f" (`{c.location}`)" if c.severity and c.location else ""
        lines.append(f"- **{c.section}**: {icon}{_md(c.text)}{where}")
    lines += ["", "</details>", ""]
    return lines


def markdown(d: FleetDiff, h: Header) -> str:
    counts = report.summary(d.findings)
    lines = [
        f"### fleetgen diff: `{_md(h.fleet)}`",
        "",
        f"Base: `{_md(h.base)}`{' (' + _md(h.why) + ')' if h.why else ''}. "
        f"{counts['errors']} error(s), {counts['warnings']} warning(s); {_md(_files_line(d))}.",
        "",
    ]
    if d.empty:
        lines += ["No changes.", ""]
    if d.findings:
        lines += ["| | risky change | where |", "| --- | --- | --- |"]
        for f in d.findings:
            lines.append(f"| {_ICON[f.severity]} `{f.rule}` | {_md(f.message)} | `{f.location}` |")
        lines.append("")
    if d.fleet_changes:
        lines += [f"- **fleet**: {_md(c.text)}" for c in d.fleet_changes] + [""]
    for cd in d.clusters:
        lines += _md_cluster(cd)
    if h.graph:
        lines += ["<details>", "<summary>Topology of the change</summary>", "", "```mermaid", h.graph.rstrip("\n"),
                  "```", "", "</details>", ""]
    if d.files and (d.files.added or d.files.changed or d.files.removed):
        lines += ["<details>", f"<summary>{_md(_files_line(d))}</summary>", "", "```diff"]
        for sign, paths in (("+", d.files.added), ("!", d.files.changed), ("-", d.files.removed)):
            lines += [f"{sign} {p}" for p in paths[:FILE_LIST_LIMIT]]
            if len(paths) > FILE_LIST_LIMIT:
                lines.append(f"{sign} ... and {len(paths) - FILE_LIST_LIMIT} more")
        lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def github(d: FleetDiff, h: Header) -> str:
    """Workflow commands: one annotation per risky change at the fleet file's line."""
    return report.github(d.findings)


FORMATS: dict[str, Callable[[FleetDiff, Header], str]] = {
    "text": text,
    "json": as_json,
    "markdown": markdown,
    "github": github,
}
