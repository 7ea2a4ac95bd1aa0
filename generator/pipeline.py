"""The pipeline steps chained: load -> validate -> model -> checks -> render -> manifest schemas.

Each step is a pure function of the previous step's value; only ``write`` (called by
the render command) touches the filesystem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from generator import apivalidation, checks, dnsproof, facts, manifests
from generator.diagnostics import Finding, sorted_findings
from generator.loader import Document, load_bytes, load_file
from generator.model import Cluster, Fleet, build
from generator.parallel import chunks, fork_map, workers
from generator.render import render
from generator.routes import plan_files
from generator.validate import validate_document
from generator.write import scalar_styles, serialize_all

# Files computed in Python rather than by blueprints (data, not manifests): path -> JSON value.
DataOutput = Callable[[Fleet], dict[str, Any]]
DATA_OUTPUTS: tuple[DataOutput, ...] = (plan_files, facts.facts_output)

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
    return load_document(load_file(path, display))


def load_text(raw: bytes, display: str) -> Loaded:
    """``load`` for a fleet read from elsewhere than a file (e.g. ``git show REV:path``)."""
    return load_document(load_bytes(raw, display))


def load_document(document: Document) -> Loaded:
    """Schema-validate and model a parsed fleet document, then run the built-in checks."""
    schema_findings = validate_document(document.data, document.source)
    if schema_findings:
        return Loaded(None, tuple(schema_findings))
    fleet = build(document.data, document.source)
    return Loaded(fleet, tuple(checks.run(fleet)))


@dataclass(frozen=True)
class Output:
    files: dict[str, Any]  # output-relative path -> object
    contents: dict[str, bytes]  # output-relative path -> the bytes written
    findings: tuple[Finding, ...]
    validated: int
    unvalidated_kinds: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Chunk:
    files: dict[str, Any]
    contents: dict[str, bytes]
    findings: tuple[Finding, ...]
    validated: int
    skipped: tuple[tuple[str, str], ...]


# Below this many clusters a second process costs more than it saves.
PARALLEL_MIN_CLUSTERS = 200
# At most this many clusters per Jsonnet evaluation: a worker holds one job's objects
# at a time (5,000 clusters in two jobs of 2,500 peaked at 1.27 GiB per worker).
JOB_MAX_CLUSTERS = 250


def render_output(
    fleet: Fleet,
    blueprints: Path | None = None,
    out_dir: str = "output",
    crd_schemas: tuple[Path, ...] = (),
    engine: str | None = None,
    processes: int | None = None,
    keep_objects: bool = True,
    validate: bool = True,
) -> Output:
    """Render, validate and serialize every file; clusters are split over the cores.

    ``keep_objects=False`` returns only the bytes (``files`` is empty): what a render
    writes, without sending every object back from the workers (memory, pickling).
    ``validate=False`` skips the manifest schemas (``fleetgen diff`` compares bytes only).
    """

    styles = scalar_styles()  # each worker's copy learns across the jobs it renders

    def one(job: tuple[int, list[Cluster]]) -> _Chunk:
        index, selected = job
        files = dict(render(fleet, blueprints, clusters=selected, hub=index == 0, engine_name=engine).files)
        if index == 0:
            for data_output in DATA_OUTPUTS:
                files.update(data_output(fleet))
        report = manifests.validate(
            ((p, o) for p, o in sorted(files.items()) if p.endswith((".yaml", ".yml"))),
            fleet.kubernetes_version,
            crd_schemas,
            out_dir,
        ) if validate else manifests.Report((), 0, ())
        contents = serialize_all(files, Path(fleet.file).name, styles)
        api_findings = apivalidation.validate(fleet, files, out_dir, contents=contents)
        return _Chunk(_shared(files, contents, {}) if keep_objects else {}, contents,
                      report.findings + tuple(api_findings), report.validated, report.skipped)

    count = workers(processes) if len(fleet.clusters) >= PARALLEL_MIN_CLUSTERS else 1
    size = max(count, -(-len(fleet.clusters) // JOB_MAX_CLUSTERS))  # jobs, handed out as workers free up
    jobs = list(enumerate(chunks(list(fleet.clusters), size)))
    results = fork_map(one, jobs, count)
    files: dict[str, Any] = {}
    contents: dict[str, bytes] = {}
    findings: list[Finding] = []
    skipped: set[tuple[str, str]] = set()
    seen: dict[bytes, Any] = {}
    for chunk in results:
        files.update(_shared(chunk.files, chunk.contents, seen))
        contents.update(chunk.contents)
        findings.extend(chunk.findings)
        skipped.update(chunk.skipped)
    return Output(
        files,
        dict(sorted(contents.items())),
        tuple(sorted_findings(findings)),
        sum(c.validated for c in results),
        tuple(sorted(skipped)),
    )


def _shared(files: dict[str, Any], contents: dict[str, bytes], seen: dict[bytes, Any]) -> dict[str, Any]:
    """``files`` with one object per distinct file content (``seen``: content -> its object):
    byte-identical files (a workload's headless Service in every cluster of a group) share
    one object, pickled once and held once. Callers must not mutate the objects (the same
    rule as ``write.LazyFiles``)."""
    return {path: seen.setdefault(contents[path], obj) for path, obj in files.items()}


def check_output(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> list[Finding]:
    """Every OUTPUT_CHECKS finding about a render (run only when the fleet itself has no errors)."""
    findings: list[Finding] = []
    for output_check in OUTPUT_CHECKS:
        findings.extend(output_check(fleet, files, out_dir))
    return sorted_findings(findings)
