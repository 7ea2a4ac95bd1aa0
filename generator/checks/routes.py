"""Rule ``route-plan``: the route plan (generator/routes.py) is one a route table can hold.

- a destination overlaps one of the sending cluster's own ranges (it would send its
  own addresses away; the plan leaves it out). Between peers ``cidr-overlap``
  already reports that as an error, so this rule only speaks for linked clusters
  that share no group (where ``cidr-overlap`` only warns);
- two links claim overlapping destinations for the same cluster (ambiguous next hop:
  a route table holds one target per destination);
- a linked cluster declares node ranges but no pod range (pod-to-pod traffic cannot reach it).

Whether every pair that must talk has a link at all is rule ``link-missing``.
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.model import Fleet, IPNetwork
from generator.routes import fleet_routes, routes_pods


def route_plan(fleet: Fleet) -> Iterator[Finding]:
    if not fleet.connectivity.links:
        return
    plan = fleet_routes(fleet)
    for cr in plan:
        cluster = fleet.by_name[cr.cluster]
        for lr in cr.links:
            for dest in lr.own:
                if dest.peer in fleet.peers.get(cr.cluster, ()):
                    continue  # cidr-overlap reports it
                yield error(
                    "route-plan",
                    f"the route plan of '{cr.cluster}' would send its own addresses away: {dest.network} of "
                    f"'{dest.peer}' (link '{lr.link.name}') overlaps a range of '{cr.cluster}'; left out of the plan",
                    fleet.source.locate(dest.pointer),
                    (cr.cluster, dest.peer),
                )
        for i, later in enumerate(cr.links):
            for earlier in cr.links[:i]:
                clash = _first_clash(earlier.destinations, later.destinations)
                if clash is not None:
                    yield error(
                        "route-plan",
                        f"links '{earlier.link.name}' and '{later.link.name}' both route {clash} "
                        f"for '{cr.cluster}' (ambiguous next hop): a route table holds one target per destination; "
                        "join these clusters by one link only",
                        fleet.source.locate(later.link.pointer),
                        (cluster.name,),
                    )
    if routes_pods(fleet):
        linked = dict.fromkeys(name for link in fleet.connectivity.links for name in link.clusters)
        for name in linked:
            peer = fleet.cluster(name)
            # a cluster that declares no addresses at all is not modelled (yet): nothing to route, nothing wrong;
            # unparsable pod ranges are cidr-invalid's to report
            if peer is not None and peer.cidrs("nodeCIDRs") and not peer.cidrs("podCIDRs"):
                yield error(
                    "route-plan",
                    f"cluster '{name}' is in a link but has no podCIDRs: its peers have no pod range to route to it "
                    "(declare network.podCIDRs, or run `fleetgen allocate` with an ipam pool for podCIDRs)",
                    fleet.source.locate(f"{peer.pointer}/name"),
                    (name,),
                )


def _first_clash(a: tuple[IPNetwork, ...], b: tuple[IPNetwork, ...]) -> str | None:
    for x in a:
        for y in b:
            if x.version == y.version and x.overlaps(y):
                return str(x) if x == y else f"{x} and {y}"
    return None
