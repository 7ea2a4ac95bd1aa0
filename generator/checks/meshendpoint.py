"""The mesh endpoint of a cluster, for every mesh type (rule ``mesh-endpoint``).

``clusters[].mesh.endpoint`` is the internal load balancer IP of the cluster's mesh
entry point (Istio east-west gateway, Cilium clustermesh-apiserver, Linkerd
gateway). Like ``dns.endpoint`` it must be an IP address, a host address inside
one of the cluster's node ranges (so the route plan, which routes the peer's node
ranges, carries it), outside its pod and service ranges, and unique across every
endpoint of the fleet, DNS endpoints included (two LoadBalancer Services cannot
share one address). Whether it is required is each mesh kind's rule
(generator/mesh/). Ignored with ``spec.mesh.type: none``.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.dnsendpoint import placement_problems
from generator.diagnostics import Finding, error
from generator.mesh.kind import cluster_mesh_location
from generator.model import Cluster, Fleet, IPAddress


def mesh_endpoint(fleet: Fleet) -> Iterator[Finding]:
    if fleet.mesh.type == "none":
        return
    owners: dict[IPAddress, tuple[Cluster, str]] = {}
    for c in fleet.clusters:
        if c.endpoint_address is not None:
            owners.setdefault(c.endpoint_address, (c, "dns.endpoint"))
    for c in fleet.clusters:
        if not c.mesh_endpoint:
            continue
        loc = cluster_mesh_location(fleet, c, "endpoint")
        address = c.mesh_address
        if address is None:
            yield error("mesh-endpoint", f"cluster '{c.name}' has mesh.endpoint {c.mesh_endpoint!r}, "
                        "which is not an IP address", loc, (c.name,))
            continue
        for problem in placement_problems(c, address):
            yield error("mesh-endpoint", f"mesh.endpoint {address} of cluster '{c.name}' {problem}", loc, (c.name,))
        prior = owners.get(address)
        if prior is None:
            owners[address] = (c, "mesh.endpoint")
            continue
        other, field = prior
        whose = f"its own {field}" if other is c else f"the {field} of cluster '{other.name}'"
        yield error(
            "mesh-endpoint",
            f"mesh.endpoint {address} of cluster '{c.name}' is also {whose}; each load balancer (DNS, mesh) "
            "needs its own address",
            loc,
            tuple(dict.fromkeys((other.name, c.name))),
        )
