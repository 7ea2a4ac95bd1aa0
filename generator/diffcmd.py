"""``fleetgen diff``: the fleet at a git revision against the working tree, as a network engineer reads it."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from generator import diff as fleetdiff
from generator import diffreport, gitbase, graph, pipeline, report
from generator.diagnostics import Severity, sorted_findings
from generator.errors import RenderError, UsageError
from generator.model import Fleet

FAIL_ON = ("warning", "error")


def _rendered(fleet: Fleet, blueprints: Path | None) -> dict[str, bytes] | None:
    try:
        return pipeline.render_output(fleet, blueprints, keep_objects=False, validate=False).contents
    except RenderError:
        return None


def _empty_like(fleet: Fleet) -> Fleet:
    """The fleet with nothing in it: the base of a pull request that adds the fleet file."""
    return replace(fleet, clusters=(), workloads=(), groups=(), connectivity=replace(fleet.connectivity, links=()),
                   by_name={}, peers={}, memo={})


def diff(
    fleet_path: Path,
    *,
    base: str | None = None,
    fmt: str = "text",
    fail_on: str | None = None,
    blueprints: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Report what the change from ``base`` to the working tree's fleet does; exit 1 only per ``fail_on``."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if fmt not in diffreport.FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(diffreport.FORMATS)}")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on {fail_on!r}: choose warning or error")
    display = str(fleet_path)
    head = pipeline.load(fleet_path, display)
    if head.fleet is None:
        stderr.write(report.text(sorted_findings(list(head.findings))))
        stderr.write("diff refused: the working tree's fleet does not validate\n")
        return 1
    found = gitbase.read_base(fleet_path, base)
    label = f"{found.ref} ({found.commit[:12]})" if found.ref != found.commit else found.commit[:12]
    if found.content is None:  # a new fleet: everything in it is added
        old = pipeline.Loaded(_empty_like(head.fleet), ())
        why = "; ".join(w for w in (found.why, f"{fleet_path.name} does not exist there: a new fleet") if w)
        found = replace(found, why=why)
    else:
        old = pipeline.load_text(found.content, display)
    if old.fleet is None:
        raise UsageError(f"{display} at {label} does not validate against the schema; compare with another --base")
    base_files = {} if found.content is None else _rendered(old.fleet, blueprints) if old.ok else None
    head_files = _rendered(head.fleet, blueprints) if head.ok else None
    why = ""
    if head_files is None:
        why = "the working tree's fleet has errors (see `fleetgen check`); it was not rendered"
    elif base_files is None:
        why = f"the fleet at {label} has errors; it was not rendered"
    result = fleetdiff.compare(old.fleet, head.fleet, base_files, head_files, why)
    picture = graph.mermaid(graph.change_topology(old.fleet, head.fleet)) if fmt == "markdown" else ""
    header = diffreport.Header(display, label, found.why, picture)
    stdout.write(diffreport.FORMATS[fmt](result, header))
    if fail_on == "error":
        return 1 if any(f.severity is Severity.ERROR for f in result.findings) else 0
    if fail_on == "warning":
        return 1 if result.findings else 0
    return 0


def graph_cmd(
    fleet_path: Path,
    *,
    fmt: str = "mermaid",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Print the fleet's topology (Mermaid, dot, or SVG through Graphviz)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if fmt not in graph.FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(graph.FORMATS)}")
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if loaded.fleet is None:
        stderr.write(report.text(sorted_findings(list(loaded.findings))))
        stderr.write("graph refused: the fleet does not validate\n")
        return 1
    stdout.write(graph.FORMATS[fmt](graph.topology(loaded.fleet)))
    return 0

