"""Checks the renderer itself relies on: unique clusters, sane placements, a DNS endpoint."""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.loader import escape
from generator.model import Fleet


def cluster_duplicate(fleet: Fleet) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for c in fleet.clusters:
        loc = fleet.source.locate(f"{c.pointer}/name")
        if c.name in first:
            yield error(
                "cluster-duplicate",
                f"cluster '{c.name}' is declared twice (first at line {first[c.name]})",
                loc,
                (c.name,),
            )
        else:
            first[c.name] = loc.line


def placement(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        placed = 0
        for cluster, replicas in w.placement:
            ptr = f"{w.pointer}/placement/{escape(cluster)}"
            if fleet.cluster(cluster) is None:
                yield error(
                    "placement",
                    f"workload '{w.namespace}/{w.name}' is placed in unknown cluster '{cluster}'",
                    fleet.source.locate(ptr, key=True),
                    (cluster,),
                )
                continue
            if replicas <= 0:
                yield error(
                    "placement",
                    f"workload '{w.namespace}/{w.name}' has {replicas} replicas in '{cluster}'; "
                    "use a positive number or remove the cluster from the placement",
                    fleet.source.locate(ptr),
                    (cluster,),
                )
                continue
            placed += 1
            if w.seeds_per_cluster > replicas:
                yield error(
                    "placement",
                    f"workload '{w.namespace}/{w.name}' wants {w.seeds_per_cluster} seeds per cluster "
                    f"but has only {replicas} replicas in '{cluster}'",
                    fleet.source.locate(f"{w.pointer}/seedsPerCluster"),
                    (cluster,),
                )


def dns_endpoint_present(fleet: Fleet) -> Iterator[Finding]:
    if fleet.dns.discovery != "forward":  # only forward sends peers to each other's DNS endpoint
        return
    for c in fleet.clusters:
        if not c.dns_endpoint:
            yield error(
                "dns-endpoint",
                f"cluster '{c.name}' has no dns.endpoint: peers need the internal load balancer IP "
                "in front of its DNS (an unused address in one of its nodeCIDRs)",
                fleet.source.locate(f"{c.pointer}/dns" if f"{c.pointer}/dns" in fleet.source.keys else f"{c.pointer}/name", key=True),
                (c.name,),
            )

