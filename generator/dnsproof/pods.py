"""Which pod (and headless Service) names exist: a workload's pods are ``<name>-0`` ..
``<name>-<replicas-1>`` in every cluster of its placement, and nowhere else.

The DNS configuration proves that a query for a name reaches the DNS server that
knows the owning cluster's pods; whether that server then has a record depends on
the pod existing. For names of fleet workloads this is known from the fleet:
``cassandra-0.cassandra.db.svc.<zone of b>`` when cassandra is not placed in b,
or ``elasticsearch-9`` of a 3-replica workload, is "no such pod". Names of
Services that are not fleet workloads are not judged (anything may run there).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.dnsproof.corefile import normalize_zone
from generator.dnsproof.names import CONSUL, MCS, Naming
from generator.model import Fleet


@dataclass(frozen=True)
class Pods:
    placement: dict[tuple[str, str], dict[str, int]]  # (namespace, service) -> cluster -> replicas
    zones: dict[str, str]  # cluster -> its fleet zone

    def problem(self, naming: Naming, name: str, owner: str | None) -> str | None:
        """Why ``name`` (owned by ``owner``) names no pod or Service of a fleet workload; None if it may exist."""
        if owner is None:
            return None
        name = normalize_zone(name)
        scheme = naming.scheme(name)
        if scheme == CONSUL:
            return None
        if scheme == MCS:
            domain = naming.clusterset or ""
            rel = name.split(".")[: len(name.split(".")) - len(domain.split("."))]
            if len(rel) != 5 or rel[-1] != "svc":
                return None
            pod, svc, ns = rel[0], rel[2], rel[3]
        else:
            zone = self.zones.get(owner)
            if zone is None or not name.endswith("." + zone):
                return None
            rel = name[: -len(zone) - 1].split(".")
            if len(rel) == 3 and rel[-1] == "svc":
                pod, svc, ns = None, rel[0], rel[1]
            elif len(rel) == 4 and rel[-1] == "svc":
                pod, svc, ns = rel[0], rel[1], rel[2]
            else:
                return None
        clusters = self.placement.get((ns, svc))
        if clusters is None:
            return None
        replicas = clusters.get(owner, 0)
        what = "pod" if pod is not None else "service"
        if replicas <= 0:
            where = ", ".join(clusters) or "no cluster"
            return f"no such {what}: workload {ns}/{svc} is not placed in {owner} (placed in {where})"
        if pod is None:
            return None
        index = pod[len(svc) + 1:] if pod.startswith(svc + "-") else ""
        if not index.isdigit() or (len(index) > 1 and index.startswith("0")) or int(index) >= replicas:
            return (f"no such pod: workload {ns}/{svc} has {replicas} replica{'s' if replicas != 1 else ''} "
                    f"in {owner} ({svc}-0 to {svc}-{replicas - 1})")
        return None


def pods(fleet: Fleet) -> Pods:
    placement: dict[tuple[str, str], dict[str, int]] = {}
    for w in fleet.workloads:
        per = placement.setdefault((w.namespace, w.name), {})
        for cluster, replicas in w.placement:
            if replicas > 0 and cluster in fleet.by_name:
                per[cluster] = per.get(cluster, 0) + replicas
    return Pods(placement, {c.name: normalize_zone(c.zone) for c in fleet.by_name.values()})
