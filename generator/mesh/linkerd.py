"""Linkerd multicluster: facts for blueprints/mesh/linkerd.libsonnet and its checks."""

from __future__ import annotations

from typing import Any, Iterator

from generator.diagnostics import Finding, error
from generator.mesh.kind import endpoint_findings, MeshKind, mesh_location, mesh_peers
from generator.model import Cluster, Fleet, Workload

# Open-source Linkerd ships only edge releases; their Helm charts are versioned by date.
DEFAULT_CHART_VERSION = "2025.5.5"
EXPORT_VALUE = {"remote-discovery": "remote-discovery", "gateway": "true"}


def mode(fleet: Fleet) -> str:
    return str(fleet.mesh.options.get("linkerd", {}).get("mode", "remote-discovery"))


def facts(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    return {
        "mode": mode(fleet),
        # One Link per direction: this cluster mirrors services from each peer.
        "links": [
            {"name": p.name, "clusterDomain": p.cluster_domain, "endpoint": p.mesh_endpoint}
            for p in mesh_peers(fleet, cluster)
        ],
    }


def service_metadata(fleet: Fleet, workload: Workload) -> dict[str, dict[str, str]]:
    return {"labels": {"mirror.linkerd.io/exported": EXPORT_VALUE[mode(fleet)]}}


def checks(fleet: Fleet) -> Iterator[Finding]:
    if not fleet.mesh.trust_domain:
        yield error(
            "mesh-trust-domain",
            "spec.mesh.trustDomain is required with Linkerd: linked clusters must share the trust domain "
            "(identityTrustDomain) and the trust anchor",
            mesh_location(fleet, "trustDomain"),
        )
    # flat (remote-discovery) mode needs routable pod ranges between every pair:
    # with a mesh every pair must be linked, which `link-missing` already reports
    if mode(fleet) == "gateway":
        yield from _gateway_endpoints(fleet)


def _gateway_endpoints(fleet: Fleet) -> Iterator[Finding]:
    return endpoint_findings(
        fleet, "in Linkerd gateway mode its peers' Links need the internal load balancer IP of its linkerd-gateway"
    )



KIND = MeshKind("linkerd", DEFAULT_CHART_VERSION, facts, service_metadata, checks)
