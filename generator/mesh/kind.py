"""The record every mesh kind registers, and helpers its checks share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from generator.diagnostics import Finding, Location, error
from generator.model import Cluster, Fleet, Workload


@dataclass(frozen=True)
class MeshKind:
    name: str
    default_chart_version: str
    facts: Callable[[Fleet, Cluster], dict[str, Any]]
    service_metadata: Callable[[Fleet, Workload], dict[str, dict[str, str]]]
    checks: Callable[[Fleet], Iterator[Finding]]


def mesh_location(fleet: Fleet, field: str) -> Location:
    """``spec.mesh.<field>`` if written, else ``spec.mesh.type`` (the line that asked for the mesh)."""
    ptr = f"/spec/mesh/{field}"
    if ptr in fleet.source.values:
        return fleet.source.locate(ptr)
    return fleet.source.locate("/spec/mesh/type")


def cluster_mesh_location(fleet: Fleet, cluster: Cluster, field: str) -> Location:
    """``clusters[i].mesh.<field>`` if written, else ``clusters[i].mesh`` (key), else the cluster's name."""
    for ptr, key in ((f"{cluster.pointer}/mesh/{field}", False), (f"{cluster.pointer}/mesh", True)):
        if ptr in fleet.source.values:
            return fleet.source.locate(ptr, key=key)
    return fleet.source.locate(f"{cluster.pointer}/name")


def mesh_peers(fleet: Fleet, cluster: Cluster) -> tuple[Cluster, ...]:
    return tuple(fleet.by_name[name] for name in fleet.peers.get(cluster.name, ()))


def linked(fleet: Fleet, a: str, b: str) -> bool:
    """Whether one connectivity link entry joins clusters ``a`` and ``b``."""
    return any(a in link.clusters and b in link.clusters for link in fleet.connectivity.links)


def endpoint_findings(fleet: Fleet, why_needed: str) -> Iterator[Finding]:
    """``mesh-endpoint``: every cluster with peers declares mesh.endpoint (its address is
    checked for every mesh type by ``generator.checks.meshendpoint``)."""
    for c in fleet.clusters:
        if not c.mesh_endpoint and fleet.peers.get(c.name):
            where = cluster_mesh_location(fleet, c, "endpoint")
            yield error("mesh-endpoint", f"cluster '{c.name}' has no mesh.endpoint: {why_needed}", where, (c.name,))
