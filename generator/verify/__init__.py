"""Post-sync verification (``spec.verify``): what each cluster's Job checks, and the words for it.

``cluster_config`` is the JSON the Job's script (``job.py``, shipped in a ConfigMap)
reads; ``explain`` says the same in words (``fleetgen explain verify``).
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from typing import Any

from generator import discovery
from generator.model import Cluster, Fleet, Workload

CONFIG_MOUNT = "/etc/fleetgen-verify"


def script() -> str:
    return resources.files(__package__).joinpath("job.py").read_text(encoding="utf-8")


def shared_workloads(fleet: Fleet, cluster: Cluster) -> tuple[Workload, ...]:
    """Workloads placed in ``cluster`` and in at least one other cluster of the fleet."""
    return tuple(
        w for w in fleet.workloads_in(cluster.name)
        if any(c != cluster.name and n > 0 and c in fleet.by_name for c, n in w.placement)
    )


def _seeds_of(fleet: Fleet, workload: Workload, owner: str, viewer: Cluster) -> list[str]:
    """The seed names of ``workload`` that name pods of ``owner``, as ``viewer`` sees them."""
    only = dataclasses.replace(workload, placement=((owner, workload.replicas_in(owner)),))
    named = discovery.seeds(fleet, only, viewer)
    if named is not None:
        return named
    cluster = fleet.by_name[owner]
    n = min(workload.seeds_per_cluster, workload.replicas_in(owner))
    return [f"{workload.name}-{i}.{workload.name}.{workload.namespace}.svc.{cluster.zone}" for i in range(n)]


def cluster_config(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    """The checks of ``cluster``'s Job: seeds, peer DNS endpoints, TCP targets."""
    seeds: list[dict[str, Any]] = []
    tcp: list[dict[str, Any]] = []
    for w in shared_workloads(fleet, cluster):
        key = f"{w.namespace}/{w.name}"
        for owner, replicas in w.placement:
            if replicas <= 0 or owner not in fleet.by_name:
                continue
            pods = [r.text for r in fleet.by_name[owner].cidrs("podCIDRs")]
            names = _seeds_of(fleet, w, owner, cluster)
            seeds.extend({"workload": key, "name": n, "owner": owner, "podCIDRs": pods} for n in names)
            tcp_ports = [{"name": p.name, "port": p.port} for p in w.ports if p.protocol == "TCP"]
            if w.verify_tcp and owner != cluster.name and names and tcp_ports:
                tcp.append({"workload": key, "peer": owner, "name": names[0], "ports": tcp_ports})
    endpoints = []
    for peer_name in fleet.peers.get(cluster.name, ()):
        peer = fleet.by_name[peer_name]
        if peer.dns_endpoint:
            endpoints.append({"peer": peer.name, "zone": peer.zone, "address": peer.dns_endpoint, "port": 53})
    return {"cluster": cluster.name, "seeds": seeds, "endpoints": endpoints, "tcp": tcp}


def explain(fleet: Fleet, cluster: Cluster) -> str:
    """``cluster_config`` in words, one check per line."""
    if fleet.verify is None:
        return (f"spec.verify is not set: no verification Job is rendered for {cluster.name}.\n"
                "Add `verify: {}` under spec to render one per cluster.\n")
    v = fleet.verify
    config = cluster_config(fleet, cluster)
    lines = [
        f"After every sync of {cluster.name}, the Job fleetgen-verify in namespace {v.namespace} "
        f"(image {v.image}, at most {v.timeout_seconds}s) checks from inside the cluster:",
    ]
    if not config["seeds"]:
        lines.append("  (no workload placed here is shared with another cluster: no seed names to check)")
    for s in config["seeds"]:
        lines.append(f"  seed      {s['name']} ({s['workload']}) resolves through the cluster's DNS to an "
                     f"address in {s['owner']}'s pod ranges {', '.join(s['podCIDRs'])}")
    for e in config["endpoints"]:
        lines.append(f"  endpoint  {e['peer']}'s DNS endpoint {e['address']}:{e['port']} answers for its zone {e['zone']}")
    for t in config["tcp"]:
        ports = ", ".join(f"{p['port']} ({p['name']})" for p in t["ports"])
        lines.append(f"  tcp       {t['name']} ({t['peer']}) accepts TCP connections on {ports}")
    lines.append(f"{len(config['seeds']) + len(config['endpoints']) + sum(len(t['ports']) for t in config['tcp'])} "
                 "checks; the Job prints one JSON line per check and fails (the sync fails) if any check fails.")
    return "\n".join(lines) + "\n"
