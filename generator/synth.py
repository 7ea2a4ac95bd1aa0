"""A synthetic, valid, overlap-free fleet of any size, for benchmarks and scale tests.

Clusters come in groups of ``group_size``; each group is joined by one
transit-gateway link and runs two workloads placed in all its clusters. All
ranges are carved out of 10.0.0.0/8 (nodes 10.0.0.0/9, pods 10.128.0.0/10,
services 10.192.0.0/10), sized so every cluster gets one block of each.
"""

from __future__ import annotations

import ipaddress
from typing import Any

PROVIDERS = ("aws", "gcp", "azure", "generic")
_NODES = ipaddress.IPv4Network("10.0.0.0/9")
_PODS = ipaddress.IPv4Network("10.128.0.0/10")
_SERVICES = ipaddress.IPv4Network("10.192.0.0/10")


def _block(base: ipaddress.IPv4Network, bits: int, i: int) -> ipaddress.IPv4Network:
    size = base.num_addresses >> bits
    return ipaddress.IPv4Network(f"{base.network_address + i * size}/{base.prefixlen + bits}")


def synthetic_fleet(n_clusters: int, group_size: int = 50) -> dict[str, Any]:
    """The fleet document (as loaded from YAML) for ``n_clusters`` clusters; up to 16,384 clusters."""
    if not 1 <= n_clusters <= 1 << 14:
        raise ValueError("n_clusters must be between 1 and 16384")
    bits = max(1, (n_clusters - 1).bit_length())
    clusters: list[dict[str, Any]] = []
    for i in range(n_clusters):
        nodes = _block(_NODES, bits, i)
        clusters.append(
            {
                "name": f"c{i:05d}",
                "provider": PROVIDERS[i % len(PROVIDERS)],
                "region": f"region-{i // group_size}",
                "apiServer": f"https://c{i:05d}.k8s.example.com",
                "network": {
                    "nodeCIDRs": [str(nodes)],
                    "podCIDRs": [str(_block(_PODS, bits, i))],
                    "serviceCIDRs": [str(_block(_SERVICES, bits, i))],
                },
                "dns": {"endpoint": str(nodes.network_address + 10)},
            }
        )
        if clusters[-1]["provider"] == "aws":  # EKS pins the endpoint through the NLB's subnet (rule lb-pin)
            clusters[-1]["dns"]["loadBalancerSubnets"] = [f"subnet-c{i:05d}"]
    names = [c["name"] for c in clusters]
    groups = [names[s : s + group_size] for s in range(0, n_clusters, group_size)]
    workloads: list[dict[str, Any]] = []
    for g, members in enumerate(groups):
        for kind, ports in (("cassandra", [{"name": "cql", "port": 9042}]), ("etcd", [{"name": "client", "port": 2379}])):
            workloads.append(
                {
                    "name": f"{kind}-g{g}",
                    "namespace": "db",
                    "ports": ports,
                    "placement": {m: 3 for m in members},
                    "seedsPerCluster": 2,
                }
            )
    return {
        "apiVersion": "fleetgen/v1alpha1",
        "kind": "Fleet",
        "metadata": {"name": "synthetic"},
        "spec": {
            "gitops": {"engine": "argocd", "repoURL": "https://git.example.com/platform/fleet.git"},
            "connectivity": {
                "mode": "native",
                "links": [
                    {"name": f"tgw-g{g}", "clusters": list(members), "via": "transit-gateway"}
                    for g, members in enumerate(groups)
                    if len(members) >= 2
                ],
            },
            "groups": [{"name": f"g{g}", "clusters": list(members)} for g, members in enumerate(groups)],
            "clusters": clusters,
            "workloads": workloads,
        },
    }
