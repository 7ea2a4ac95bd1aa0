"""Namespaces and Service names a workload may not use (rule ``reserved-name``).

A workload renders its Namespace and a headless Service in every cluster where
it is placed. In a namespace that Kubernetes, a GitOps engine, the selected mesh
or discovery, or fleetgen itself owns, that would put a system namespace under
the fleet's Application (or make the cluster's kustomization hold two Namespace
objects of one name, failing the whole sync) and could replace a system Service
(``kube-system/kube-dns``). Linkerd mirrors every exported Service of a peer as
``<name>-<peer cluster>`` in the same namespace, so with Linkerd those names are
taken too.
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.model import Fleet, Workload

KUBERNETES = ("kube-system", "kube-public", "kube-node-lease", "default")
KUBERNETES_PREFIX = "kube-"  # Kubernetes reserves the kube- prefix for system namespaces
GITOPS = ("argocd", "flux-system")
FLEETGEN = ("fleet-dns",)  # the DNS gateway (blueprints/dns/gateway.libsonnet)
MESH_NAMESPACES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # mesh type -> (exact names, prefixes)
    "istio": (("istio-system",), ()),
    "linkerd": ((), ("linkerd",)),  # linkerd, linkerd-multicluster, linkerd-viz, ...
    "cilium": ((), ("cilium",)),  # cilium-secrets (Cilium's Helm chart), cilium-*
}
DISCOVERY_NAMESPACES = {"consul": ("consul",)}  # blueprints/discovery/consul*.libsonnet


def owner_of_namespace(fleet: Fleet, namespace: str) -> str | None:
    """Who owns ``namespace`` in this fleet (None: a workload may use it)."""
    if namespace in KUBERNETES or namespace.startswith(KUBERNETES_PREFIX):
        return "Kubernetes (its system namespaces and every name starting with kube-)"
    if namespace in GITOPS or namespace == fleet.gitops.namespace:
        engine = {"argocd": "Argo CD", "flux-system": "Flux"}.get(namespace, fleet.gitops.engine)
        return f"the GitOps engine ({engine})"
    if namespace in FLEETGEN:
        return "fleetgen (the DNS gateway it renders)"
    names, prefixes = MESH_NAMESPACES.get(fleet.mesh.type, ((), ()))
    if namespace in names or any(namespace.startswith(p) for p in prefixes):
        return f"the {fleet.mesh.type} mesh (spec.mesh.type)"
    if namespace in DISCOVERY_NAMESPACES.get(fleet.dns.discovery, ()):
        return f"{fleet.dns.discovery} discovery (spec.dns.discovery), which fleetgen renders there"
    return None


def reserved_name(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        placed = tuple(c for c, n in w.placement if n > 0)
        owner = owner_of_namespace(fleet, w.namespace)
        if owner is not None:
            yield error(
                "reserved-name",
                f"workload '{w.namespace}/{w.name}' uses namespace '{w.namespace}', owned by {owner}: fleetgen "
                "would render that Namespace and a Service into it under the fleet's GitOps sync; pick a namespace "
                "of your own",
                fleet.source.locate(f"{w.pointer}/namespace"),
                placed,
            )
    if fleet.mesh.type == "linkerd":
        yield from _linkerd_mirrors(fleet)


def _linkerd_mirrors(fleet: Fleet) -> Iterator[Finding]:
    """A workload named like the Linkerd mirror of another workload of its namespace in a peer cluster."""
    mirrors: dict[tuple[str, str], tuple[Workload, str]] = {}
    for w in fleet.workloads:
        for cluster, replicas in w.placement:
            if replicas > 0 and cluster in fleet.by_name:
                mirrors.setdefault((w.namespace, f"{w.name}-{cluster}"), (w, cluster))
    for w in fleet.workloads:
        hit = mirrors.get((w.namespace, w.name))
        if hit is None or hit[0] is w:
            continue
        source, cluster = hit
        yield error(
            "reserved-name",
            f"workload '{w.namespace}/{w.name}' has the name Linkerd gives the mirror of '{source.namespace}/"
            f"{source.name}' from cluster '{cluster}' (<service>-<cluster>); the two Services would collide in "
            "every linked cluster: rename one of them",
            fleet.source.locate(f"{w.pointer}/name"),
            tuple(c for c, n in w.placement if n > 0),
        )
