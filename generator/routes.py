"""The route plan: for each cluster and each link it is in, the destinations to send into that link.

A link joins every pair of its clusters (DESIGN: "every pair inside one entry is
connected"). Nothing is transitive: a cluster reaches exactly the other members of
the links it is in, whatever the link kind (two peerings a-b and b-c never give a
route a-c; a transit gateway link reaches all of its own members, not the members of
another transit gateway link).

Destinations are a peer's pod and node ranges, its DNS endpoint and (with a mesh) its
mesh endpoint (/32 or /128 each),
summarised exactly like ``ipaddress.collapse_addresses`` (exact: it only merges adjacent or
nested networks, never widens). A destination that overlaps one of the sending
cluster's own ranges is left out of the plan (and reported by the ``route-plan``
check): a route plan never sends a cluster's own addresses away.

In overlay mode with encapsulation (IPIP/VXLAN) the underlay only carries node
addresses, so pod ranges are left out; with ``encapsulation: None`` pod packets
cross the links unencapsulated and need routes like in native mode.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable

from generator.model import Cluster, Fleet, IPAddress, IPNetwork, Link

PLAN_PATH = "routes/plan.json"
TFVARS_PATTERN = "routes/{cluster}.auto.tfvars.json"
TFVARS_VARIABLE = "fleetgen_routes"


@dataclass(frozen=True)
class Destination:
    """One raw destination before summarising: which peer range it comes from."""

    network: IPNetwork
    peer: str
    pointer: str  # where the peer declared it


@dataclass(frozen=True)
class LinkRoutes:
    link: Link
    peers: tuple[str, ...]
    destinations: tuple[IPNetwork, ...]  # summarised, sorted (IPv4 first)
    raw: tuple[Destination, ...]  # every peer range routed, before summarising
    own: tuple[Destination, ...]  # peer ranges left out because they overlap the cluster's own ranges


@dataclass(frozen=True)
class ClusterRoutes:
    cluster: str
    links: tuple[LinkRoutes, ...]


def routes_pods(fleet: Fleet) -> bool:
    """Whether pod ranges travel over the links (native routing, or an unencapsulated overlay)."""
    if fleet.connectivity.mode != "overlay":
        return True
    return str(fleet.connectivity.calico.get("encapsulation", "None")) == "None"


def links_of(fleet: Fleet, cluster: str) -> tuple[Link, ...]:
    return tuple(link for link in fleet.connectivity.links if cluster in link.clusters)


def _peer_destinations(fleet: Fleet, peer: Cluster, pods: bool) -> list[Destination]:
    out = [Destination(r.network, peer.name, r.pointer) for r in peer.cidrs("nodeCIDRs") if r.network is not None]
    if pods:
        out += [Destination(r.network, peer.name, r.pointer) for r in peer.cidrs("podCIDRs") if r.network is not None]
    address = peer.endpoint_address
    if address is not None:
        out.append(Destination(ipaddress.ip_network(address), peer.name, f"{peer.pointer}/dns/endpoint"))
    mesh = mesh_address(fleet, peer)
    if mesh is not None:  # peers reach its mesh entry point (east-west gateway, clustermesh-apiserver, Linkerd gateway)
        out.append(Destination(ipaddress.ip_network(mesh), peer.name, f"{peer.pointer}/mesh/endpoint"))
    return out


def mesh_address(fleet: Fleet, cluster: Cluster) -> IPAddress | None:
    """The cluster's mesh endpoint when the fleet runs a mesh (ignored with ``spec.mesh.type: none``)."""
    return cluster.mesh_address if fleet.mesh.type != "none" else None


def summarise(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Exact summary, per address family, IPv4 first: the same result as
    ``ipaddress.collapse_addresses`` (nested networks dropped, aligned siblings merged,
    nothing widened), on integers, because it runs for every cluster and link."""
    nets = list(networks)
    out: list[IPNetwork] = []
    for version, cls in ((4, ipaddress.IPv4Network), (6, ipaddress.IPv6Network)):
        bits = 32 if version == 4 else 128
        blocks = sorted((int(n.network_address), n.prefixlen) for n in nets if n.version == version)
        stack: list[tuple[int, int]] = []  # (first, prefixlen), sorted, disjoint
        for first, prefix in blocks:
            if stack and first <= stack[-1][0] + (1 << (bits - stack[-1][1])) - 1:
                continue  # inside the previous block (sorted by first, then widest first)
            stack.append((first, prefix))
            while len(stack) > 1:
                (a, pa), (b, pb) = stack[-2], stack[-1]
                size = 1 << (bits - pa)
                if pa != pb or b != a + size or a % (2 * size):
                    break
                stack[-2:] = [(a, pa - 1)]
        out += [cls((first, prefix)) for first, prefix in stack]
    return tuple(out)


def _span(network: IPNetwork) -> tuple[int, int, int]:
    return network.version, int(network.network_address), int(network.broadcast_address)


def _overlaps_any(span: tuple[int, int, int], spans: tuple[tuple[int, int, int], ...]) -> bool:
    return any(span[0] == o[0] and span[1] <= o[2] and o[1] <= span[2] for o in spans)


def cluster_routes(
    fleet: Fleet, cluster: Cluster, destinations: dict[str, list[Destination]] | None = None
) -> ClusterRoutes:
    """One cluster's plan; ``destinations`` (peer -> its routable ranges) may be shared across clusters."""
    pods = routes_pods(fleet)
    cache = destinations if destinations is not None else {}
    own_networks = [r.network for r in cluster.ranges if r.network is not None]
    for address in (cluster.endpoint_address, mesh_address(fleet, cluster)):
        if address is not None:
            own_networks.append(ipaddress.ip_network(address))
    own = tuple(_span(n) for n in own_networks)
    entries = []
    for link in links_of(fleet, cluster.name):
        peers = tuple(
            p for p in dict.fromkeys(link.clusters) if p != cluster.name and fleet.cluster(p) is not None
        )
        routed: list[Destination] = []
        dropped: list[Destination] = []
        for name in peers:
            if name not in cache:
                cache[name] = _peer_destinations(fleet, fleet.by_name[name], pods)
            for dest in cache[name]:
                (dropped if _overlaps_any(_span(dest.network), own) else routed).append(dest)
        entries.append(
            LinkRoutes(link, peers, summarise(d.network for d in routed), tuple(routed), tuple(dropped))
        )
    return ClusterRoutes(cluster.name, tuple(entries))


def fleet_routes(fleet: Fleet) -> tuple[ClusterRoutes, ...]:
    """The route plan of every cluster, computed once per fleet (the route-plan check and the files share it)."""
    if "routes" not in fleet.memo:
        fleet.memo["routes"] = _fleet_routes(fleet)
    routes: tuple[ClusterRoutes, ...] = fleet.memo["routes"]
    return routes


def _fleet_routes(fleet: Fleet) -> tuple[ClusterRoutes, ...]:
    seen: set[str] = set()
    destinations: dict[str, list[Destination]] = {}
    out = []
    for cluster in fleet.clusters:
        if cluster.name not in seen:
            seen.add(cluster.name)
            out.append(cluster_routes(fleet, cluster, destinations))
    return tuple(out)


def _entry(lr: LinkRoutes) -> dict[str, Any]:
    return {
        "link": lr.link.name,
        "via": lr.link.via,
        "role": lr.link.role,
        "peers": list(lr.peers),
        "destinations": [str(n) for n in lr.destinations],
    }


def plan_files(fleet: Fleet) -> dict[str, Any]:
    """``routes/plan.json`` and one ``routes/<cluster>.auto.tfvars.json`` per cluster; nothing without links."""
    if not fleet.connectivity.links:
        return {}
    plan = fleet_routes(fleet)
    files: dict[str, Any] = {
        PLAN_PATH: {
            "apiVersion": "fleetgen/v1alpha1",
            "kind": "RoutePlan",
            "fleet": fleet.name,
            "mode": fleet.connectivity.mode,
            "podRanges": routes_pods(fleet),
            "clusters": {cr.cluster: {"links": [_entry(lr) for lr in cr.links]} for cr in plan},
        }
    }
    for cr in plan:
        files[TFVARS_PATTERN.format(cluster=cr.cluster)] = {TFVARS_VARIABLE: [_entry(lr) for lr in cr.links]}
    return files
