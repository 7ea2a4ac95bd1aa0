"""Service-mesh identity checks per spec.mesh.type (rules ``mesh-id``, ``mesh-trust-domain``).

cilium: every cluster has a unique mesh.id in 1..255 and is not named ``default``.
istio: every cluster has mesh.network and spec.mesh.meshID is set.
istio and linkerd: spec.mesh.trustDomain is set and a valid DNS name.
With type none, per-cluster mesh settings are ignored.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.dnsname import name_problem
from generator.diagnostics import Finding, Location, error
from generator.model import Cluster, Fleet

CILIUM_MAX_ID = 255


def _mesh_location(fleet: Fleet, c: Cluster) -> Location:
    ptr = f"{c.pointer}/mesh"
    return fleet.source.locate(ptr if ptr in fleet.source.keys else f"{c.pointer}/name", key=True)


def mesh_id(fleet: Fleet) -> Iterator[Finding]:
    if fleet.mesh.type == "cilium":
        yield from _cilium(fleet)
    elif fleet.mesh.type == "istio":
        yield from _istio(fleet)


def _cilium(fleet: Fleet) -> Iterator[Finding]:
    owners: dict[int, Cluster] = {}
    for c in fleet.clusters:
        if c.name == "default":
            yield error(
                "mesh-id",
                "cluster name 'default' is reserved by Cilium ClusterMesh; rename the cluster",
                fleet.source.locate(f"{c.pointer}/name"),
                (c.name,),
            )
        if c.mesh_id is None:
            yield error(
                "mesh-id",
                f"cluster '{c.name}' has no mesh.id; Cilium ClusterMesh needs a unique cluster id "
                f"in 1..{CILIUM_MAX_ID}",
                _mesh_location(fleet, c),
                (c.name,),
            )
            continue
        loc = fleet.source.locate(f"{c.pointer}/mesh/id")
        if not 1 <= c.mesh_id <= CILIUM_MAX_ID:
            yield error(
                "mesh-id",
                f"mesh.id {c.mesh_id} of cluster '{c.name}' is out of range; Cilium cluster ids are "
                f"1..{CILIUM_MAX_ID}",
                loc,
                (c.name,),
            )
            continue
        other = owners.setdefault(c.mesh_id, c)
        if other is not c and other.name != c.name:
            yield error(
                "mesh-id",
                f"mesh.id {c.mesh_id} of cluster '{c.name}' is also used by cluster '{other.name}'; "
                "Cilium cluster ids must be unique",
                loc,
                (other.name, c.name),
            )


def _istio(fleet: Fleet) -> Iterator[Finding]:
    if not fleet.mesh.mesh_id:
        yield error(
            "mesh-id",
            "spec.mesh.meshID is not set; Istio multi-cluster needs one meshID shared by every cluster",
            fleet.source.locate("/spec/mesh/type"),
        )
    for c in fleet.clusters:
        if not c.mesh_network:
            yield error(
                "mesh-id",
                f"cluster '{c.name}' has no mesh.network; Istio multi-network needs each cluster's network name",
                _mesh_location(fleet, c),
                (c.name,),
            )


def mesh_trust_domain(fleet: Fleet) -> Iterator[Finding]:
    if fleet.mesh.type not in ("istio", "linkerd"):
        return
    domain = fleet.mesh.trust_domain
    if not domain:
        yield error(
            "mesh-trust-domain",
            f"spec.mesh.trustDomain is not set; {fleet.mesh.type} clusters must share one trust domain "
            "(e.g. cluster.local)",
            fleet.source.locate("/spec/mesh/type"),
        )
        return
    problem = name_problem(domain)
    if problem:
        yield error(
            "mesh-trust-domain",
            f"spec.mesh.trustDomain '{domain}' {problem}",
            fleet.source.locate("/spec/mesh/trustDomain"),
        )
