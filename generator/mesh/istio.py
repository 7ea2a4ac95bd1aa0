"""Istio multi-primary (one or several networks): facts for blueprints/mesh/istio.libsonnet and its checks."""

from __future__ import annotations

from typing import Any, Iterator

from generator.diagnostics import Finding, error
from generator.mesh.kind import MeshKind, cluster_mesh_location, mesh_location, mesh_peers
from generator.model import Cluster, Fleet, Workload

DEFAULT_CHART_VERSION = "1.29.2"


def networks(fleet: Fleet) -> list[str]:
    return sorted({c.mesh_network for c in fleet.clusters if c.mesh_network})


def facts(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    peers = mesh_peers(fleet, cluster)
    return {
        # An east-west gateway is needed only when some peer sits on another network.
        "multiNetwork": len(networks(fleet)) > 1,
        "peers": [{"name": p.name, "network": p.mesh_network} for p in peers],
        # Created by hand with `istioctl create-remote-secret` (kubeconfigs stay out of git).
        "remoteSecrets": [f"istio-remote-secret-{p.name}" for p in peers],
    }


def service_metadata(fleet: Fleet, workload: Workload) -> dict[str, dict[str, str]]:
    return {}  # istiod discovers every Service of every cluster it has a remote secret for


def checks(fleet: Fleet) -> Iterator[Finding]:
    if not fleet.mesh.mesh_id:
        yield error(
            "mesh-id",
            "spec.mesh.meshID is required with Istio: every cluster's istiod must carry the same global.meshID",
            mesh_location(fleet, "meshID"),
        )
    if not fleet.mesh.trust_domain:
        yield error(
            "mesh-trust-domain",
            "spec.mesh.trustDomain is required with Istio: all clusters must share one trust domain "
            "(meshConfig.trustDomain) and one root CA",
            mesh_location(fleet, "trustDomain"),
        )
    for c in fleet.clusters:
        if not c.mesh_network:
            yield error(
                "mesh-id",
                f"cluster '{c.name}' has no mesh.network: with Istio every cluster names its network "
                "(clusters whose pods reach each other directly share one)",
                cluster_mesh_location(fleet, c, "network"),
                (c.name,),
            )
    yield from _services_consistent(fleet)


def _services_consistent(fleet: Fleet) -> Iterator[Finding]:
    """Istio merges same-named Services of all clusters: their ports must agree."""
    first: dict[tuple[str, str], Workload] = {}
    for w in fleet.workloads:
        key = (w.namespace, w.name)
        seen = first.setdefault(key, w)
        if seen is w:
            continue
        if seen.ports != w.ports:
            line = fleet.source.locate(f"{seen.pointer}/ports").line
            yield error(
                "mesh-service",
                f"service '{w.namespace}/{w.name}' is declared again with other ports than at line {line}: "
                "Istio merges same-named services of every cluster, so their ports must be identical",
                fleet.source.locate(f"{w.pointer}/ports"),
                tuple(c for c, n in w.placement if n > 0),
            )


KIND = MeshKind("istio", DEFAULT_CHART_VERSION, facts, service_metadata, checks)
