"""The team's own manifests: ``clusters/<name>/local/``, a kustomize root fleetgen never writes.

A cluster with ``localManifests: true`` gets ``local`` in its generated
``kustomization.yaml`` resources. Fleetgen renders nothing there (render refuses
a blueprint path under it) and never prunes a path in it (write.plan), so the
team's files are never listed in the state file, overwritten or removed.
``check`` reads the directory back through the output's directory fds (never
following a link): rule ``local-manifests`` for a declared directory that
kustomize could not build (missing, a link, no kustomization file) or a file that
is not YAML, rule ``manifest-schema`` for the team's objects (the same strict
Kubernetes and CRD schemas as fleetgen's own), and a ``local-manifests`` warning
for a file in a cluster directory that belongs to nobody (neither rendered nor
under ``local/``): nothing syncs it.

The render itself does not look at the directory: the output stays a pure
function of the fleet file (a fresh clone renders the same bytes, and an
up-to-date check needs no scan), and the declaration in the fleet file is what
``check`` holds the directory to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from generator import manifests, outdir
from generator.diagnostics import Finding, Location, error, warning
from generator.model import Cluster, Fleet
from generator.write import TEAM_DIR

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FILES = 2000

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def team_dir(cluster: str) -> str:
    return f"clusters/{cluster}/{TEAM_DIR}"


def findings(
    fleet: Fleet, root: outdir.Root, cur: outdir.Current, rendered: Iterable[str], crd_schemas: tuple[Path, ...] = ()
) -> list[Finding]:
    """Every finding about the team directories of an output that holds a fleetgen render."""
    if cur.state is None:
        return []
    out = root.path.as_posix()
    by_cluster: dict[str, list[str]] = {}
    for rel in root.walk():
        parts = rel.split("/")
        if len(parts) > 2 and parts[0] == "clusters":
            by_cluster.setdefault(parts[1], []).append(rel)
    known = set(rendered) | cur.owned
    found: list[Finding] = []
    documents: list[tuple[str, Any]] = []
    for c in fleet.by_name.values():
        present = sorted(by_cluster.get(c.name, ()))
        if c.local_manifests:
            found.extend(_declared(fleet, c, root, out, present, documents))
        local = team_dir(c.name) + "/"
        for rel in present:
            if rel not in known and not rel.startswith(local) and rel != local[:-1]:
                found.append(_stray(out, c, rel))
    report = manifests.validate(documents, fleet.kubernetes_version, crd_schemas, out)
    return found + list(report.findings)


def _declared(
    fleet: Fleet, c: Cluster, root: outdir.Root, out: str, present: list[str], documents: list[tuple[str, Any]]
) -> Iterator[Finding]:
    rel = team_dir(c.name)
    where = fleet.source.locate(f"{c.pointer}/localManifests")
    try:
        fd = root.dir_fd(rel.split("/"), create=False)
        kustomization = fd is not None and any(root.is_file(f"{rel}/{k}") for k in KUSTOMIZATION_NAMES)
    except outdir.OutputError:
        yield error("local-manifests", f"{out}/{rel} of cluster '{c.name}' is a symbolic link or not a directory; "
                    "make it a plain directory with a kustomization.yaml", where, (c.name,))
        return
    if not kustomization:
        yield error(
            "local-manifests",
            f"cluster '{c.name}' declares localManifests but {out}/{rel}/kustomization.yaml does not exist; "
            "the cluster's kustomization includes that directory, so kustomize (and the sync) fails: "
            "create it (it may list no resources) or drop localManifests",
            where,
            (c.name,),
        )
        return
    files = [p for p in present if p.startswith(rel + "/") and p.endswith((".yaml", ".yml"))
             and p.rsplit("/", 1)[1] not in KUSTOMIZATION_NAMES]
    if len(files) > MAX_FILES:
        yield error("local-manifests", f"more than {MAX_FILES} YAML files under {out}/{rel}; only the first "
                    f"{MAX_FILES} were validated", Location(f"{out}/{rel}"), (c.name,))
    for path in files[:MAX_FILES]:
        yield from _parse(root, path, out, c.name, documents)


def _parse(root: outdir.Root, rel: str, out: str, cluster: str, documents: list[tuple[str, Any]]) -> Iterator[Finding]:
    loc = Location(f"{out}/{rel}", 1, 1)
    try:
        raw = root.read(rel)
    except outdir.OutputError:
        yield error("local-manifests", f"{out}/{rel} is a symbolic link or not a regular file; not read", loc, (cluster,))
        return
    if raw is None:
        return
    if len(raw) > MAX_FILE_BYTES:
        yield error("local-manifests", f"{out}/{rel} is larger than {MAX_FILE_BYTES} bytes; not validated", loc,
                    (cluster,))
        return
    try:
        docs = list(yaml.load_all(raw.decode("utf-8"), Loader=_Loader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            loc = Location(f"{out}/{rel}", mark.line + 1, mark.column + 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        yield error("local-manifests", f"{out}/{rel} is not valid YAML: {problem}", loc, (cluster,))
        return
    documents.extend((rel, doc) for doc in docs if doc is not None)


def _stray(out: str, c: Cluster, rel: str) -> Finding:
    local = f"{out}/{team_dir(c.name)}/"
    how = "" if c.local_manifests else f" (and set localManifests: true on cluster '{c.name}')"
    return warning(
        "local-manifests",
        f"{out}/{rel} is neither rendered by fleetgen nor under {local}, so nothing syncs it; move it into {local}{how}",
        Location(f"{out}/{rel}", 1, 1),
        (c.name,),
    )
