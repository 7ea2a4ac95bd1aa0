"""Checks the renderer itself relies on: unique clusters and sane placements."""

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


def group_member(fleet: Fleet) -> Iterator[Finding]:
    """A group that names an undeclared cluster: the typo silently leaves the real cluster out of the group."""
    for group in fleet.groups:
        if group.implicit:
            continue
        for j, name in enumerate(group.clusters):
            if fleet.cluster(name) is None:
                yield error(
                    "group-member",
                    f"group '{group.name}' names unknown cluster '{name}'{fleet.did_you_mean(name)}; "
                    "declare it under spec.clusters or fix the name",
                    fleet.source.locate(f"{group.pointer}/clusters/{j}"),
                    (name,),
                )


def placement(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        placed = 0
        for cluster, replicas in w.placement:
            ptr = f"{w.pointer}/placement/{escape(cluster)}"
            if fleet.cluster(cluster) is None:
                yield error(
                    "placement",
                    f"workload '{w.namespace}/{w.name}' is placed in unknown cluster '{cluster}'"
                    f"{fleet.did_you_mean(cluster)}",
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
