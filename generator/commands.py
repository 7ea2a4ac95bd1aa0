"""Commands: typed functions returning an exit code. The CLI only parses arguments."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from generator import dnsproof, pipeline, write
from generator.diagnostics import Finding, sorted_findings
from generator.errors import UsageError
from generator.report import FORMATTERS


def _emit(findings: list[Finding] | tuple[Finding, ...], fmt: str, stream: TextIO) -> None:
    colour = fmt == "text" and stream.isatty()
    stream.write(FORMATTERS[fmt](sorted_findings(list(findings)), colour))


def _exit_code(findings: list[Finding] | tuple[Finding, ...]) -> int:
    return 1 if any(f.is_error for f in findings) else 0


def render(
    fleet_path: Path,
    out_dir: Path,
    *,
    check_only: bool = False,
    blueprints: Path | None = None,
    crd_schemas: tuple[Path, ...] = (),
    engine: str | None = None,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    """Render the fleet into ``out_dir``; with ``check_only``, list what would change (exit 1) and write nothing."""
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if not loaded.ok or loaded.fleet is None:
        _emit(loaded.findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    fleet = loaded.fleet
    output = pipeline.render_output(fleet, blueprints, out_dir.as_posix(), crd_schemas, engine)
    findings = list(loaded.findings) + list(output.findings)
    if _exit_code(findings):
        _emit(findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    if findings:
        _emit(findings, "text", stderr)
    contents = write.serialize_all(output.files, fleet_path.name)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a directory")
    plan = write.plan(out_dir, contents)
    clusters = len(fleet.clusters)
    if check_only:
        if plan.dirty:
            stdout.write("\n".join(plan.lines(out_dir.as_posix())) + "\n")
            stdout.write(
                f"{out_dir}/ is out of date: {len(plan.added)} added, {len(plan.changed)} changed, "
                f"{len(plan.removed)} removed; run `fleetgen render` (or `make render`) and commit the result\n"
            )
            return 1
        stdout.write(f"{out_dir}/ is up to date ({len(contents)} files, {clusters} clusters)\n")
        return 0
    write.apply(out_dir, contents, plan)
    stdout.write(
        f"rendered {len(contents)} files for {clusters} clusters into {out_dir}/: "
        f"{len(plan.added)} added, {len(plan.changed)} changed, {len(plan.removed)} removed, "
        f"{plan.unchanged} unchanged\n"
    )
    if output.unvalidated_kinds:
        kinds = ", ".join(f"{k} ({a})" for a, k in output.unvalidated_kinds)
        stdout.write(f"note: no schema for {kinds}; those objects were not schema-validated\n")
    return 0


def check(
    fleet_path: Path,
    *,
    fmt: str = "text",
    out_dir: Path | None = None,
    blueprints: Path | None = None,
    crd_schemas: tuple[Path, ...] = (),
    stdout: TextIO = sys.stdout,
) -> int:
    """Every finding about the fleet (built-in checks, rendered manifests); exit 1 on errors."""
    if fmt not in FORMATTERS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATTERS)}")
    loaded = pipeline.load(fleet_path, str(fleet_path))
    findings = list(loaded.findings)
    if loaded.fleet is not None and not any(f.rule in ("placement", "cluster-duplicate") and f.is_error for f in findings):
        output = pipeline.render_output(loaded.fleet, blueprints, (out_dir or Path("output")).as_posix(), crd_schemas)
        findings.extend(output.findings)
        if loaded.ok:
            findings.extend(pipeline.check_output(loaded.fleet, output.files, (out_dir or Path("output")).as_posix()))
    _emit(findings, fmt, stdout)
    return _exit_code(findings)


def explain_dns(
    cluster: str,
    name: str,
    fleet_path: Path,
    *,
    out_dir: Path | None = None,
    blueprints: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Print the hops ``name`` takes from ``cluster``: 0 if it resolves, 1 if not, 2 for an unknown cluster."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if loaded.fleet is None:
        _emit(loaded.findings, "text", stderr)
        return 2
    fleet = loaded.fleet
    if fleet.cluster(cluster) is None:
        stderr.write(f"fleetgen: unknown cluster {cluster!r}; the fleet has {', '.join(fleet.by_name) or 'no clusters'}\n")
        return 2
    out = (out_dir or Path("output")).as_posix()
    output = pipeline.render_output(fleet, blueprints, out)
    explanation = dnsproof.tracer(fleet, output.files, out).explain(cluster, name)
    stdout.write(dnsproof.format_explanation(explanation))
    return 0 if explanation.resolved else 1
