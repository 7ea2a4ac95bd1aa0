"""Cilium ClusterMesh: facts for blueprints/mesh/cilium.libsonnet and the checks `cilium clustermesh connect` relies on."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from generator.diagnostics import Finding, error, warning
from generator.mesh.kind import endpoint_findings, MeshKind, cluster_mesh_location, mesh_peers
from generator.model import Cluster, Fleet, IPNetwork, Workload

DEFAULT_CHART_VERSION = "1.19.1"
MAX_CLUSTER_ID = 255
MAX_NAME_LENGTH = 32  # enforced by Cilium since 1.16 (the name is a hostname and part of TLS names)


def covering_network(networks: Iterable[IPNetwork]) -> IPNetwork | None:
    """The smallest single network that contains every one of ``networks`` (all of one IP version)."""
    nets = list(networks)
    if not nets:
        return None
    cover = nets[0]
    while not all(n.subnet_of(cover) for n in nets):  # type: ignore[arg-type]
        cover = cover.supernet()
    return cover


def native_routing_cidrs(clusters: Iterable[Cluster]) -> dict[str, str]:
    """``ipv4``/``ipv6`` -> the smallest CIDR covering every pod range of ``clusters`` (ipv4NativeRoutingCIDR)."""
    pods = [n for c in clusters for n in c.networks("podCIDRs")]
    out = {}
    for version, key in ((4, "ipv4"), (6, "ipv6")):
        cover = covering_network(n for n in pods if n.version == version)
        if cover is not None:
            out[key] = str(cover)
    return out


def facts(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    peers = mesh_peers(fleet, cluster)
    native = fleet.connectivity.mode == "native"
    return {
        "routingMode": "native" if native else "tunnel",
        "nativeRoutingCIDRs": native_routing_cidrs((cluster, *peers)) if native else {},
        "peers": [{"name": p.name, "endpoint": p.mesh_endpoint} for p in peers],
    }


def service_metadata(fleet: Fleet, workload: Workload) -> dict[str, dict[str, str]]:
    # Global: endpoints of every cluster behind the name; shared: this cluster's endpoints are offered to peers.
    return {"annotations": {"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}}


def checks(fleet: Fleet) -> Iterator[Finding]:
    yield from _identity(fleet)
    yield from _endpoints(fleet)
    yield from _statefulset_names(fleet)


def _identity(fleet: Fleet) -> Iterator[Finding]:
    first: dict[int, Cluster] = {}
    for c in fleet.clusters:
        where = cluster_mesh_location(fleet, c, "id")
        if c.name == "default":
            yield error("mesh-id", "cluster name 'default' is reserved by Cilium; rename the cluster",
                        fleet.source.locate(f"{c.pointer}/name"), (c.name,))
        elif len(c.name) > MAX_NAME_LENGTH:
            yield error("mesh-id", f"cluster name '{c.name}' has {len(c.name)} characters; Cilium allows at most "
                        f"{MAX_NAME_LENGTH}", fleet.source.locate(f"{c.pointer}/name"), (c.name,))
        if c.mesh_id is None:
            yield error("mesh-id", f"cluster '{c.name}' has no mesh.id: Cilium ClusterMesh needs a unique "
                        f"cluster id from 1 to {MAX_CLUSTER_ID}", where, (c.name,))
        elif c.mesh_id == 0:
            yield error("mesh-id", f"cluster '{c.name}' has mesh.id 0, which Cilium reserves for clusters "
                        f"outside a mesh; use 1 to {MAX_CLUSTER_ID}", where, (c.name,))
        elif not 1 <= c.mesh_id <= MAX_CLUSTER_ID:
            yield error("mesh-id", f"cluster '{c.name}' has mesh.id {c.mesh_id}; Cilium cluster ids run from 1 "
                        f"to {MAX_CLUSTER_ID}", where, (c.name,))
        elif c.mesh_id in first:
            other = first[c.mesh_id]
            yield error("mesh-id", f"clusters '{other.name}' and '{c.name}' both have mesh.id {c.mesh_id}; "
                        "Cilium cluster ids must be unique", where, (other.name, c.name))
        else:
            first[c.mesh_id] = c


def _endpoints(fleet: Fleet) -> Iterator[Finding]:
    return endpoint_findings(fleet, "its peers reach its clustermesh-apiserver (port 2379) at that internal load balancer IP")


def _statefulset_names(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        placed = [c for c, n in w.placement if n > 0 and c in fleet.by_name]
        if len(placed) > 1:
            yield warning(
                "mesh-service",
                f"workload '{w.namespace}/{w.name}' runs in {', '.join(placed)} behind one global headless "
                f"Service: Cilium merges their endpoints, so pod hostnames ({w.name}-0, ...) collide unless each "
                "cluster's StatefulSet has a distinct name; the seeds name pods per cluster zone "
                f"(<pod>.{w.name}.{w.namespace}.svc.<zone>) and assume the StatefulSet is named '{w.name}'",
                fleet.source.locate(f"{w.pointer}/name"),
                tuple(placed),
            )


KIND = MeshKind("cilium", DEFAULT_CHART_VERSION, facts, service_metadata, checks)
