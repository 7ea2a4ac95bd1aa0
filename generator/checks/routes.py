"""Rule ``route-plan``: the route plan (generator/routes.py) is one a route table can hold.

- a destination overlaps one of the sending cluster's own ranges (it would send its
  own addresses away; the plan leaves it out). Between peers ``cidr-overlap``
  already reports that as an error, so this rule only speaks for linked clusters
  that share no group (where ``cidr-overlap`` only warns);
- two links of the same role claim overlapping destinations for the same cluster
  (ambiguous next hop: a route table holds one target per destination). A link declared
  ``role: backup`` may carry what a primary link carries. When the overlap comes from two
  different peers' ranges, the cause is the overlap: between peers ``cidr-overlap``
  reports it and this rule stays quiet; otherwise this rule names the overlapping ranges;
- a linked cluster declares node ranges but no pod range (pod-to-pod traffic cannot reach it).

Whether every pair that must talk has a link at all is rule ``link-missing``.
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.model import Fleet
from generator.routes import Destination, LinkRoutes, fleet_routes, routes_pods


def route_plan(fleet: Fleet) -> Iterator[Finding]:
    if not fleet.connectivity.links:
        return
    plan = fleet_routes(fleet)
    for cr in plan:
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
                if earlier.link.role != later.link.role:
                    continue  # a declared backup may carry what the primary carries
                finding = _clash_finding(fleet, cr.cluster, earlier, later)
                if finding is not None:
                    yield finding
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


def _clash_finding(fleet: Fleet, cluster: str, earlier: LinkRoutes, later: LinkRoutes) -> Finding | None:
    """Two links of one role route overlapping destinations for ``cluster``: report the cause.

    The same peer behind both links is a link problem (keep one, or declare one ``role: backup``).
    Two different peers with overlapping ranges are an address problem: between peers ``cidr-overlap``
    already reports it as an error, so this rule stays quiet (the ambiguity follows from the overlap);
    between clusters that share no group it is only a ``cidr-overlap`` warning, so this rule reports it,
    at the range at fault and naming the overlap as the cause.
    """
    cross: tuple[Destination, Destination] | None = None
    for x, y in _clashes(earlier.raw, later.raw):
        if x.peer == y.peer:
            net = str(x.network) if x.network == y.network else f"{x.network} and {y.network}"
            return error(
                "route-plan",
                f"links '{earlier.link.name}' and '{later.link.name}' both route {net} "
                f"for '{cluster}' (ambiguous next hop): a route table holds one target per destination; "
                "join these clusters by one link only, or declare one of them `role: backup`",
                fleet.source.locate(later.link.pointer),
                (cluster,),
            )
        if cross is None and y.peer not in fleet.peers.get(x.peer, ()):
            cross = (x, y)
    if cross is None:
        return None
    x, y = cross
    if _line(fleet, y.pointer) < _line(fleet, x.pointer):
        x, y = y, x
    return error(
        "route-plan",
        f"{y.network} of '{y.peer}' overlaps {x.network} of '{x.peer}', so links '{earlier.link.name}' and "
        f"'{later.link.name}' both route it for '{cluster}' (ambiguous next hop); move one of the ranges",
        fleet.source.locate(y.pointer),
        (cluster, x.peer, y.peer),
    )


def _line(fleet: Fleet, pointer: str) -> tuple[int, int]:
    loc = fleet.source.locate(pointer)
    return loc.line, loc.column


def _clashes(a: tuple[Destination, ...], b: tuple[Destination, ...]) -> Iterator[tuple[Destination, Destination]]:
    for x in a:
        for y in b:
            if x.network.version == y.network.version and x.network.overlaps(y.network):
                yield x, y
