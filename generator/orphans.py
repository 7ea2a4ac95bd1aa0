"""What a fleet change leaves behind: stateful objects the committed output has and the new render drops.

Rules ``stateful-orphan`` (warning) and ``stateful-delete`` (error), see
docs/decommissioning.md. Removing a cluster, a workload or a placement takes a
Namespace (and, for DNS changes, provider-owned DNS config) out of the output.
Every such object fleetgen renders carries the GitOps engines' keep annotations,
so the next sync leaves it running, unmanaged: that is a warning naming the
cluster, the namespace and the manual steps. When the *committed* object lacks
the protection the engine that syncs it honours (output rendered by an older
fleetgen, or by a blueprint that dropped it), the next sync deletes it with
everything in it: that is an error. A freshly rendered stateful object without
the protection is an error too (the next change would delete it).

The committed files are those the output's state file lists (fleetgen's own),
read through the output directory's descriptors; only the files the new render no
longer has are parsed, so the cost is one state file plus the removed files.
"""

from __future__ import annotations

import functools
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from generator import outdir
from generator.diagnostics import Finding, Location, error, warning
from generator.errors import UsageError
from generator.model import Fleet

ORPHAN = "stateful-orphan"
DELETE = "stateful-delete"
ARGO_OPTIONS = "argocd.argoproj.io/sync-options"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"
# Provider-owned DNS config fleetgen extends (EKS/self-managed CoreDNS, GKE kube-dns, AKS coredns-custom).
PROVIDER_DNS_CONFIG = frozenset({("kube-system", "coredns"), ("kube-system", "kube-dns"), ("kube-system", "coredns-custom")})
DOC = "docs/decommissioning.md"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
APPSET = "applicationset.yaml"


def is_stateful(obj: Any) -> bool:
    """A Namespace (with everything in it), or provider-owned DNS config (a running system's ConfigMap)."""
    if not isinstance(obj, dict):
        return False
    meta = obj.get("metadata")
    if obj.get("kind") == "Namespace":
        return True
    return (obj.get("kind") == "ConfigMap" and isinstance(meta, dict)
            and (meta.get("namespace"), meta.get("name")) in PROVIDER_DNS_CONFIG)


def _metadata_map(obj: dict[str, Any], key: str) -> dict[str, Any]:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def argo_options(obj: dict[str, Any]) -> set[str]:
    """Argo CD's per-resource sync options: comma-separated, white space trimmed (as Argo CD parses them)."""
    text = _metadata_map(obj, "annotations").get(ARGO_OPTIONS)
    return {part.strip() for part in text.split(",")} if isinstance(text, str) else set()


def flux_keeps(obj: dict[str, Any]) -> bool:
    """Flux skips garbage collection of objects labelled or annotated ``kustomize.toolkit.fluxcd.io/prune: disabled``."""
    return any(str(_metadata_map(obj, k).get(FLUX_PRUNE, "")).lower() == "disabled" for k in ("annotations", "labels"))


class Engine:
    """What the committed hub says about how its clusters are synced.

    ``name``: argocd | flux | None (no hub committed: both engines' protection is required).
    The ApplicationSet is read only when a question needs it (it lists every cluster)."""

    def __init__(self, name: str | None, committed: Committed | None = None) -> None:
        self.name = name
        self._committed = committed if name == "argocd" else None

    @functools.cached_property
    def _appset(self) -> dict[str, Any] | None:
        docs = self._committed.read_yaml(f"hub/argocd/{APPSET}") if self._committed is not None else []
        return next((d for d in docs if isinstance(d, dict) and d.get("kind") == "ApplicationSet"), None)

    @property
    def preserves_on_deletion(self) -> bool:
        """Argo CD ApplicationSet ``spec.syncPolicy.preserveResourcesOnDeletion``."""
        doc = self._appset
        policy = (doc.get("spec") or {}).get("syncPolicy") if doc is not None else None
        return isinstance(policy, dict) and policy.get("preserveResourcesOnDeletion") is True

    @functools.cached_property
    def appset(self) -> str | None:
        """The committed ApplicationSet's namespace/name, from the head of the file when fleetgen wrote it
        (apiVersion, kind, metadata come first), else from the whole document."""
        if self._committed is None:
            return None
        head = self._committed.head_identity(f"hub/argocd/{APPSET}")
        return head or (_identity(self._appset) if self._appset is not None else None)


class Committed:
    """The committed output: the files its state file (and an interrupted render's journal) lists, read
    through the output directory's descriptors, never through a link (generator/outdir.py)."""

    def __init__(self, root: outdir.Root, owned: set[str]) -> None:
        self.root = root
        self.owned = owned
        self.cluster_files = sorted(p for p in owned if p.startswith("clusters/") and p.endswith((".yaml", ".yml")))

    def text(self, rel: str) -> str | None:
        try:
            data = self.root.read(rel)
            return data.decode("utf-8") if data is not None else None
        except (OSError, UnicodeDecodeError, UsageError):
            return None

    def read_yaml(self, rel: str, *, stateful_only: bool = False) -> list[Any]:
        """The documents of ``rel``; with ``stateful_only``, none unless it may hold a stateful object (a
        cheap text test first: fleetgen writes ``kind: Namespace`` / ``kind: ConfigMap`` plainly)."""
        text = self.text(rel)
        if text is None or (stateful_only and "kind: Namespace" not in text and "kind: ConfigMap" not in text):
            return []
        try:
            return list(yaml.load_all(text, Loader=_Loader))
        except yaml.YAMLError:
            return []

    def head_identity(self, rel: str) -> str | None:
        """namespace/name of a file fleetgen wrote (apiVersion, kind, metadata come before spec), parsing only that."""
        text = self.text(rel)
        try:
            head = yaml.load(text.split("\nspec:", 1)[0], Loader=_Loader) if text is not None else None
        except yaml.YAMLError:
            return None
        return _identity(head) if isinstance(head, dict) else None

    def engine(self) -> Engine:
        if any(p.startswith("hub/argocd/") for p in self.owned):
            return Engine("argocd", self)
        if any(p.startswith("hub/flux/") for p in self.owned):
            return Engine("flux")
        return Engine(None)

    def workloads_in(self, cluster: str, namespace: str) -> list[str]:
        """The workload names the committed output renders in ``namespace`` of ``cluster``."""
        prefix = f"clusters/{cluster}/workloads/{namespace}/"
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self.cluster_files if p.startswith(prefix)})


def _identity(obj: Any) -> str | None:
    """``namespace/name`` of an object."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return f"{meta.get('namespace')}/{meta.get('name')}" if isinstance(meta, dict) else None


def replaced_syncers(fleet: Fleet, files: Mapping[str, Any], committed: Committed, engine: Engine) -> dict[str, str]:
    """Clusters that stay in the fleet but whose committed Application (ApplicationSet) or Flux Kustomization
    the new render drops or renames (fleet renamed, engine switched): cluster -> what is deleted.

    Deleting it deletes what it synced (unless protected) before its successor recreates it, empty."""
    staying = [c.name for c in fleet.clusters]
    if engine.name == "argocd" and engine.appset is not None:
        new = _identity(files.get(f"hub/argocd/{APPSET}"))
        if new != engine.appset:
            return {c: f"the committed ApplicationSet {engine.appset} is no longer rendered" for c in staying}
        return {}
    out: dict[str, str] = {}
    if engine.name == "flux":
        # Every Kustomization is named <fleet>-<cluster> in spec.gitops.namespace: when the first one kept its
        # name, all did (reading each of N files would cost more than the rest of this check).
        for c in staying:
            rel = f"hub/flux/kustomization-{c}.yaml"
            old = committed.head_identity(rel)
            if old is None:
                continue  # a cluster added since: nothing committed to lose
            if old == _identity(files.get(rel)) and not out:
                break
            if old != _identity(files.get(rel)):
                out[c] = f"the committed Flux Kustomization {old} is no longer rendered"
    return out


def _unprotected(obj: dict[str, Any], engine: Engine, cluster_removed: bool) -> list[str]:
    """What is missing for ``engine`` to keep ``obj`` (empty: it is kept)."""
    missing = []
    options = argo_options(obj)
    if engine.name in ("argocd", None):
        if cluster_removed:
            if not engine.preserves_on_deletion and "Delete=false" not in options:
                missing.append("Argo CD Delete=false (or ApplicationSet preserveResourcesOnDeletion)")
        elif "Prune=false" not in options:
            missing.append("Argo CD Prune=false")
    if engine.name in ("flux", None) and not flux_keeps(obj):
        missing.append(f"Flux {FLUX_PRUNE}: disabled")
    return missing


def _describe(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", "?"))
    if obj.get("kind") == "Namespace":
        return f"namespace '{name}'", name
    return f"{obj.get('kind')} {meta.get('namespace')}/{name}", name


def check(fleet: Fleet, files: Mapping[str, Any], out_dir: Path) -> list[Finding]:
    """Every stateful object the committed output in ``out_dir`` has and ``files`` (the new render) drops."""
    try:
        with outdir.opened(out_dir, create=False) as root:
            if root is None:
                return list(_unprotected_new(fleet, files, out_dir))
            with outdir.locked(root, exclusive=False):
                return check_open(fleet, files, out_dir, root, outdir.current(root))
    except UsageError:  # an output fleetgen cannot read is reported by the output checks (output-stale, output-owner)
        return list(_unprotected_new(fleet, files, out_dir))


def check_open(fleet: Fleet, files: Mapping[str, Any], out_dir: Path, root: outdir.Root | None,
               cur: outdir.Current | None) -> list[Finding]:
    """``check`` for a caller that already holds the output open and locked (and read its state)."""
    findings = list(_unprotected_new(fleet, files, out_dir))
    if root is None or cur is None:
        return findings
    try:
        committed = Committed(root, cur.owned)
        findings.extend(_dropped(fleet, files, out_dir, committed))
        findings.extend(_recreated(fleet, files, out_dir, committed))
        findings.extend(_workloads_leaving(fleet, files, out_dir, committed))
    except UsageError:
        pass  # an output fleetgen cannot read is reported by the output checks (output-stale, output-owner)
    return findings


def _dropped(fleet: Fleet, files: Mapping[str, Any], out_dir: Path, committed: Committed) -> Iterator[Finding]:
    """Committed stateful objects the new render no longer has: kept (warning) or deleted (error)."""
    engine = committed.engine()
    shown = out_dir.as_posix()
    for rel in committed.cluster_files:
        if rel in files:
            continue
        cluster = rel.split("/")[1]
        cluster_removed = fleet.cluster(cluster) is None
        for obj in committed.read_yaml(rel, stateful_only=True):
            if not is_stateful(obj):
                continue
            what, name = _describe(obj)
            gone_workloads = committed.workloads_in(cluster, name) if obj.get("kind") == "Namespace" else []
            where, why = _cause(fleet, cluster, name, gone_workloads, Location(f"{shown}/{rel}", 1, 1))
            missing = _unprotected(obj, engine, cluster_removed)
            if missing:
                yield error(
                    DELETE,
                    f"{what} in cluster '{cluster}' is no longer rendered ({why}) and the committed {shown}/{rel} "
                    f"lacks {' and '.join(missing)}: the next sync deletes it and everything in it; render first "
                    f"with a fleetgen that protects it, sync that, then remove it ({DOC})",
                    where, (cluster,),
                )
                continue
            steps = _steps(obj, cluster, name, gone_workloads)
            yield warning(
                ORPHAN,
                f"{what} in cluster '{cluster}' is no longer rendered ({why}); the GitOps engine keeps it "
                f"running but unmanaged: {steps} ({DOC})",
                where, (cluster,),
            )


def _workloads_leaving(fleet: Fleet, files: Mapping[str, Any], out_dir: Path,
                       committed: Committed) -> Iterator[Finding]:
    """A workload leaves a cluster whose namespace stays: its headless Service is pruned under running pods."""
    shown = out_dir.as_posix()
    for rel in committed.cluster_files:
        parts = rel.split("/")
        if len(parts) != 6 or parts[2] != "workloads" or parts[5] != "service-headless.yaml" or rel in files:
            continue
        cluster, ns, name = parts[1], parts[3], parts[4]
        if fleet.cluster(cluster) is None or f"clusters/{cluster}/namespaces/{ns}.yaml" not in files:
            continue  # the cluster or the whole namespace goes: reported above
        where, why = _cause(fleet, cluster, ns, [name], Location(f"{shown}/{rel}", 1, 1))
        yield warning(
            ORPHAN,
            f"workload '{ns}/{name}' leaves cluster '{cluster}' ({why}): the next sync deletes its headless Service "
            f"and seeds there, while its StatefulSet (not rendered by fleetgen) keeps running without stable pod "
            f"names: decommission the replicas of {ns}/{name} in '{cluster}' and scale it to zero before syncing, "
            f"then delete it and its PersistentVolumeClaims by hand ({DOC})",
            where, (cluster,),
        )


def _recreated(fleet: Fleet, files: Mapping[str, Any], out_dir: Path, committed: Committed) -> Iterator[Finding]:
    """Stateful objects still rendered whose committed syncer is deleted: protected against deletion, or an error."""
    engine = committed.engine()
    replaced = replaced_syncers(fleet, files, committed, engine)
    if not replaced:
        return
    switched = fleet.gitops.engine != engine.name and "/spec/gitops/engine" in fleet.source.values
    where = fleet.source.locate("/spec/gitops/engine" if switched else "/metadata/name")
    shown = out_dir.as_posix()
    for rel in committed.cluster_files:
        cluster = rel.split("/")[1]
        if cluster not in replaced or rel not in files:
            continue
        for obj in committed.read_yaml(rel, stateful_only=True):
            if not is_stateful(obj):
                continue
            missing = _unprotected(obj, engine, cluster_removed=True)
            if missing:
                what, _ = _describe(obj)
                yield error(
                    DELETE,
                    f"{what} in cluster '{cluster}': {replaced[cluster]} (fleet renamed or GitOps engine switched), "
                    f"and the committed {shown}/{rel} lacks {' and '.join(missing)}: deleting it deletes the "
                    f"{what} and everything in it before the new one recreates it empty; render the old fleet with "
                    f"a fleetgen that protects it and sync that first ({DOC})",
                    where, (cluster,),
                )


def _cause(fleet: Fleet, cluster: str, namespace: str, workloads: list[str], file: Location) -> tuple[Location, str]:
    """The fleet line that caused the removal (where one exists, else the committed file) and why."""
    c = fleet.cluster(cluster)
    if c is None:
        return file, f"cluster '{cluster}' was removed from the fleet"
    for w in fleet.workloads:
        if w.namespace == namespace and w.name in workloads:
            return fleet.source.locate(f"{w.pointer}/placement"), (
                f"workload '{namespace}/{w.name}' is no longer placed in '{cluster}'")
    if workloads:
        names = ", ".join(f"'{namespace}/{n}'" for n in workloads)
        return file, f"workload {names} was removed from the fleet"
    return fleet.source.locate(f"{c.pointer}/name"), f"cluster '{cluster}' no longer renders it"


def _steps(obj: dict[str, Any], cluster: str, name: str, workloads: list[str]) -> str:
    if obj.get("kind") != "Namespace":
        return (f"restore the provider's default {name} in cluster '{cluster}' by hand, "
                "or keep it if something still uses it")
    replicas = ", ".join(f"{name}/{w}" for w in workloads) or "every workload in it"
    return (f"drain it (move clients away), decommission the replicas of {replicas} in '{cluster}' (remove them "
            "from the data system's membership so their data re-replicates), scale the StatefulSets to zero, back up "
            f"the PersistentVolumeClaims, then `kubectl --context {cluster} delete namespace {name}`")


def _unprotected_new(fleet: Fleet, files: Mapping[str, Any], out_dir: Path) -> Iterator[Finding]:
    """A stateful object the new render emits without both engines' keep annotations (a blueprint dropped them)."""
    engine = Engine(fleet.gitops.engine)
    shown = out_dir.as_posix()
    for rel, obj in files.items():
        if not rel.startswith("clusters/") or not is_stateful(obj):
            continue
        missing = _unprotected(obj, engine, cluster_removed=False)
        if engine.name == "argocd" and "Delete=false" not in argo_options(obj):
            missing.append("Argo CD Delete=false")
        if missing:
            what, _ = _describe(obj)
            cluster = rel.split("/")[1]
            yield error(
                DELETE,
                f"{what} rendered for cluster '{cluster}' lacks {' and '.join(missing)}: removing it from the "
                f"fleet later would make the GitOps engine delete it and everything in it; keep k.keepOnPrune "
                f"on it in the blueprint",
                Location(f"{shown}/{rel}", 1, 1), (cluster,),
            )
