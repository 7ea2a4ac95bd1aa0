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

import bisect
import ipaddress
import itertools
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Optional

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
    """The links ``cluster`` is in, in declaration order (indexed once per fleet, not scanned per cluster)."""
    index: dict[str, tuple[Link, ...]] | None = fleet.memo.get("links_of")
    if index is None:
        members: dict[str, list[Link]] = {}
        for link in fleet.connectivity.links:
            for name in dict.fromkeys(link.clusters):
                members.setdefault(name, []).append(link)
        index = fleet.memo["links_of"] = {name: tuple(links) for name, links in members.items()}
    return index.get(cluster, ())


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
    for version, bits in ((4, 32), (6, 128)):
        blocks = sorted((int(n.network_address), n.prefixlen) for n in nets if n.version == version)
        out += [_network(version, first, prefix) for first, prefix in _blocks(_merge(bits, blocks))]
    return tuple(out)


# The summary being built: the top block and the stack below it, as an immutable linked list so that a
# state can be kept and resumed from (``_Family.states``) without copying. None is the empty stack.
_Stack = Optional[tuple[int, int, "_Stack"]]


def _merge(bits: int, blocks: Iterable[tuple[int, int]], stack: _Stack = None) -> _Stack:
    """Push ``blocks`` (first address, prefix length; sorted by address, widest first) onto ``stack``:
    nested blocks dropped, aligned siblings merged. ``_blocks(result)`` is the exact summary."""
    for first, prefix in blocks:
        if stack is not None and first <= stack[0] + (1 << (bits - stack[1])) - 1:
            continue  # inside the previous block (sorted by first, then widest first)
        stack = (first, prefix, stack)
        while True:
            b, pb, below = stack
            if below is None:
                break
            a, pa, rest = below
            size = 1 << (bits - pa)
            if pa != pb or b != a + size or a % (2 * size):
                break
            stack = (a, pa - 1, rest)
    return stack


def _blocks(stack: _Stack) -> list[tuple[int, int]]:
    out = []
    while stack is not None:
        out.append((stack[0], stack[1]))
        stack = stack[2]
    out.reverse()
    return out


def _network(version: int, first: int, prefix: int) -> IPNetwork:
    return (ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network)((first, prefix))


def _span(network: IPNetwork) -> tuple[int, int, int]:
    return network.version, int(network.network_address), int(network.broadcast_address)


class _Entry(NamedTuple):
    """A routable destination with its integer span, computed once per fleet."""

    version: int
    first: int
    last: int
    prefix: int
    dest: Destination


@dataclass(frozen=True)
class _Family:
    """One address family of a link's destinations, sorted for ``_merge`` (by first address, widest first)."""

    version: int
    order: tuple[int, ...]  # entry indexes in that order
    firsts: tuple[int, ...]  # first address of each, in that order
    prefixes: tuple[int, ...]  # prefix length of each, in that order
    reach: tuple[int, ...]  # the highest last address among the entries up to each position
    position: dict[int, int]  # entry index -> its position in ``order``
    states: tuple[_Stack, ...]  # the summary of all entries before each position (shared, never copied)

    def summary(self, skip: set[int]) -> list[tuple[int, int]]:
        """The exact summary of every entry not in ``skip``, resumed from the last state before the first one skipped."""
        start = min((self.position[i] for i in skip if i in self.position), default=len(self.order))
        bits = 32 if self.version == 4 else 128
        rest = ((self.firsts[k], self.prefixes[k]) for k in range(start, len(self.order)) if self.order[k] not in skip)
        return _blocks(_merge(bits, rest, self.states[start]))



@dataclass(frozen=True)
class _LinkTable:
    """What a link routes, computed once per link and shared by every member: each member's
    destinations (link order) and, per address family, the same sorted for summarising and overlap tests."""

    members: tuple[str, ...]
    entries: tuple[_Entry, ...]
    families: tuple[_Family, ...]

    def overlapping(self, spans: Iterable[tuple[int, int, int]]) -> set[int]:
        """Indexes of the entries that overlap any of ``spans`` (version, first, last)."""
        hit: set[int] = set()
        for version, first, last in spans:
            for fam in self.families:
                if fam.version != version:
                    continue
                j = bisect.bisect_right(fam.firsts, last) - 1  # every entry after j starts above ``last``
                while j >= 0 and fam.reach[j] >= first:  # none at or before j reaches ``first`` once reach < first
                    i = fam.order[j]
                    if self.entries[i].last >= first:
                        hit.add(i)
                    j -= 1
        return hit


def _link_table(fleet: Fleet, link: Link, destinations: dict[str, list[Destination]], pods: bool) -> _LinkTable:
    members = tuple(p for p in dict.fromkeys(link.clusters) if fleet.cluster(p) is not None)
    entries = []
    for name in members:
        if name not in destinations:
            destinations[name] = _peer_destinations(fleet, fleet.by_name[name], pods)
        for dest in destinations[name]:
            version, first, last = _span(dest.network)
            entries.append(_Entry(version, first, last, dest.network.prefixlen, dest))
    families = []
    for version in (4, 6):
        order = sorted((i for i, e in enumerate(entries) if e.version == version),
                       key=lambda i: (entries[i].first, entries[i].prefix))
        firsts = tuple(entries[i].first for i in order)
        prefixes = tuple(entries[i].prefix for i in order)
        reach = tuple(itertools.accumulate((entries[i].last for i in order), max))
        states: list[_Stack] = [None]
        for block in zip(firsts, prefixes):
            states.append(_merge(32 if version == 4 else 128, (block,), states[-1]))
        families.append(_Family(version, tuple(order), firsts, prefixes, reach,
                                {i: k for k, i in enumerate(order)}, tuple(states)))
    return _LinkTable(members, tuple(entries), tuple(families))


def cluster_routes(
    fleet: Fleet, cluster: Cluster, destinations: dict[str, list[Destination]] | None = None,
    tables: dict[int, _LinkTable] | None = None, networks: dict[tuple[int, int, int], IPNetwork] | None = None,
) -> ClusterRoutes:
    """One cluster's plan. ``destinations`` (peer -> its routable ranges), ``tables`` (per link) and
    ``networks`` (summary blocks) may be shared across clusters: a link's destinations are read,
    sorted and indexed once for all its members, so one member's plan costs the size of its link."""
    pods = routes_pods(fleet)
    cache = destinations if destinations is not None else {}
    per_link = tables if tables is not None else {}
    nets = networks if networks is not None else {}
    own_networks = [r.network for r in cluster.ranges if r.network is not None]
    for address in (cluster.endpoint_address, mesh_address(fleet, cluster)):
        if address is not None:
            own_networks.append(ipaddress.ip_network(address))
    own = tuple(_span(n) for n in own_networks)
    entries = []
    for link in links_of(fleet, cluster.name):
        table = per_link.get(id(link))
        if table is None:
            table = per_link[id(link)] = _link_table(fleet, link, cache, pods)
        peers = tuple(p for p in table.members if p != cluster.name)
        overlapping = table.overlapping(own)
        routed: list[Destination] = []
        dropped: list[Destination] = []
        skip: set[int] = set()
        for i, e in enumerate(table.entries):
            if e.dest.peer == cluster.name:
                skip.add(i)
            elif i in overlapping:
                skip.add(i)
                dropped.append(e.dest)
            else:
                routed.append(e.dest)
        summary: list[IPNetwork] = []
        for fam in table.families:
            for first, prefix in fam.summary(skip):
                key = (fam.version, first, prefix)
                net = nets.get(key)
                if net is None:
                    net = nets[key] = _network(*key)
                summary.append(net)
        entries.append(LinkRoutes(link, peers, tuple(summary), tuple(routed), tuple(dropped)))
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
    tables: dict[int, _LinkTable] = {}
    networks: dict[tuple[int, int, int], IPNetwork] = {}
    out = []
    for cluster in fleet.clusters:
        if cluster.name not in seen:
            seen.add(cluster.name)
            out.append(cluster_routes(fleet, cluster, destinations, tables, networks))
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
