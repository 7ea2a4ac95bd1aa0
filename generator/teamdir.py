"""The team's own manifests: ``clusters/<name>/local/``, a kustomize root fleetgen never writes.

A cluster with ``localManifests: true`` gets ``local`` in its generated
``kustomization.yaml`` resources. Fleetgen renders nothing there (render refuses
a blueprint path under it), so the writer never lists those files in its state
file and never prunes or overwrites them. ``check`` reads the directory back:
rule ``local-manifests`` for a declared directory that kustomize could not build
(missing, a symlink, no kustomization.yaml) or a file that is not YAML, rule
``manifest-schema`` for the team's objects (the same strict Kubernetes and CRD
schemas as fleetgen's own), and a ``local-manifests`` warning for a file in a
cluster directory that belongs to nobody (neither rendered nor under ``local/``):
nothing syncs it.

The render itself does not look at the directory: the output stays a pure
function of the fleet file (a fresh clone renders the same bytes, and an
up-to-date check needs no scan), and the declaration in the fleet file is what
``check`` holds the directory to.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterator

import yaml

from generator import manifests, write
from generator.diagnostics import Finding, Location, error, warning
from generator.model import Fleet
from generator.write import TEAM_DIR

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FILES = 2000


def team_dir(cluster: str) -> str:
    return f"clusters/{cluster}/{TEAM_DIR}"


def findings(fleet: Fleet, out_dir: Path, rendered: dict[str, bytes], crd_schemas: tuple[Path, ...] = ()) -> list[Finding]:
    """Every finding about the team directories under ``out_dir`` (nothing when it holds no fleetgen render)."""
    if not (out_dir / write.STATE_FILE).is_file():
        return []
    out = out_dir.as_posix()
    found: list[Finding] = []
    documents: list[tuple[str, Any]] = []
    candidates: list[tuple[str, str, bool]] = []
    for c in fleet.clusters:
        cluster_dir = out_dir / "clusters" / c.name
        if c.local_manifests:
            found.extend(_declared(fleet, c.pointer, c.name, out_dir, out, documents))
        if cluster_dir.is_dir() and not cluster_dir.is_symlink():
            candidates.extend((c.name, rel, c.local_manifests) for rel in _unrendered(c.name, cluster_dir, rendered))
    if candidates:
        # files fleetgen owns but no longer renders are output-stale's to report
        owned_stale = set(write.plan(out_dir, rendered).removed)
        found.extend(_stray(out, *c) for c in candidates if c[1] not in owned_stale)
    report = manifests.validate(documents, fleet.kubernetes_version, crd_schemas, out)
    return found + list(report.findings)


def _declared(
    fleet: Fleet, pointer: str, name: str, out_dir: Path, out: str, documents: list[tuple[str, Any]]
) -> Iterator[Finding]:
    rel = team_dir(name)
    path = out_dir / rel
    where = fleet.source.locate(f"{pointer}/localManifests")
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        yield error(
            "local-manifests",
            f"{out}/{rel} of cluster '{name}' is not a directory (a symlink or a file); "
            "make it a plain directory with a kustomization.yaml",
            where,
            (name,),
        )
        return
    if not any((path / k).is_file() and not (path / k).is_symlink() for k in KUSTOMIZATION_NAMES):
        yield error(
            "local-manifests",
            f"cluster '{name}' declares localManifests but {out}/{rel}/kustomization.yaml does not exist; "
            "the cluster's kustomization includes that directory, so kustomize (and the sync) fails: "
            "create it (it may list no resources) or drop localManifests",
            where,
            (name,),
        )
        return
    count = 0
    for file in _files(path):
        relfile = f"{rel}/{file.relative_to(path).as_posix()}"
        if file.name in KUSTOMIZATION_NAMES or file.suffix not in (".yaml", ".yml"):
            continue
        count += 1
        if count > MAX_FILES:
            yield error("local-manifests", f"more than {MAX_FILES} files under {out}/{rel}; not all were validated",
                        Location(f"{out}/{rel}"), (name,))
            return
        yield from _parse(file, relfile, out, name, documents)


def _parse(file: Path, rel: str, out: str, cluster: str, documents: list[tuple[str, Any]]) -> Iterator[Finding]:
    if file.stat().st_size > MAX_FILE_BYTES:
        yield error("local-manifests", f"{out}/{rel} is larger than {MAX_FILE_BYTES} bytes; not validated",
                    Location(f"{out}/{rel}", 1, 1), (cluster,))
        return
    try:
        docs = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        yield error("local-manifests", f"{out}/{rel} is not valid YAML: {problem}", Location(f"{out}/{rel}", line, col),
                    (cluster,))
        return
    for doc in docs:
        if doc is not None:
            documents.append((rel, doc))


def _files(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, sorted, never through a symlink."""
    for base, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(base, d)))
        for name in sorted(names):
            full = Path(base) / name
            if stat.S_ISREG(full.lstat().st_mode):
                yield full


def _unrendered(cluster: str, cluster_dir: Path, rendered: dict[str, bytes]) -> Iterator[str]:
    prefix = f"clusters/{cluster}/"
    for file in _files(cluster_dir):
        rel = prefix + file.relative_to(cluster_dir).as_posix()
        if rel not in rendered and not rel.startswith(prefix + TEAM_DIR + "/"):
            yield rel


def _stray(out: str, cluster: str, rel: str, declared: bool) -> Finding:
    local = f"{out}/clusters/{cluster}/{TEAM_DIR}/"
    how = "" if declared else f" (and set localManifests: true on cluster '{cluster}')"
    return warning(
        "local-manifests",
        f"{out}/{rel} is neither rendered by fleetgen nor under {local}, so nothing syncs it; move it into {local}{how}",
        Location(f"{out}/{rel}", 1, 1),
        (cluster,),
    )
