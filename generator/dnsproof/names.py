"""Which cluster owns a DNS name, for each naming scheme the discovery options use.

- fleet zones (forward, kubernetai): ``<pod>.<svc>.<ns>.svc.<zone>``, owned by the
  cluster whose zone is the longest suffix (first declared on a tie);
- mcs: ``<pod>.<cluster id>.<svc>.<ns>.svc.<clusterset domain>``, owned by that cluster;
- consul: ``<svc>.service.<dc>.<domain>`` or ``<svc>.service.<peer>.peer.<domain>``,
  owned by the cluster of that datacenter (the peer name is the peer's datacenter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import discovery
from generator.dnsproof.corefile import normalize_zone
from generator.model import Fleet

MCS = "mcs"
CONSUL = "consul"
ZONE = "zone"


@dataclass(frozen=True)
class Naming:
    zones: dict[str, str]  # fleet zone -> owning cluster (the first declared on a tie)
    clusterset: str | None = None  # mcs: the clusterset domain
    cluster_ids: dict[str, str] = field(default_factory=dict)  # mcs: cluster id -> cluster
    consul_domain: str | None = None  # consul: the Consul DNS domain
    datacenters: dict[str, str] = field(default_factory=dict)  # consul: datacenter -> cluster

    def scheme(self, name: str) -> str:
        name = normalize_zone(name)
        if self.clusterset and (name == self.clusterset or name.endswith("." + self.clusterset)):
            return MCS
        if self.consul_domain and (name == self.consul_domain or name.endswith("." + self.consul_domain)):
            return CONSUL
        return ZONE

    def owner_of(self, name: str) -> str | None:
        name = normalize_zone(name)
        labels = name.split(".")
        scheme = self.scheme(name)
        if scheme == MCS:
            rel = labels[: len(labels) - len(self.clusterset.split("."))] if self.clusterset else []
            return self.cluster_ids.get(rel[1]) if len(rel) == 5 and rel[-1] == "svc" else None
        if scheme == CONSUL:
            rel = labels[: len(labels) - len((self.consul_domain or "").split("."))]
            if len(rel) == 3 and rel[1] == "service":
                return self.datacenters.get(rel[2])
            if len(rel) == 4 and rel[1] == "service" and rel[3] == "peer":
                return self.datacenters.get(rel[2])
            return None
        for i in range(len(labels)):
            owner = self.zones.get(".".join(labels[i:]))
            if owner is not None:
                return owner
        return self.zones.get(".")


def naming(fleet: Fleet) -> Naming:
    zones: dict[str, str] = {}
    for c in fleet.by_name.values():
        zones.setdefault(normalize_zone(c.zone), c.name)
    kind = fleet.dns.discovery
    if kind == "mcs":
        ids = {c.name: c.name for c in fleet.clusters}  # the ClusterProperty cluster.clusterset.k8s.io is the name
        return Naming(zones, clusterset=normalize_zone(discovery.clusterset_domain(fleet)), cluster_ids=ids)
    if kind == "consul":
        dcs = {discovery.datacenter(fleet, c.name).lower(): c.name for c in reversed(fleet.clusters)}
        return Naming(zones, consul_domain="consul", datacenters=dcs)
    return Naming(zones)
