"""What a fleet change does to the network: two modelled fleets in, a per-cluster change list out.

Pure: ``compare(base, head)`` takes the two ``Fleet`` models (and, optionally, the two
renders' bytes) and returns a ``FleetDiff``. Risky changes carry a severity and a rule
id (``diff-*``, listed in docs/rules.md) and point at the head fleet file's line; a
change that removes something points at the closest thing that still exists there
(the workload's placement, the ``clusters`` list, ...).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

from generator.diagnostics import Finding, Location, Severity
from generator.model import RANGE_FIELDS, Cluster, Fleet, Link
from generator.routes import fleet_routes

# Sections of a cluster's changes, in the order they are reported.
SECTIONS = ("cluster", "ranges", "dns", "links", "routes", "mesh", "workloads", "namespaces")


@dataclass(frozen=True)
class Change:
    section: str  # one of SECTIONS
    text: str
    severity: Severity | None = None
    rule: str | None = None
    location: Location | None = None

    def finding(self, cluster: str | None) -> Finding | None:
        if self.severity is None or self.rule is None or self.location is None:
            return None
        return Finding(self.rule, self.severity, self.text, self.location, (cluster,) if cluster else ())


@dataclass(frozen=True)
class ClusterDiff:
    name: str
    status: str  # added | removed | changed
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class FilesDiff:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


@dataclass(frozen=True)
class FleetDiff:
    fleet_changes: tuple[Change, ...]
    clusters: tuple[ClusterDiff, ...]
    files: FilesDiff | None  # None when a side could not be rendered
    unrendered: str = ""  # why ``files`` is None
    findings: tuple[Finding, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.fleet_changes and not self.clusters and not (self.files and _any_files(self.files))


def _any_files(files: FilesDiff) -> bool:
    return bool(files.added or files.changed or files.removed)


def _link_key(link: Link) -> tuple[str, tuple[str, ...]]:
    return link.via, tuple(sorted(dict.fromkeys(link.clusters)))


def _link_label(link: Link) -> str:
    members = ", ".join(dict.fromkeys(link.clusters))
    return f"{link.via} [{members}]"


def _loc(fleet: Fleet, *pointers: str) -> Location:
    """The head file's location of the first pointer it knows exactly, else the closest parent of the last."""
    for ptr in pointers:
        hit = fleet.source.values.get(ptr) or fleet.source.keys.get(ptr)
        if hit:
            return Location(fleet.source.file, hit[0], hit[1])
    return fleet.source.locate(pointers[-1], key=True)


def _mesh_member(fleet: Fleet) -> bool:
    return fleet.mesh.type != "none"


def _forwards(fleet: Fleet, cluster: str) -> dict[str, str]:
    """Which peer zone goes where from ``cluster``: zone -> DNS endpoint (forward) or the discovery kind."""
    out: dict[str, str] = {}
    for peer_name in fleet.peers.get(cluster, ()):
        peer = fleet.by_name[peer_name]
        if fleet.dns.discovery == "forward":
            out[peer.zone] = peer.dns_endpoint or "(no endpoint)"
        else:
            out[peer.zone] = f"{fleet.dns.discovery} ({peer.name})"
    return out


def _routes(fleet: Fleet) -> dict[str, dict[tuple[str, tuple[str, ...]], tuple[str, set[str]]]]:
    """cluster -> link key -> (link label, destinations)."""
    out: dict[str, dict[tuple[str, tuple[str, ...]], tuple[str, set[str]]]] = {}
    for cr in fleet_routes(fleet):
        per: dict[tuple[str, tuple[str, ...]], tuple[str, set[str]]] = {}
        for lr in cr.links:
            key = _link_key(lr.link)
            label, dests = per.get(key, (_link_label(lr.link), set()))
            per[key] = (label, dests | {str(n) for n in lr.destinations})
        out[cr.cluster] = per
    return out


def _sorted_nets(texts: Iterable[str]) -> list[str]:
    def key(t: str) -> tuple[int, int, int, str]:
        try:
            n = ipaddress.ip_network(t, strict=False)
            return (n.version, int(n.network_address), n.prefixlen, t)
        except ValueError:
            return (9, 0, 0, t)

    return sorted(texts, key=key)


class _Comparer:
    def __init__(self, base: Fleet, head: Fleet) -> None:
        self.base = base
        self.head = head
        self.base_routes = _routes(base)
        self.head_routes = _routes(head)

    def workloads_running(self, cluster: str) -> list[str]:
        return [f"{w.name} ({w.namespace})" for w in self.base.workloads_in(cluster)]

    # ---- per cluster ------------------------------------------------------------------
    def cluster(self, name: str) -> ClusterDiff | None:
        old = self.base.cluster(name)
        new = self.head.cluster(name)
        changes: list[Change] = []
        if old is None and new is not None:
            status = "added"
            changes.append(Change("cluster", f"added: {new.provider} {new.region or '(no region)'}, zone {new.zone}"))
        elif new is None and old is not None:
            status = "removed"
            running = self.workloads_running(name)
            if running:
                changes.append(Change(
                    "cluster",
                    f"cluster {name} removed while {', '.join(running)} run there: the GitOps engine stops "
                    "managing it; volumes and namespaces stay until removed by hand",
                    Severity.ERROR, "diff-cluster-removed", _loc(self.head, "/spec/clusters"),
                ))
            else:
                changes.append(Change(
                    "cluster", f"cluster {name} removed: the GitOps engine stops managing it",
                    Severity.WARNING, "diff-cluster-removed", _loc(self.head, "/spec/clusters"),
                ))
        else:
            status = "changed"
            assert old is not None and new is not None
            changes.extend(self.cluster_fields(old, new))
        changes.extend(self.ranges(name, old, new))
        changes.extend(self.dns(name, old, new))
        changes.extend(self.links(name, new))
        changes.extend(self.routes(name, new))
        changes.extend(self.mesh(name, old, new))
        changes.extend(self.workloads(name, new))
        changes.extend(self.namespaces(name, new))
        if status == "changed" and not changes:
            return None
        order = {s: i for i, s in enumerate(SECTIONS)}
        changes.sort(key=lambda c: order[c.section])  # stable: keeps each section's own order
        return ClusterDiff(name, status, tuple(changes))

    def cluster_fields(self, old: Cluster, new: Cluster) -> list[Change]:
        out = []
        for label, a, b, ptr in (
            ("provider", old.provider, new.provider, "provider"),
            ("region", old.region, new.region, "region"),
            ("API server", old.api_server, new.api_server, "apiServer"),
            ("DNS server", old.dns_server, new.dns_server, "dns/server"),
        ):
            if a != b:
                out.append(Change("cluster", f"{label} {a or '(none)'} -> {b or '(none)'}",
                                  location=_loc(self.head, f"{new.pointer}/{ptr}", new.pointer)))
        return out

    def ranges(self, name: str, old: Cluster | None, new: Cluster | None) -> list[Change]:
        out = []
        for fld in RANGE_FIELDS:
            a = [r.text for r in old.cidrs(fld)] if old else []
            b = [r.text for r in new.cidrs(fld)] if new else []
            gone = [t for t in a if t not in b]
            came = [t for t in b if t not in a]
            if not gone and not came:
                continue
            if old is None or new is None:
                what = "added" if old is None else "removed"
                out.append(Change("ranges", f"{fld} {what}: {', '.join(b or a)}"))
                continue
            first_new = [r.pointer for r in new.cidrs(fld) if r.text in came][:1]
            loc = _loc(self.head, *first_new, f"{new.pointer}/network/{fld}", f"{new.pointer}/network")
            if gone and came:
                text = f"{fld} changed: {', '.join(gone)} -> {', '.join(came)}"
            elif gone:
                text = f"{fld} removed: {', '.join(gone)}"
            else:
                out.append(Change("ranges", f"{fld} added: {', '.join(came)}", location=loc))
                continue
            if fld == "serviceCIDRs":
                out.append(Change(
                    "ranges", f"{text}: existing Services keep their ClusterIPs from the old range until recreated",
                    Severity.WARNING, "diff-service-range", loc,
                ))
                continue
            running = self.workloads_running(name)
            kind = "pods" if fld == "podCIDRs" else "nodes"
            if running:
                out.append(Change(
                    "ranges",
                    f"{text}: the range moves under running {kind} of {', '.join(running)}; they keep their "
                    "old addresses until rescheduled while peers route only the new range",
                    Severity.ERROR, "diff-range-moved", loc,
                ))
            else:
                out.append(Change(
                    "ranges", f"{text}: {kind} already running keep their old addresses until rescheduled",
                    Severity.WARNING, "diff-range-moved", loc,
                ))
        return out

    def dns(self, name: str, old: Cluster | None, new: Cluster | None) -> list[Change]:
        out = []
        if old and new and old.zone != new.zone:
            loc = _loc(self.head, f"{new.pointer}/dns/zone", "/spec/dns/zonePattern", new.pointer)
            running = self.workloads_running(name)
            if running:
                out.append(Change(
                    "dns",
                    f"zone renamed {old.zone} -> {new.zone}: seed names of {', '.join(running)} "
                    f"(<pod>.<service>.<namespace>.svc.{old.zone}) stop resolving in every cluster",
                    Severity.ERROR, "diff-zone-renamed", loc,
                ))
            else:
                out.append(Change("dns", f"zone renamed {old.zone} -> {new.zone}: names under {old.zone} stop resolving",
                                  Severity.WARNING, "diff-zone-renamed", loc))
        if old and new and old.dns_endpoint != new.dns_endpoint:
            loc = _loc(self.head, f"{new.pointer}/dns/endpoint", f"{new.pointer}/dns", new.pointer)
            out.append(Change(
                "dns",
                f"DNS endpoint moved {old.dns_endpoint or '(none)'} -> {new.dns_endpoint or '(none)'}: "
                f"every peer forwards {new.zone} to the new address; answers cached for the old one expire first",
                Severity.WARNING, "diff-endpoint-moved", loc,
            ))
        a = _forwards(self.base, name) if old else {}
        b = _forwards(self.head, name) if new else {}
        for zone in sorted(set(a) | set(b)):
            if zone not in a:
                out.append(Change("dns", f"forward added: {zone} -> {b[zone]}"))
            elif zone not in b:
                out.append(Change("dns", f"forward removed: {zone} (was -> {a[zone]})"))
            elif a[zone] != b[zone]:
                out.append(Change("dns", f"forward changed: {zone} -> {b[zone]} (was {a[zone]})"))
        return out

    def links(self, name: str, new: Cluster | None) -> list[Change]:
        a = {_link_key(lk): lk for lk in self.base.connectivity.links if name in lk.clusters}
        b = {_link_key(lk): lk for lk in self.head.connectivity.links if name in lk.clusters}
        out = []
        for key, link in b.items():
            if key not in a:
                out.append(Change("links", f"link added: {_link_label(link)}"))
        reachable = {m for lk in b.values() for m in lk.clusters} - {name}
        for key, link in a.items():
            if key in b:
                continue
            if new is None:
                out.append(Change("links", f"link removed: {_link_label(link)}"))
                continue
            lost = [m for m in dict.fromkeys(link.clusters) if m != name and m not in reachable
                    and self.head.cluster(m) is not None]
            loc = _loc(self.head, "/spec/connectivity/links", "/spec/connectivity")
            if not lost:
                out.append(Change("links", f"link removed: {_link_label(link)}: its members stay reachable "
                                           "through other links", location=loc))
                continue
            spanning = [f"{w.name} ({w.namespace})" for w in self.head.workloads
                        if w.replicas_in(name) and any(w.replicas_in(m) for m in lost)]
            if spanning:
                out.append(Change(
                    "links", f"link removed: {_link_label(link)}: no route left to {', '.join(lost)}, which also "
                             f"run(s) {', '.join(spanning)}: replication between them stops",
                    Severity.ERROR, "diff-link-removed", loc,
                ))
            else:
                out.append(Change(
                    "links", f"link removed: {_link_label(link)}: traffic to {', '.join(lost)} stops",
                    Severity.WARNING, "diff-link-removed", loc,
                ))
        return out

    def routes(self, name: str, new: Cluster | None) -> list[Change]:
        a = self.base_routes.get(name, {})
        b = self.head_routes.get(name, {}) if new else {}
        out = []
        for key in sorted(set(a) | set(b)):
            label = (b.get(key) or a[key])[0]
            before = a.get(key, ("", set()))[1]
            after = b.get(key, ("", set()))[1]
            came = _sorted_nets(after - before)
            gone = _sorted_nets(before - after)
            if came:
                out.append(Change("routes", f"via {label}: + {', '.join(came)}"))
            if gone:
                out.append(Change("routes", f"via {label}: - {', '.join(gone)}"))
        return out

    def mesh(self, name: str, old: Cluster | None, new: Cluster | None) -> list[Change]:
        was = old is not None and _mesh_member(self.base)
        now = new is not None and _mesh_member(self.head)
        out = []
        if now and not was:
            out.append(Change("mesh", f"joins the {self.head.mesh.type} mesh"
                                      + (f" (id {new.mesh_id})" if new and new.mesh_id is not None else "")))
        elif was and not now:
            if new is None:
                out.append(Change("mesh", f"leaves the {self.base.mesh.type} mesh"))
            else:
                out.append(Change("mesh", f"leaves the {self.base.mesh.type} mesh: cross-cluster mesh traffic stops",
                                  Severity.WARNING, "diff-mesh-changed", _loc(self.head, "/spec/mesh/type", "/spec")))
        elif was and now and old and new:
            if self.base.mesh.type != self.head.mesh.type:
                out.append(Change("mesh", f"mesh type {self.base.mesh.type} -> {self.head.mesh.type}",
                                  Severity.WARNING, "diff-mesh-changed", _loc(self.head, "/spec/mesh/type", "/spec")))
            for label, x, y, ptr in (
                ("mesh id", old.mesh_id, new.mesh_id, "mesh/id"),
                ("mesh network", old.mesh_network, new.mesh_network, "mesh/network"),
            ):
                if x != y:
                    out.append(Change(
                        "mesh", f"{label} {x if x is not None else '(none)'} -> {y if y is not None else '(none)'}: "
                                "workloads in the mesh must restart to pick it up",
                        Severity.WARNING, "diff-mesh-changed", _loc(self.head, f"{new.pointer}/{ptr}", new.pointer),
                    ))
        return out

    def workloads(self, name: str, new: Cluster | None) -> list[Change]:
        out = []
        base_w = {w.name: w for w in self.base.workloads}
        head_w = {w.name: w for w in self.head.workloads}
        for wname in dict.fromkeys([*base_w, *head_w]):
            a = base_w[wname].replicas_in(name) if wname in base_w else 0
            b = head_w[wname].replicas_in(name) if wname in head_w else 0
            if a == b:
                continue
            w = head_w.get(wname) or base_w[wname]
            label = f"{wname} ({w.namespace})"
            if a == 0:
                out.append(Change("workloads", f"{label} placed: {b} replicas"))
                continue
            if wname in head_w:
                loc = _loc(self.head, f"{head_w[wname].pointer}/placement/{name}", f"{head_w[wname].pointer}/placement")
            else:
                loc = _loc(self.head, "/spec/workloads", "/spec")
            if b == 0 and new is None:  # reported once, as diff-cluster-removed
                out.append(Change("workloads", f"{label} placement removed with the cluster ({a} replicas)"))
            elif b == 0:
                out.append(Change(
                    "workloads",
                    f"{label} placement removed ({a} replicas): its Service and seeds go; the StatefulSet's "
                    "data stays until moved and deleted by hand",
                    Severity.ERROR, "diff-placement-removed", loc,
                ))
            elif b < a:
                out.append(Change(
                    "workloads", f"{label} rescaled {a} -> {b}: decommission the removed replicas before they stop",
                    Severity.WARNING, "diff-scaled-down", loc,
                ))
            else:
                out.append(Change("workloads", f"{label} rescaled {a} -> {b}", location=loc))
        return out

    def namespaces(self, name: str, new: Cluster | None) -> list[Change]:
        before = {w.namespace for w in self.base.workloads_in(name)}
        after = {w.namespace for w in self.head.workloads_in(name)} if new else set()
        return [
            Change("namespaces", f"namespace {ns} will be orphaned: no longer rendered, kept by Prune=false/"
                                 "prune: disabled; delete it by hand once its data has moved")
            for ns in sorted(before - after)
        ]

    # ---- fleet level ------------------------------------------------------------------
    def fleet_changes(self) -> list[Change]:
        out = []
        b, h = self.base, self.head
        for label, x, y, ptr in (
            ("discovery", b.dns.discovery, h.dns.discovery, "/spec/dns/discovery"),
            ("zone pattern", b.dns.zone_pattern, h.dns.zone_pattern, "/spec/dns/zonePattern"),
            ("connectivity mode", b.connectivity.mode, h.connectivity.mode, "/spec/connectivity/mode"),
            ("mesh", b.mesh.type, h.mesh.type, "/spec/mesh/type"),
            ("GitOps engine", b.gitops.engine, h.gitops.engine, "/spec/gitops/engine"),
            ("GitOps path", b.gitops.path, h.gitops.path, "/spec/gitops/path"),
        ):
            if x != y:
                out.append(Change("cluster", f"{label} {x} -> {y}", location=_loc(h, ptr, "/spec")))
        return out


def compare(
    base: Fleet, head: Fleet, base_files: dict[str, bytes] | None = None, head_files: dict[str, bytes] | None = None,
    unrendered: str = "",
) -> FleetDiff:
    """Every change from ``base`` to ``head``, per cluster in head order (removed clusters last)."""
    comparer = _Comparer(base, head)
    names = list(dict.fromkeys([c.name for c in head.clusters] + [c.name for c in base.clusters]))
    clusters = tuple(d for d in (comparer.cluster(n) for n in names) if d is not None)
    fleet_changes = tuple(comparer.fleet_changes())
    files = None
    if base_files is not None and head_files is not None:
        files = FilesDiff(
            added=tuple(sorted(set(head_files) - set(base_files))),
            changed=tuple(sorted(p for p in head_files if p in base_files and head_files[p] != base_files[p])),
            removed=tuple(sorted(set(base_files) - set(head_files))),
            unchanged=sum(1 for p in head_files if base_files.get(p) == head_files[p]),
        )
    findings = [f for f in (c.finding(None) for c in fleet_changes) if f]
    for cd in clusters:
        findings += [f for f in (c.finding(cd.name) for c in cd.changes) if f]
    return FleetDiff(fleet_changes, clusters, files, unrendered, tuple(sorted(findings, key=Finding.sort_key)))
