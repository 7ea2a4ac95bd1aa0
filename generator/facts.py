"""The facts document (``fleet.facts.json``): the fleet model as plain JSON for Rego policies.

Its shape is a contract (see docs/reporting.md): keys are only added, never
renamed. Range bounds ``first``/``last`` are integers for IPv4 and decimal
strings for IPv6 (128-bit values do not fit JSON numbers that Rego and most
JSON readers handle exactly). A range that does not parse has ``valid: false``
and no bounds.
"""

from __future__ import annotations

from typing import Any

from generator.model import Cluster, Fleet, Range, Workload
from generator.view import seeds

FACTS_FILE = "fleet.facts.json"


def _range(r: Range) -> dict[str, Any]:
    out: dict[str, Any] = {"field": r.field, "cidr": r.text}
    if r.network is None:
        out.update(family=None, valid=False)
        return out
    first, last = int(r.network.network_address), int(r.network.broadcast_address)
    v4 = r.network.version == 4
    out.update(family=r.network.version, first=first if v4 else str(first), last=last if v4 else str(last), valid=True)
    return out


def _cluster(fleet: Fleet, c: Cluster) -> dict[str, Any]:
    return {
        "name": c.name,
        "provider": c.provider,
        "region": c.region,
        "zone": c.zone,
        "clusterDomain": c.cluster_domain,
        "dnsServer": c.dns_server,
        "dnsEndpoint": c.dns_endpoint,
        "peers": list(fleet.peers.get(c.name, ())),
        "groups": list(fleet.groups_of.get(c.name, ())),
        "ranges": [_range(r) for r in c.ranges],
        "mesh": {"id": c.mesh_id, "network": c.mesh_network},
    }


def _workload(fleet: Fleet, w: Workload) -> dict[str, Any]:
    return {
        "name": w.name,
        "namespace": w.namespace,
        "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol} for p in w.ports],
        "placement": dict(w.placement),
        "seeds": seeds(fleet, w),
    }


def facts(fleet: Fleet) -> dict[str, Any]:
    return {
        "fleet": fleet.name,
        "clusters": [_cluster(fleet, c) for c in fleet.clusters],
        "links": [{"clusters": list(link.clusters), "via": link.via} for link in fleet.connectivity.links],
        "workloads": [_workload(fleet, w) for w in fleet.workloads],
        "mesh": {"type": fleet.mesh.type},
        "discovery": fleet.dns.discovery,
    }


def facts_output(fleet: Fleet) -> dict[str, Any]:
    """A pipeline DATA_OUTPUT: ``{"fleet.facts.json": facts(fleet)}``."""
    return {FACTS_FILE: facts(fleet)}
