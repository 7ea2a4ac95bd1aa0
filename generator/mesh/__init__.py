"""Service mesh kinds (``spec.mesh.type``): a registry of what each kind adds to the render input and checks.

Each kind is a ``MeshKind``: per-cluster facts for its blueprint
(``blueprints/mesh/<type>.libsonnet``), labels/annotations for the workloads'
headless Services, and its checks. ``cluster_part`` and ``hub_part`` are the
view parts (generator/view.py); ``check`` is the built-in check. With
``type: none`` all three add nothing, so fleets without a mesh render exactly
as before.
"""

from __future__ import annotations

from typing import Any, Iterator

from generator import lb
from generator.diagnostics import Finding
from generator.mesh import cilium, istio, linkerd
from generator.mesh.kind import MeshKind
from generator.model import Cluster, Fleet

MESHES: dict[str, MeshKind] = {k.name: k for k in (istio.KIND, linkerd.KIND, cilium.KIND)}


def kind_of(fleet: Fleet) -> MeshKind | None:
    return MESHES.get(fleet.mesh.type)


def chart_version(fleet: Fleet, kind: MeshKind) -> str:
    return fleet.mesh.chart_version or kind.default_chart_version


def facts(fleet: Fleet, cluster: Cluster, kind: MeshKind) -> dict[str, Any]:
    """What every mesh blueprint gets about one cluster, plus the kind's own facts."""
    common: dict[str, Any] = {
        "type": kind.name,
        "chartVersion": chart_version(fleet, kind),
        "meshID": fleet.mesh.mesh_id,
        "trustDomain": fleet.mesh.trust_domain,
        "id": cluster.mesh_id,
        "network": cluster.mesh_network,
        "endpoint": cluster.mesh_endpoint,
        "loadBalancer": lb.pin(cluster, "mesh").view(),
    }
    return {**common, **kind.facts(fleet, cluster)}


def cluster_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    """View part: ``mesh`` facts and ``serviceMetadata`` ("<ns>/<name>" -> labels/annotations) for the workload Services."""
    kind = kind_of(fleet)
    if kind is None:
        return {}
    metadata = {}
    for w in fleet.workloads_in(cluster.name):
        extra = kind.service_metadata(fleet, w)
        if extra:
            metadata[f"{w.namespace}/{w.name}"] = extra
    return {"mesh": facts(fleet, cluster, kind), "serviceMetadata": metadata}


def hub_part(fleet: Fleet) -> dict[str, Any]:
    """View part for the hub: every cluster's mesh facts, for the per-cluster Helm releases the hub deploys."""
    kind = kind_of(fleet)
    if kind is None:
        return {}
    return {
        "mesh": {
            "type": kind.name,
            "clusters": [
                {"name": c.name, "apiServer": c.api_server, "provider": c.provider, "mesh": facts(fleet, c, kind)}
                for c in fleet.clusters
            ],
        }
    }


def check(fleet: Fleet) -> Iterator[Finding]:
    """The chosen mesh kind's checks (none without a mesh)."""
    kind = kind_of(fleet)
    if kind is not None:
        yield from kind.checks(fleet)
