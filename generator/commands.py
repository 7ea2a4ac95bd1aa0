"""Commands: typed functions returning an exit code. The CLI only parses arguments."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from generator import crosscheck, dnsproof, freshness, orphans, outdir, pipeline, teamdir, verify, write
from generator.diagnostics import Finding, Location, error, sorted_findings
from generator.errors import UsageError
from generator.loader import load_file
from generator.freshness import inputs_digest
from generator.manifests import shipped_crd_schemas
from generator.model import Fleet, build
from generator.render import DEFAULT_ENGINE, default_blueprints
from generator.policy.output import started as policy_started
from generator.progress import SILENT, Progress
from generator.report import FORMATTERS
from generator.validate import validate_document


def _emit(findings: list[Finding] | tuple[Finding, ...], fmt: str, stream: TextIO) -> None:
    colour = fmt == "text" and stream.isatty()
    stream.write(FORMATTERS[fmt](sorted_findings(list(findings)), colour))


def _exit_code(findings: list[Finding] | tuple[Finding, ...]) -> int:
    return 1 if any(f.is_error for f in findings) else 0


def default_output(fleet_path: Path) -> Path:
    """The output directory of a fleet: ``output/`` next to the fleet file, wherever the command runs."""
    return fleet_path.parent / "output"


def _inputs(fleet_path: Path, blueprints: Path | None, crd_schemas: tuple[Path, ...], engine: str | None) -> str:
    return inputs_digest(
        fleet_path, blueprints or default_blueprints(), (shipped_crd_schemas(), *crd_schemas),
        engine or os.environ.get("FLEETGEN_JSONNET") or DEFAULT_ENGINE,
    )


def render(
    fleet_path: Path,
    out_dir: Path | None = None,
    *,
    check_only: bool = False,
    blueprints: Path | None = None,
    crd_schemas: tuple[Path, ...] = (),
    engine: str | None = None,
    adopt: bool = False,
    quiet: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Render the fleet into ``out_dir``; with ``check_only``, list what would change (exit 1) and write nothing."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    progress = Progress.for_stream(stderr, quiet)
    out_dir = out_dir or default_output(fleet_path)
    progress.stage(f"loading {fleet_path}")
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if not loaded.ok or loaded.fleet is None:
        _emit(loaded.findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    fleet = loaded.fleet
    owner = outdir.owner_for(fleet.name, fleet_path, out_dir)
    inputs = _inputs(fleet_path, blueprints, crd_schemas, engine)
    label = out_dir.as_posix()
    with outdir.opened(out_dir, create=False) as root:
        if root is not None:
            with outdir.locked(root, exclusive=False):
                cur = outdir.current(root)
                outdir.check_owner(cur, owner, root, adopt=adopt)
                if cur.state is not None and freshness.trusted(out_dir, inputs, cur.state.raw):
                    if write.verify_exact(root, cur) is not None:
                        if loaded.findings:
                            _emit(loaded.findings, "text", stderr)
                        stdout.write(f"{label}/ is up to date ({len(cur.state.files)} files, "
                                     f"{len(fleet.clusters)} clusters); nothing rendered\n")
                        return 0
    progress.stage(f"rendering {len(fleet.clusters)} clusters, {len(fleet.workloads)} workloads")
    output = pipeline.render_output(fleet, blueprints, label, crd_schemas, engine, keep_objects=False)
    findings = list(loaded.findings) + list(output.findings)
    if _exit_code(findings):
        _emit(findings, "text", stderr)
        stderr.write("render refused: fix the errors above; nothing was written\n")
        return 1
    if findings:
        _emit(findings, "text", stderr)
    contents = output.contents
    clusters = len(fleet.clusters)
    command = f"fleetgen render {fleet_path.as_posix()}"
    with outdir.opened(out_dir, create=not check_only) as root:
        if root is None:  # --check and no output at all
            stdout.write("\n".join(f"added    {label}/{p}" for p in contents) + "\n")
            stdout.write(f"{label}/ does not exist: {len(contents)} files would be added; run `{command}` "
                         "and commit the result\n")
            return 1
        with outdir.locked(root, exclusive=not check_only, fleet=fleet.name):
            progress.stage(f"comparing {len(contents)} files with {label}/")
            cur = outdir.current(root)
            outdir.check_owner(cur, owner, root, adopt=adopt)
            plan = write.plan(root, cur, contents, owner)
            if plan.conflicts:
                raise outdir.OutputError(write.conflict_message(root, plan.conflicts))
            if check_only:
                if plan.dirty:
                    stdout.write("\n".join(plan.lines(label)) + "\n")
                    stdout.write(
                        f"{label}/ is out of date: {len(plan.added)} added, {len(plan.changed)} changed, "
                        f"{len(plan.removed)} removed; run `{command}` and commit the result\n"
                    )
                    return 1
                if not findings:
                    freshness.remember(out_dir, inputs, plan.state)
                stdout.write(f"{label}/ is up to date ({len(contents)} files, {clusters} clusters)\n")
                return 0
            freshness.forget(out_dir)
            progress.stage(f"writing {len(plan.added) + len(plan.changed)} files, pruning {len(plan.removed)}")
            write.apply(root, cur, contents, plan, owner)
            if not findings:
                freshness.remember(out_dir, inputs, plan.state)
    stdout.write(
        f"rendered {len(contents)} files for {clusters} clusters into {label}/: "
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
    skip_combined: bool = False,
    quiet: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Every finding about the fleet; exit 1 on errors.

    The fleet's own findings (schema, built-in checks) first; when it has no errors,
    its output is checked too: Kubernetes/CRD schemas, the DNS resolution proof and
    the Rego policies (shipped ones plus ``policy_dirs``), and whether the committed
    output is what the fleet renders. When this machine rendered (or verified) these
    exact inputs into the output and the files are still exactly those, the files on
    disk are checked as they are; otherwise the fleet is rendered in memory and
    compared with the output. A fleet with errors is not rendered: its output would
    not exist.
    """
    stdout = stdout or sys.stdout
    if fmt not in FORMATTERS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATTERS)}")
    progress = Progress.for_stream(stderr or sys.stderr, quiet)
    findings = check_findings(fleet_path, out_dir=out_dir, blueprints=blueprints, crd_schemas=crd_schemas,
                              policy_dirs=policy_dirs, skip_combined=skip_combined, progress=progress)
    _emit(findings, fmt, stdout)
    return _exit_code(findings)


def check_findings(
    fleet_path: Path,
    *,
    out_dir: Path | None = None,
    blueprints: Path | None = None,
    crd_schemas: tuple[Path, ...] = (),
    policy_dirs: tuple[Path, ...] = (),
    skip_combined: bool = False,
    progress: Progress = SILENT,
) -> list[Finding]:
    """What ``check`` reports, unsorted (``check`` and the Argo CD plugin's ``generate`` share it)."""
    out_dir = out_dir or default_output(fleet_path)
    progress.stage(f"loading {fleet_path}")
    loaded = pipeline.load(fleet_path, str(fleet_path))
    findings = list(loaded.findings)
    if loaded.ok and loaded.fleet is not None:
        fleet = loaded.fleet
        out = out_dir.as_posix()
        owner = outdir.owner_for(fleet.name, fleet_path, out_dir)
        inputs = _inputs(fleet_path, blueprints, crd_schemas, None)
        files: Mapping[str, Any] | None = None
        raw: dict[str, bytes] = {}
        with ExitStack() as stack:
            # The policy workers are forked as soon as the files are known, before this process
            # parses or proves anything: each parses what it evaluates, and none inherits more
            # than the files' bytes (at 5,000 clusters the worker evaluating the facts document
            # adds ~600 MB of the engine's own to whatever it inherited).
            policies: Callable[[], list[Finding]] = list

            def render_bytes() -> pipeline.Output:  # the bytes only: they are read back like the output on disk
                output = pipeline.render_output(fleet, blueprints, out, crd_schemas, keep_objects=False)
                findings.extend(output.findings)
                return output

            def start_policies(files: Mapping[str, Any], raw: dict[str, bytes]) -> Callable[[], list[Finding]]:
                return stack.enter_context(policy_started(files, out, policy_dirs, skip_combined=skip_combined,
                                                          raw=raw))
            with outdir.opened(out_dir, create=False) as root:
                if root is not None:
                    with outdir.locked(root, exclusive=False):
                        cur = outdir.current(root)
                        if cur.state is not None and freshness.trusted(out_dir, inputs, cur.state.raw):
                            data = write.verify_exact(root, cur)
                            if data is not None:
                                files, raw = write.LazyFiles(data, cur.state.files), data
                                progress.stage(f"checking the current output as it is ({len(files)} files)")
                        if files is None:
                            progress.stage(f"rendering {len(fleet.clusters)} clusters in memory")
                            output = render_bytes()
                            files, raw = write.LazyFiles(output.contents), output.contents
                            stale = _stale(root, cur, output.contents, owner, fleet_path)
                            findings.extend(stale)
                            if not stale and not output.findings and cur.state is not None:
                                freshness.remember(out_dir, inputs, cur.state.raw)
                        progress.stage(f"running policies over {len(files)} documents; meanwhile team directories, "
                                       f"orphans, DNS resolution across {len(fleet.clusters)} clusters")
                        policies = start_policies(files, raw)
                        findings.extend(teamdir.findings(fleet, root, cur, files, crd_schemas))
                        # under the lock already held, with the state already read: no second open or parse
                        findings.extend(orphans.check_open(fleet, files, out_dir, root, cur))
                    findings.extend(_gitops_path(fleet, out_dir))
            if files is None:  # no output directory yet: check the render in memory
                output = render_bytes()
                files, raw = write.LazyFiles(output.contents), output.contents
                policies = start_policies(files, raw)
                findings.extend(orphans.check_open(fleet, files, out_dir, None, None))
            files_ = dict(files)  # a LazyFiles is parsed here, each distinct file once
            findings.extend(pipeline.check_output(fleet, files_, out))
            findings.extend(crosscheck.run(fleet, files_, out))
            findings.extend(policies())
        progress.stage(f"done: {len(findings)} findings")
    return findings


def _stale(root: outdir.Root, cur: outdir.Current, contents: dict[str, bytes], owner: outdir.Owner,
           fleet_path: Path) -> list[Finding]:
    """``output-stale``: the output is not what the fleet renders (only if it was rendered at all)."""
    out = root.path.as_posix()
    command = f"run `fleetgen render {fleet_path.as_posix()}` and commit the result"
    if cur.state is None and not cur.interrupted:
        return []
    have = cur.owner
    if have is not None and (have.fleet != owner.fleet or not outdir.same_file(root, have.fleet_file, owner.fleet_file)):
        return [error("output-owner", f"{out}/ belongs to {have.describe()}, not {owner.describe()}: its files are "
                      "not this fleet's output; render this fleet into its own directory",
                      Location(f"{out}/{outdir.STATE_FILE}", 1, 1))]
    plan = write.plan(root, cur, contents, owner)
    findings = []
    if cur.interrupted:
        findings.append(error("output-stale", f"{out}/ holds an interrupted render; {command}",
                              Location(f"{out}/{outdir.JOURNAL_FILE}", 1, 1)))
    how = {"added": "is missing", "changed": "differs from what the fleet renders", "removed": "is no longer rendered",
           "conflicts": "is not fleetgen's, but the fleet renders a file there"}
    for kind, paths in (("added", plan.added), ("changed", plan.changed), ("removed", plan.removed),
                        ("conflicts", plan.conflicts)):
        for rel in paths:
            findings.append(error("output-stale", f"{out}/{rel} {how[kind]}; {command}", Location(f"{out}/{rel}", 1, 1)))
    if plan.state_changed and not findings:
        findings.append(error("output-stale", f"{out}/{outdir.STATE_FILE} does not match the files fleetgen "
                              f"renders; {command}", Location(f"{out}/{outdir.STATE_FILE}", 1, 1)))
    return findings


def _gitops_path(fleet: Fleet, out_dir: Path) -> list[Finding]:
    """``gitops-path``: the output sits where Argo CD or Flux will look for it (inside a git work tree)."""
    resolved = out_dir.resolve()
    top = next((p for p in (resolved, *resolved.parents) if (p / ".git").exists()), None)
    if top is None:
        return []
    actual = resolved.relative_to(top).as_posix() or "."
    declared = fleet.gitops.path.strip("/").removeprefix("./") or "."
    if actual == declared:
        return []
    return [error(
        "gitops-path",
        f"the output is at {actual}/ in the repository, but spec.gitops.path is {declared!r}: "
        f"{fleet.gitops.engine} would sync a path fleetgen does not write; set path: {actual}",
        fleet.source.locate("/spec/gitops/path"),
    )]


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
    import difflib
    import tempfile

    from generator import allocate as planner  # ruamel.yaml: only allocate needs it

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
    target = fleet_path.resolve()  # a symlinked fleet file is written through to its target, and stays a link
    fd, tmp = tempfile.mkstemp(prefix=".fleetgen-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(after)
        os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
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
    fleet = _fleet_with(cluster, fleet_path, stderr or sys.stderr)
    if fleet is None:
        return 2
    out = (out_dir or default_output(fleet_path)).as_posix()
    output = pipeline.render_output(fleet, blueprints, out)
    explanation = dnsproof.tracer(fleet, output.files, out).explain(cluster, name)
    stdout.write(dnsproof.format_explanation(explanation))
    return 0 if explanation.resolved else 1


def _fleet_with(cluster: str, fleet_path: Path, stderr: TextIO) -> Fleet | None:
    """The fleet, if it can be modelled and has ``cluster``; else the reason on stderr and None (exit 2)."""
    loaded = pipeline.load(fleet_path, str(fleet_path))
    if loaded.fleet is None:
        _emit(loaded.findings, "text", stderr)
        return None
    if loaded.fleet.cluster(cluster) is None:
        names = ", ".join(loaded.fleet.by_name) or "no clusters"
        stderr.write(f"fleetgen: unknown cluster {cluster!r}; the fleet has {names}\n")
        return None
    return loaded.fleet


def explain_verify(
    cluster: str, fleet_path: Path, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Say what ``cluster``'s post-sync verification Job checks: 0, or 2 for an unreadable fleet / unknown cluster."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    fleet = _fleet_with(cluster, fleet_path, stderr)
    if fleet is None:
        return 2
    found = fleet.cluster(cluster)
    assert found is not None
    stdout.write(verify.explain(fleet, found))
    return 0


def hook(action: str, files: tuple[Path, ...], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """pre-commit entry point: run ``check`` or ``render --check`` once for every fleet the files belong to.

    A changed file belongs to a fleet when it is the fleet file itself (a YAML file
    whose ``kind`` is ``Fleet``) or lies in an output directory, whose state file
    names its fleet file. With no files, every fleet file in the repository is used.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    fleets = fleets_for(files) if files else fleets_for(tuple(_repository_files()))
    worst = 0
    for fleet_path in fleets:
        stdout.write(f"fleetgen {action} {fleet_path.as_posix()}\n")
        if action == "check":
            code = check(fleet_path, stdout=stdout)
        else:
            code = render(fleet_path, check_only=True, stdout=stdout, stderr=stderr)
        worst = max(worst, code)
    return worst


def fleets_for(files: tuple[Path, ...]) -> list[Path]:
    found: dict[str, Path] = {}
    for path in files:
        fleet = _fleet_of(path)
        if fleet is not None:
            found.setdefault(os.path.normpath(fleet), Path(os.path.normpath(fleet)))
    return [found[k] for k in sorted(found)]


def _fleet_of(path: Path) -> Path | None:
    if path.suffix in (".yaml", ".yml") and _is_fleet_file(path):
        return path
    for parent in path.parents:
        state = parent / outdir.STATE_FILE
        if state.is_file() and not state.is_symlink():
            try:
                owner = outdir.parse_state(state.read_bytes(), str(state)).owner
            except (OSError, UsageError):
                return None
            if owner is None or not owner.fleet_file:
                return None
            fleet = parent / owner.fleet_file
            return fleet if fleet.is_file() else None
    return None


def _is_fleet_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return re.search(rb"(?m)^kind:\s*Fleet\s*$", head) is not None and b"fleetgen/" in head


def _repository_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "*.yaml", "*.yml"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return [Path("fleet.yaml")]
    return [Path(p) for p in listed.decode().split("\0") if p]
