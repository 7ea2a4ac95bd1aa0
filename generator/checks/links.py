"""Every pair of clusters that must talk has a link path (rule ``link-missing``).

Two clusters must be joined when they share a workload, a group, or a mesh
(spec.mesh.type other than none: every pair). A ``peering`` or ``vpn`` entry
joins every pair inside it and nothing beyond (no transit through a third
cluster). A ``transit-gateway`` entry joins all its members; entries with the
same ``name`` are the same gateway (attachments listed in several places), so
all their members reach each other. Two differently named gateways do not
route between each other even when a cluster is attached to both: that needs
gateway peering, which is a link of its own.
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.model import Fleet


def link_missing(fleet: Fleet) -> Iterator[Finding]:
    for link in fleet.connectivity.links:
        for j, name in enumerate(link.clusters):
            if name not in fleet.by_name:
                yield error(
                    "link-missing",
                    f"link '{link.name}' names unknown cluster '{name}'{fleet.did_you_mean(name)}; "
                    "declare it under spec.clusters or fix the name",
                    fleet.source.locate(f"{link.pointer}/clusters/{j}"),
                    (name,),
                )
    names = list(fleet.by_name)
    if len(names) < 2:
        return
    index = {n: i for i, n in enumerate(names)}
    # per cluster: the link domains it is in (a transit gateway by name, any other entry by position)
    domains: list[set[str]] = [set() for _ in names]
    for k, link in enumerate(fleet.connectivity.links):
        key = f"tgw:{link.name}" if link.via == "transit-gateway" else f"entry:{k}"
        for name in link.clusters:
            if name in index:
                domains[index[name]].add(key)

    def joined(a: int, b: int) -> bool:
        return not domains[a].isdisjoint(domains[b])

    for (a, b), reason in _required_pairs(fleet, names, index).items():
        if joined(a, b):
            continue
        later = fleet.by_name[names[b]]
        yield error(
            "link-missing",
            f"clusters '{names[a]}' and '{names[b]}' {reason} but no link joins them; add a "
            "spec.connectivity.links entry with both (vpn, peering or transit-gateway)",
            fleet.source.locate(f"{later.pointer}/name"),
            (names[a], names[b]),
        )


def _required_pairs(fleet: Fleet, names: list[str], index: dict[str, int]) -> dict[tuple[int, int], str]:
    """(earlier, later) cluster index -> why they must talk; the first reason found wins."""
    need: dict[tuple[int, int], str] = {}
    for w in fleet.workloads:
        placed = sorted({index[c] for c, replicas in w.placement if replicas > 0 and c in index})
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                need.setdefault((a, b), f"share workload '{w.namespace}/{w.name}'")
    for group in fleet.groups:
        members = sorted({index[c] for c in group.clusters if c in index})
        reason = "are in the same fleet" if group.implicit else f"share group '{group.name}'"
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                need.setdefault((a, b), reason)
    if fleet.mesh.type != "none":
        reason = f"are in one {fleet.mesh.type} mesh"
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                need.setdefault((a, b), reason)
    return need
