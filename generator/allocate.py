"""The IP planner behind ``fleetgen allocate``: fill missing ranges from ``spec.ipam.pools``.

For each cluster in file order and each range field (nodeCIDRs, podCIDRs,
serviceCIDRs) that is missing or empty, every pool for that field (one per address
family) gives the first block of its ``prefixLength`` that overlaps nothing in the
fleet: no range of any field of any cluster, no DNS endpoint, and no block allocated
earlier in the same run. Ranges already set are never moved. A cluster without a DNS
endpoint gets one too: the tenth address from the top of its first node range
(clouds hand out node addresses from the bottom, and reserve the last one), never
its mesh endpoint. A cluster whose DNS or mesh endpoint is already set gets the
node block that holds it (every endpoint stays inside the node ranges, so in the
route plan), or an ``ipam`` error saying why that block cannot be had.

Each pool is walked once: its taken intervals are sorted and a pointer only moves
forward, so a run is O(taken + allocations) per pool, not candidates x ranges.

``plan`` is pure (model in, assignments out); ``rewrite`` applies assignments to the
file's text with ruamel.yaml round-trip, keeping comments, order and formatting.
"""

from __future__ import annotations

import bisect
import io
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from generator.checks.cidrs import RESERVED
from generator.diagnostics import Finding, error
from generator.model import RANGE_FIELDS, Cluster, Fleet, IPAddress, IPNetwork, Pool

ENDPOINT_FIELD = "dns.endpoint"
ENDPOINT_FROM_TOP = 10


@dataclass(frozen=True)
class Assignment:
    cluster_index: int
    cluster: str
    field: str  # a RANGE_FIELDS entry, or ENDPOINT_FIELD
    value: str


@dataclass(frozen=True)
class Allocation:
    assignments: tuple[Assignment, ...]
    findings: tuple[Finding, ...]


class _Cursor:
    """One pool's walk: sorted taken (first, last) intervals and a forward-only pointer."""

    def __init__(self, pool: Pool, network: IPNetwork, taken: list[tuple[int, int]]) -> None:
        self.pool = pool
        self.network = network
        self.first = int(network.network_address)
        self.last = int(network.broadcast_address)
        self.size = 1 << (network.max_prefixlen - pool.prefix_length)
        self.taken = sorted(t for t in taken if t[1] >= self.first and t[0] <= self.last)
        self.index = 0
        self.next = self.first

    def add(self, interval: tuple[int, int]) -> None:
        if interval[1] < self.first or interval[0] > self.last:
            return
        pos = bisect.bisect_left(self.taken, interval)
        self.taken.insert(pos, interval)
        if pos < self.index:
            self.index += 1

    def take(self) -> tuple[int, int] | None:
        while True:
            start = -(-self.next // self.size) * self.size  # align up
            end = start + self.size - 1
            if end > self.last:
                return None
            while self.index < len(self.taken) and self.taken[self.index][1] < start:
                self.index += 1
            if self.index < len(self.taken) and self.taken[self.index][0] <= end:
                self.next = self.taken[self.index][1] + 1
                continue
            self.next = end + 1
            return start, end


def _interval(network: IPNetwork) -> tuple[int, int]:
    return int(network.network_address), int(network.broadcast_address)


def _pool_findings(fleet: Fleet) -> list[Finding]:
    findings = []
    seen: dict[tuple[str, int], Pool] = {}
    for pool in fleet.pools:
        net = pool.network
        if net is None:
            findings.append(
                error("ipam", f"pool cidr '{pool.text}' is not a network in CIDR notation (host bits set?)",
                      fleet.source.locate(f"{pool.pointer}/cidr"))
            )
            continue
        if not net.prefixlen <= pool.prefix_length <= net.max_prefixlen:
            findings.append(
                error("ipam", f"prefixLength {pool.prefix_length} does not fit pool {net}: use "
                      f"{net.prefixlen}..{net.max_prefixlen}", fleet.source.locate(f"{pool.pointer}/prefixLength"))
            )
            continue
        key = (pool.field, net.version)
        if key in seen:
            findings.append(
                error("ipam", f"a second IPv{net.version} pool for {pool.field} ({net}); use one pool per field "
                      "and address family", fleet.source.locate(f"{pool.pointer}/cidr"))
            )
        else:
            seen[key] = pool
    return findings


def plan(fleet: Fleet) -> Allocation:
    findings = _pool_findings(fleet)
    if findings:
        return Allocation((), tuple(findings))
    taken = [_interval(r.network) for c in fleet.clusters for r in c.ranges if r.network is not None]
    taken += [_interval(ipaddress.ip_network(a)) for c in fleet.clusters for a in _endpoints(fleet, c)]
    # never hand out a block that `cidr-reserved` would flag (e.g. Docker's 172.17.0.0/16 inside 172.16.0.0/12)
    taken += [_interval(net) for net, _, _ in RESERVED]
    cursors = [_Cursor(p, p.network, taken) for p in fleet.pools if p.network is not None]
    assignments: list[Assignment] = []
    for index, cluster in enumerate(fleet.clusters):
        first_node: IPNetwork | None = next(iter(cluster.networks("nodeCIDRs")), None)
        for field in RANGE_FIELDS:
            if cluster.cidrs(field):
                continue
            for cursor in (c for c in cursors if c.pool.field == field):
                inside = [a for a in _endpoints(fleet, cluster) if a.version == cursor.network.version]
                if field == "nodeCIDRs" and inside:
                    # the cluster's DNS/mesh load balancers already have addresses: its node range must hold them
                    block, problem = _block_holding(cursor, inside)
                    if block is None:
                        return Allocation((), (_cannot_hold(fleet, cursor, cluster, problem),))
                    cursor.add(block)
                else:
                    block = cursor.take()
                if block is None:
                    return Allocation((), (_too_small(fleet, cursor, cluster.name),))
                for other in cursors:
                    if other is not cursor:
                        other.add(block)
                network = _network(cursor.network.version, block[0], cursor.pool.prefix_length)
                assignments.append(Assignment(index, cluster.name, field, str(network)))
                if field == "nodeCIDRs" and first_node is None:
                    first_node = network
        if not cluster.dns_endpoint and first_node is not None and first_node.num_addresses > 4 * ENDPOINT_FROM_TOP:
            used = set(_endpoints(fleet, cluster))
            address = first_node.broadcast_address - ENDPOINT_FROM_TOP
            while address in used:  # never the cluster's mesh endpoint: one address per load balancer
                address -= 1
            assignments.append(Assignment(index, cluster.name, ENDPOINT_FIELD, str(address)))
    return Allocation(tuple(assignments), ())


def _endpoints(fleet: Fleet, cluster: Cluster) -> list[IPAddress]:
    """The cluster's load balancer addresses already set: DNS endpoint and (with a mesh) mesh endpoint."""
    found = [cluster.endpoint_address, cluster.mesh_address if fleet.mesh.type != "none" else None]
    return [a for a in found if a is not None]


def _block_holding(cursor: _Cursor, addresses: list[IPAddress]) -> tuple[tuple[int, int] | None, str]:
    """The pool block that holds every one of ``addresses``, if it is in the pool and free; else why not."""
    starts = {int(a) // cursor.size * cursor.size for a in addresses}
    shown = ", ".join(str(a) for a in addresses)
    if len(starts) > 1:
        return None, f"its endpoints {shown} do not fit in one /{cursor.pool.prefix_length}"
    start = starts.pop()
    end = start + cursor.size - 1
    if start < cursor.first or end > cursor.last:
        return None, f"{shown} is outside the pool"
    own = {(int(a), int(a)) for a in addresses}
    for interval in cursor.taken:
        if interval not in own and interval[0] <= end and start <= interval[1]:
            block = _network(cursor.network.version, start, cursor.pool.prefix_length)
            return None, f"the /{cursor.pool.prefix_length} that holds {shown} ({block}) overlaps a range already in use"
    return (start, end), ""


def _cannot_hold(fleet: Fleet, cursor: _Cursor, cluster: Cluster, problem: str) -> Finding:
    return error(
        "ipam",
        f"cannot allocate nodeCIDRs for cluster '{cluster.name}' from pool {cursor.network} and keep its DNS/mesh "
        f"endpoints inside them: {problem}; set nodeCIDRs by hand, or drop the endpoints to have them allocated "
        "(nothing was written)",
        fleet.source.locate(f"{cluster.pointer}/name"),
        (cluster.name,),
    )


def _network(version: int, first: int, prefix: int) -> IPNetwork:
    if version == 4:
        return ipaddress.IPv4Network((first, prefix))
    return ipaddress.IPv6Network((first, prefix))


def _too_small(fleet: Fleet, cursor: _Cursor, cluster: str) -> Finding:
    pool = cursor.pool
    return error(
        "ipam",
        f"pool {cursor.network} for {pool.field} has no free /{pool.prefix_length} left for cluster '{cluster}'; "
        "enlarge the pool or use a longer prefixLength (nothing was written)",
        fleet.source.locate(f"{pool.pointer}/cidr"),
        (cluster,),
    )


# --- writing the assignments back into the file's text ---------------------------------------------

def _indentation(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel.yaml names them, guessed from the first nested block."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping, offset = 2, 0
    for prev, cur in zip(lines, lines[1:]):
        if prev.rstrip().endswith(":"):
            parent = len(prev) - len(prev.lstrip())
            child = len(cur) - len(cur.lstrip())
            if cur.lstrip().startswith("- "):
                offset = child - parent
                break
    for prev, cur in zip(lines, lines[1:]):
        if prev.rstrip().endswith(":") and not prev.lstrip().startswith("- ") and not cur.lstrip().startswith("- "):
            mapping = (len(cur) - len(cur.lstrip())) - (len(prev) - len(prev.lstrip()))
            if mapping > 0:
                break
    return max(mapping, 1), offset + 2, offset


def _flow_seq(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _child_map(parent: CommentedMap, key: str, after: tuple[str, ...]) -> CommentedMap:
    if isinstance(parent.get(key), CommentedMap):
        return parent[key]  # type: ignore[no-any-return]
    keys = list(parent.keys())
    positions = [keys.index(k) + 1 for k in after if k in keys]
    parent.insert(max(positions) if positions else len(keys), key, CommentedMap())
    return parent[key]  # type: ignore[no-any-return]


def rewrite(text: str, assignments: tuple[Assignment, ...]) -> str:
    if not assignments:
        return text
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    data: Any = yaml.load(text)
    clusters = data["spec"]["clusters"]
    for a in assignments:
        raw = clusters[a.cluster_index]
        if a.field == ENDPOINT_FIELD:
            dns = _child_map(raw, "dns", ("network", "apiServer", "region", "provider", "name"))
            dns["endpoint"] = a.value
            continue
        network = _child_map(raw, "network", ("apiServer", "region", "provider", "name"))
        current = network.get(a.field)
        if isinstance(current, CommentedSeq):
            if not current:
                current.fa.set_flow_style()  # `[]` stays a flow list
            current.append(a.value)
        else:
            earlier = RANGE_FIELDS[: RANGE_FIELDS.index(a.field)]
            keys = list(network.keys())
            positions = [keys.index(k) + 1 for k in earlier if k in keys]
            network.insert(max(positions) if positions else 0, a.field, _flow_seq([a.value]))
    out = io.StringIO()
    yaml.dump(data, out)
    return _keep_header(text, out.getvalue())


def _keep_header(before: str, after: str) -> str:
    """ruamel.yaml keeps comments, but not a document-start marker's exact spelling; restore the prefix."""
    match = re.match(r"((?:[ \t]*#[^\n]*\n|[ \t]*\n)*)", before)
    head = match.group(1) if match else ""
    return after if after.startswith(head) else head + after
