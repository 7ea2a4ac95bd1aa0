"""The render input: what each cluster's blueprints need, precomputed in Python.

Blueprints are pure functions of this value. Everything pairwise (peers, seeds,
later routes) is computed here once, so a blueprint never searches the fleet.
Each cluster's entry is self-contained: a render may evaluate any subset of
clusters and get the same bytes for them.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Callable

from generator import discovery, lb, mesh, verify
from generator.errors import UsageError
from generator.model import Cluster, Fleet, Workload
from generator.overlay import calico_part

ClusterPart = Callable[[Fleet, Cluster], dict[str, Any]]
HubPart = Callable[[Fleet], dict[str, Any]]


def fleet_view(fleet: Fleet) -> dict[str, Any]:
    g = fleet.gitops
    return {
        "name": fleet.name,
        "file": fleet.file,
        "kubernetesVersion": fleet.kubernetes_version,
        "discovery": fleet.dns.discovery,
        "corednsImage": fleet.dns.coredns_image_ref,
        "connectivity": {"mode": fleet.connectivity.mode},
        "mesh": {"type": fleet.mesh.type},
        "gitops": {
            "engine": g.engine,
            "repoURL": g.repo_url,
            "revision": g.revision,
            "path": g.path,
            "namespace": g.namespace,
            "project": g.project,
            "interval": g.interval,
            "credentialsSecret": g.credentials_secret,
            "plugin": _plugin(fleet),
        },
        "verify": _verify_view(fleet),
    }


PLUGIN_NAME = "fleetgen-v1"  # argocd-cmp/plugin.yaml metadata.name
_FLEET_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")


def _plugin(fleet: Fleet) -> dict[str, Any] | None:
    """Argo CD CMP wiring: the plugin's name and the fleet file's path in the repository.

    The output sits next to the fleet file and at gitops.path in the repository, so
    the fleet file is gitops.path's parent plus the fleet file's name.
    """
    g = fleet.gitops
    if g.engine != "argocd" or not g.argocd_plugin:
        return None
    name = PurePosixPath(fleet.file.replace("\\", "/")).name
    if not _FLEET_FILE_NAME.match(name):
        raise UsageError(f"the fleet file name {name!r} cannot be passed to the Argo CD plugin: use letters, "
                         "digits, '.', '_' and '-' only")
    parent = PurePosixPath(g.path).parent
    return {"name": PLUGIN_NAME, "fleetFile": (parent / name).as_posix()}


def _verify_view(fleet: Fleet) -> dict[str, Any] | None:
    v = fleet.verify
    if v is None:
        return None
    return {"image": v.image, "namespace": v.namespace, "timeoutSeconds": v.timeout_seconds,
            "ttlSecondsAfterFinished": v.ttl_seconds, "script": verify.script()}


def seeds(fleet: Fleet, workload: Workload, viewer: Cluster | None = None) -> list[str]:
    """``<name>-<i>.<name>.<ns>.svc.<zone>`` for the first seedsPerCluster pods of every cluster it runs in.

    Discovery options with their own names (mcs, consul) name the seeds themselves.
    """
    named = discovery.seeds(fleet, workload, viewer)
    if named is not None:
        return named
    out = []
    for cluster_name, replicas in workload.placement:
        cluster = fleet.cluster(cluster_name)
        if cluster is None or replicas <= 0:
            continue
        for i in range(min(workload.seeds_per_cluster, replicas)):
            out.append(f"{workload.name}-{i}.{workload.name}.{workload.namespace}.svc.{cluster.zone}")
    return out


def _peer_entry(peer: Cluster) -> dict[str, Any]:
    return {
        "name": peer.name,
        "provider": peer.provider,
        "zone": peer.zone,
        "endpoint": peer.dns_endpoint,
        "apiServer": peer.api_server,
        "dnsServer": peer.dns_server,
        # the fleet DNS gateway's NetworkPolicy admits DNS from its peers' node and pod ranges
        "network": {f: [r.text for r in peer.cidrs(f)] for f in ("nodeCIDRs", "podCIDRs")},
    }


def _dns_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    return {
        "dns": {
            "server": cluster.dns_server,
            "zone": cluster.zone,
            "clusterDomain": cluster.cluster_domain,
            "endpoint": cluster.dns_endpoint,
            "loadBalancer": lb.pin(cluster, "dns").view(),
            "extraZones": [{"zone": e.zone, "forward": list(e.forward)} for e in cluster.extra_zones],
        },
        # names only: blueprints see `peers` resolved from the input's directory (fleet.jsonnet)
        "peerNames": list(fleet.peers.get(cluster.name, ())),
    }


def _network_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    return {"network": {f: [r.text for r in cluster.cidrs(f)] for f in ("nodeCIDRs", "podCIDRs", "serviceCIDRs")}}


def _workload_key(w: Workload) -> str:
    return f"{w.namespace}/{w.name}"


def _workload_entry(fleet: Fleet, w: Workload) -> dict[str, Any]:
    return {
        "name": w.name,
        "namespace": w.namespace,
        "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol} for p in w.ports],
        "seeds": seeds(fleet, w),
        "clusters": [c for c, n in w.placement if n > 0 and c in fleet.by_name],
    }


def _workload_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    # references only: blueprints see `workloads` resolved from the input's workload table;
    # seeds that depend on who asks (Consul peering names peers' services) travel per cluster
    per_viewer = discovery.seeds_depend_on_viewer(fleet)
    refs = []
    for w in fleet.workloads_in(cluster.name):
        ref: dict[str, Any] = {"key": _workload_key(w), "replicas": w.replicas_in(cluster.name)}
        if per_viewer:
            ref["seeds"] = seeds(fleet, w, cluster)
        refs.append(ref)
    return {"workloadRefs": refs}


# Each part adds keys to a cluster's entry; later slices (routes, mesh, overlay) add theirs here.
CLUSTER_PARTS: tuple[ClusterPart, ...] = (_dns_part, _network_part, _workload_part, calico_part, discovery.cluster_part)
CLUSTER_PARTS += (mesh.cluster_part,)


def _verify_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    return {"verify": verify.cluster_config(fleet, cluster) if fleet.verify is not None else None}


CLUSTER_PARTS += (_verify_part,)


def cluster_view(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": cluster.name,
        "provider": cluster.provider,
        "region": cluster.region,
        "apiServer": cluster.api_server,
        "localManifests": cluster.local_manifests,
    }
    for part in CLUSTER_PARTS:
        entry.update(part(fleet, cluster))
    return entry


# Each part adds keys to the hub's entry (what the hub deploys besides the per-cluster sync).
def _discovery_hub(fleet: Fleet) -> dict[str, Any]:
    return {"discovery": discovery.hub_part(fleet)}


HUB_PARTS: tuple[HubPart, ...] = (mesh.hub_part, _discovery_hub)


def hub_view(fleet: Fleet) -> dict[str, Any]:
    entry: dict[str, Any] = {"clusters": [{"name": c.name, "apiServer": c.api_server} for c in fleet.clusters]}
    for part in HUB_PARTS:
        entry.update(part(fleet))
    return entry


def render_input(fleet: Fleet, clusters: list[Cluster] | None = None, hub: bool = True) -> dict[str, Any]:
    """The whole render input. Data shared by many clusters (a peer's zone and endpoint,
    a workload's seeds) is sent once, in ``directory`` and ``workloads``, and referenced
    by name from each cluster: copying it into every cluster made the input O(N * peers)."""
    selected = list(fleet.clusters if clusters is None else clusters)
    wanted = {c.name for c in selected}
    return {
        "fleet": fleet_view(fleet),
        "directory": {
            name: _peer_entry(fleet.by_name[name])
            for name in sorted({p for c in selected for p in fleet.peers.get(c.name, ())})
        },
        "workloads": {
            _workload_key(w): _workload_entry(fleet, w)
            for w in fleet.workloads
            if any(c in wanted for c, n in w.placement if n > 0)
        },
        "clusters": [cluster_view(fleet, c) for c in selected],
        "hub": hub_view(fleet) if hub else None,
    }
