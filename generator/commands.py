"""Commands: typed functions returning an exit code. The CLI only parses arguments."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from generator import allocate as planner
from generator import dnsproof, pipeline, teamdir, write
from generator.diagnostics import Finding, Location, error, sorted_findings
from generator.errors import UsageError
from generator.loader import load_file
from generator.freshness import inputs_digest, remember_inputs
from generator.manifests import shipped_crd_schemas
from generator.model import build
from generator.render import DEFAULT_ENGINE, default_blueprints
from generator.policy.output import policy_findings
from generator.report import FORMATTERS
from generator.validate import validate_document


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
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Render the fleet into ``out_dir``; with ``check_only``, list what would change (exit 1) and write nothing."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if not loaded.ok or loaded.fleet is None:
        _emit(loaded.findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    fleet = loaded.fleet
    inputs = inputs_digest(
        fleet_path, blueprints or default_blueprints(), (shipped_crd_schemas(), *crd_schemas),
        engine or os.environ.get("FLEETGEN_JSONNET") or DEFAULT_ENGINE,
    )
    fresh = write.up_to_date(out_dir, inputs)
    if fresh is not None:
        if loaded.findings:
            _emit(loaded.findings, "text", stderr)
        stdout.write(f"{out_dir}/ is up to date ({fresh} files, {len(fleet.clusters)} clusters); nothing rendered\n")
        return 0
    output = pipeline.render_output(fleet, blueprints, out_dir.as_posix(), crd_schemas, engine, keep_objects=False)
    findings = list(loaded.findings) + list(output.findings)
    if _exit_code(findings):
        _emit(findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    if findings:
        _emit(findings, "text", stderr)
    contents = output.contents
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
    remember_inputs(out_dir, inputs)
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
    policy_dirs: tuple[Path, ...] = (),
    stdout: TextIO | None = None,
) -> int:
    """Every finding about the fleet; exit 1 on errors.

    The fleet's own findings (schema, built-in checks) first; when it has no errors,
    its render is checked too: Kubernetes/CRD schemas, the DNS resolution proof and
    the Rego policies (shipped ones plus ``policy_dirs``). A fleet with errors is
    not rendered: its output would not exist.
    """
    stdout = stdout or sys.stdout
    if fmt not in FORMATTERS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATTERS)}")
    loaded = pipeline.load(fleet_path, str(fleet_path))
    findings = list(loaded.findings)
    if loaded.ok and loaded.fleet is not None:
        out = (out_dir or Path("output")).as_posix()
        output = pipeline.render_output(loaded.fleet, blueprints, out, crd_schemas)
        findings.extend(output.findings)
        findings.extend(pipeline.check_output(loaded.fleet, output.files, out))
        findings.extend(policy_findings(output.files, out, policy_dirs))
        findings.extend(_stale(out_dir or Path("output"), output.contents))
        findings.extend(teamdir.findings(loaded.fleet, out_dir or Path("output"), output.contents, crd_schemas))
    _emit(findings, fmt, stdout)
    return _exit_code(findings)


def _stale(out_dir: Path, contents: dict[str, bytes]) -> list[Finding]:
    """``output-stale``: the committed output is not what the fleet renders (only if it was rendered at all)."""
    if not (out_dir / write.STATE_FILE).is_file():
        return []
    plan = write.plan(out_dir, contents)
    how = {"added": "is missing", "changed": "differs from what the fleet renders", "removed": "is no longer rendered"}
    findings = []
    for kind, paths in (("added", plan.added), ("changed", plan.changed), ("removed", plan.removed)):
        for rel in paths:
            findings.append(
                error("output-stale", f"{out_dir.as_posix()}/{rel} {how[kind]}; run `fleetgen render` and commit the result",
                      Location(f"{out_dir.as_posix()}/{rel}", 1, 1))
            )
    return findings


def allocate(
    fleet_path: Path,
    *,
    dry_run: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Fill missing ranges (and DNS endpoints) from spec.ipam.pools and write the fleet file back.

    With ``dry_run``, print the unified diff and write nothing. Exit 1 (nothing written)
    on schema errors or a pool that is too small.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    document = load_file(fleet_path, str(fleet_path))
    schema_findings = validate_document(document.data, document.source)
    if schema_findings:
        _emit(schema_findings, "text", stderr)
        stderr.write("allocate refused: fix the errors above; nothing was written\n")
        return 1
    result = planner.plan(build(document.data, document.source))
    if result.findings:
        _emit(result.findings, "text", stderr)
        stderr.write("allocate refused: nothing was written\n")
        return 1
    before = fleet_path.read_text(encoding="utf-8")
    after = planner.rewrite(before, result.assignments)
    if after == before:
        stdout.write(f"{fleet_path}: nothing to allocate\n")
        return 0
    clusters = len({a.cluster for a in result.assignments})
    summary = f"{len(result.assignments)} values for {clusters} clusters"
    if dry_run:
        name = str(fleet_path)
        stdout.writelines(difflib.unified_diff(before.splitlines(True), after.splitlines(True), name, name))
        stdout.write(f"would allocate {summary} in {fleet_path} (dry run: nothing written)\n")
        return 0
    fd, tmp = tempfile.mkstemp(prefix=".fleetgen-", dir=fleet_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(after)
        os.chmod(tmp, fleet_path.stat().st_mode & 0o777)
        os.replace(tmp, fleet_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    stdout.write(f"allocated {summary} in {fleet_path}\n")
    return 0


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
