"""What each discovery option (spec.dns.discovery) needs in the render input.

``forward`` needs nothing beyond the DNS part of the view. ``kubernetai``, ``consul``
and ``mcs`` each get a ``discovery`` key per cluster (``cluster_part``) and, for
Consul's Helm releases on the GitOps hub, a ``discovery`` key in the hub view
(``hub_part``). Names and defaults of the options live here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from generator.model import Cluster, Fleet, Workload, image_ref

DEFAULT_KUBECONFIG_SECRET_PATTERN = "kubernetai-{cluster}"
DEFAULT_CONSUL_CHART_VERSION = "1.9.3"
DEFAULT_DATACENTER_PATTERN = "{cluster}"
DEFAULT_FEDERATION = "peering"
DEFAULT_CLUSTERSET_DOMAIN = "clusterset.local"
KUBECONFIG_DIR = "/etc/coredns/kubeconfigs"


def option(fleet: Fleet, kind: str, key: str, default: Any) -> Any:
    """One setting of spec.dns.<kind> as written, or its default."""
    return fleet.dns.options.get(kind, {}).get(key, default)


def kubernetai_image(fleet: Fleet) -> str | None:
    return option(fleet, "kubernetai", "image", None)


def kubernetai_image_ref(fleet: Fleet) -> str:
    """The gateway image with kubernetai: its own image (and digest), else the CoreDNS image."""
    image = kubernetai_image(fleet)
    if image is None:
        return fleet.dns.coredns_image_ref
    return image_ref(image, option(fleet, "kubernetai", "imageDigest", None))


def kubeconfig_secret(fleet: Fleet, peer: str) -> str:
    return str(option(fleet, "kubernetai", "kubeconfigSecretPattern", DEFAULT_KUBECONFIG_SECRET_PATTERN)).replace(
        "{cluster}", peer
    )


def reader_account(reader: str) -> str:
    """The ServiceAccount a peer cluster's kubernetai reads this cluster with."""
    return f"fleet-dns-reader-{reader}"


def datacenter(fleet: Fleet, cluster: str) -> str:
    return str(option(fleet, "consul", "datacenterPattern", DEFAULT_DATACENTER_PATTERN)).replace("{cluster}", cluster)


def federation(fleet: Fleet) -> str:
    return str(option(fleet, "consul", "federation", DEFAULT_FEDERATION))


def consul_service(workload: Workload) -> str:
    """The Consul service name catalog sync gives a Kubernetes Service (addK8SNamespaceSuffix: true)."""
    return f"{workload.name}-{workload.namespace}"


def clusterset_domain(fleet: Fleet) -> str:
    return str(option(fleet, "mcs", "clusterSetDomain", DEFAULT_CLUSTERSET_DOMAIN))


def peering_secret(acceptor: str, dialer: str) -> str:
    """Same name on both sides: created by the acceptor, copied to the dialer by hand."""
    return f"consul-peering-{acceptor}-{dialer}"


def seeds_depend_on_viewer(fleet: Fleet) -> bool:
    """Consul peering names another cluster's service as `<svc>.service.<dc>.peer.consul`."""
    return fleet.dns.discovery == "consul" and federation(fleet) != "wan"


def seeds(fleet: Fleet, workload: Workload, viewer: Cluster | None) -> list[str] | None:
    """Seed names for discovery options whose names differ from the fleet zones; None for forward/kubernetai."""
    kind = fleet.dns.discovery
    if kind not in ("mcs", "consul"):
        return None
    out: list[str] = []
    for cluster_name, replicas in workload.placement:
        cluster = fleet.cluster(cluster_name)
        if cluster is None or replicas <= 0:
            continue
        if kind == "mcs":
            domain = clusterset_domain(fleet)
            for i in range(min(workload.seeds_per_cluster, replicas)):
                out.append(f"{workload.name}-{i}.{cluster.name}.{workload.name}.{workload.namespace}.svc.{domain}")
        elif federation(fleet) == "wan" or viewer is None or viewer.name == cluster.name:
            out.append(f"{consul_service(workload)}.service.{datacenter(fleet, cluster.name)}.consul")
        else:
            out.append(f"{consul_service(workload)}.service.{datacenter(fleet, cluster.name)}.peer.consul")
    return out


def _kubernetai(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    peers = [fleet.by_name[p] for p in fleet.peers.get(cluster.name, ())]
    return {
        "image": kubernetai_image_ref(fleet),
        "kubeconfigDir": KUBECONFIG_DIR,
        "remotes": [
            {"name": p.name, "zone": p.zone, "apiServer": p.api_server, "secret": kubeconfig_secret(fleet, p.name)}
            for p in peers
        ],
        # Peers read this cluster: one ServiceAccount (and token Secret) per reading cluster.
        "readers": [{"cluster": p.name, "serviceAccount": reader_account(p.name)} for p in peers],
    }


def _consul(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    order = {c.name: i for i, c in enumerate(fleet.clusters)}
    peers = fleet.peers.get(cluster.name, ())
    mine = datacenter(fleet, cluster.name)
    peerings = []
    for p in peers:
        theirs = datacenter(fleet, p)
        accepts = order[cluster.name] < order[p]  # the earlier cluster in the fleet file accepts
        acceptor, dialer = (mine, theirs) if accepts else (theirs, mine)
        peerings.append({"peer": theirs, "role": "acceptor" if accepts else "dialer", "secret": peering_secret(acceptor, dialer)})
    exported = [
        {"name": consul_service(w), "consumers": [datacenter(fleet, p) for p in peers]}
        for w in fleet.workloads_in(cluster.name)
    ]
    return {
        "datacenter": mine,
        "federation": federation(fleet),
        "primaryDatacenter": datacenter(fleet, fleet.clusters[0].name),
        "peerings": peerings if federation(fleet) == "peering" else [],
        "exportedServices": [e for e in exported if e["consumers"]] if federation(fleet) == "peering" else [],
    }


def _mcs(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    return {"clusterId": cluster.name, "clusterSetId": fleet.name, "domain": clusterset_domain(fleet)}


def cluster_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    """View part: the ``discovery`` entry of a cluster (kind, the pinned discovery IP, per-option data)."""
    kind = fleet.dns.discovery
    entry: dict[str, Any] = {"kind": kind, "ip": cluster.discovery_ip}
    if kind == "kubernetai":
        entry["kubernetai"] = _kubernetai(fleet, cluster)
    elif kind == "consul":
        entry["consul"] = _consul(fleet, cluster)
    elif kind == "mcs":
        entry["mcs"] = _mcs(fleet, cluster)
    return {"discovery": entry}


def hub_part(fleet: Fleet) -> dict[str, Any]:
    """Hub view part: Consul's Helm release per cluster (Helm releases are hub objects in both engines)."""
    if fleet.dns.discovery != "consul":
        return {"kind": fleet.dns.discovery}
    return {
        "kind": "consul",
        "chartVersion": option(fleet, "consul", "chartVersion", DEFAULT_CONSUL_CHART_VERSION),
        "clusters": [
            {
                "name": c.name,
                "provider": c.provider,
                "apiServer": c.api_server,
                "datacenter": datacenter(fleet, c.name),
                "dnsIP": c.discovery_ip,
                "syncNamespaces": sorted({w.namespace for w in fleet.workloads_in(c.name)}),
            }
            for c in fleet.clusters
        ],
        "federation": federation(fleet),
        "primaryDatacenter": datacenter(fleet, fleet.clusters[0].name),
    }
