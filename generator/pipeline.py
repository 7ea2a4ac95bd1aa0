"""The pipeline steps chained: load -> validate -> model -> checks -> render -> manifest schemas.

Each step is a pure function of the previous step's value; only ``write`` (called by
the render command) touches the filesystem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from generator import checks, dnsproof, facts, manifests
from generator.diagnostics import Finding, sorted_findings
from generator.loader import load_file
from generator.model import Fleet, build
from generator.render import render
from generator.validate import validate_document

# Files computed in Python rather than by blueprints (data, not manifests): path -> JSON value.
DataOutput = Callable[[Fleet], dict[str, Any]]
DATA_OUTPUTS: tuple[DataOutput, ...] = (facts.facts_output,)

# Checks over the rendered output (fleet, output-relative path -> object, output dir) -> findings.
OutputCheck = Callable[[Fleet, dict[str, Any], str], Iterable[Finding]]
OUTPUT_CHECKS: tuple[OutputCheck, ...] = (dnsproof.prove,)


@dataclass(frozen=True)
class Loaded:
    fleet: Fleet | None  # None when the document failed schema validation
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.fleet is not None and not any(f.is_error for f in self.findings)


def load(path: Path, display: str | None = None) -> Loaded:
    """Read, schema-validate and model a fleet file, then run the built-in checks.

    Raises LoadError (exit 2) when the file cannot be read or parsed.
    """
    document = load_file(path, display)
    schema_findings = validate_document(document.data, document.source)
    if schema_findings:
        return Loaded(None, tuple(schema_findings))
    fleet = build(document.data, document.source)
    return Loaded(fleet, tuple(checks.run(fleet)))


@dataclass(frozen=True)
class Output:
    files: dict[str, Any]  # output-relative path -> object
    findings: tuple[Finding, ...]
    validated: int
    unvalidated_kinds: tuple[tuple[str, str], ...]


def render_output(
    fleet: Fleet,
    blueprints: Path | None = None,
    out_dir: str = "output",
    crd_schemas: tuple[Path, ...] = (),
    engine: str | None = None,
) -> Output:
    files = dict(render(fleet, blueprints, engine_name=engine).files)
    for data_output in DATA_OUTPUTS:
        files.update(data_output(fleet))
    report = manifests.validate(
        ((p, o) for p, o in sorted(files.items()) if p.endswith((".yaml", ".yml"))),
        fleet.kubernetes_version,
        crd_schemas,
        out_dir,
    )
    return Output(files, tuple(sorted_findings(list(report.findings))), report.validated, report.skipped)


def check_output(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> list[Finding]:
    """Every OUTPUT_CHECKS finding about a render (run only when the fleet itself has no errors)."""
    findings: list[Finding] = []
    for output_check in OUTPUT_CHECKS:
        findings.extend(output_check(fleet, files, out_dir))
    return sorted_findings(findings)
