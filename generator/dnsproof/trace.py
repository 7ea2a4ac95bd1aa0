"""Follow one DNS name from an asking cluster through the rendered DNS configuration.

A query starts at the asking cluster's own DNS pods, picks a server block (the
longest zone match, as CoreDNS does) or a stub domain, and is either answered
there by a ``kubernetes``/``kubernetai`` plugin or forwarded to upstream
addresses. An upstream that is a cluster's DNS endpoint (a rendered LoadBalancer
Service at that IP), or the pinned ClusterIP of a Service rendered in the same
cluster, hands the query to the pods its selector picks, and so on; a pinned
Consul DNS ClusterIP (from the cluster's Consul Helm release) answers itself.
Every branch is a route of its own; a name resolves when every route ends in a
server that answers it for the owning cluster (verdict.py).

Scale: which way a query goes depends on the name only through the zones the
configuration mentions. The walk therefore runs on the name's *zone class*, the
longest suffix of the name that any rendered configuration mentions, and is
memoised per (DNS server, zone class, port): each cluster's side of a route is
walked once per zone class, and a peer's side once for all askers. A memoised
result records the servers it visited and its depth, and is recomputed in the
rare context where that would change a loop or hop-limit verdict.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple

from generator.dnsproof.consul import ConsulDns
from generator.dnsproof.corefile import Directive, ServerBlock, ServerKey, in_zone, normalize_zone
from generator.dnsproof.legs import Answer, ConsulAnswer, Explanation, ExternalAnswer, Leg, Route, Stop, flat
from generator.dnsproof.names import MCS, Naming
from generator.dnsproof.pods import Pods
from generator.dnsproof.rendered import ClusterDns, DnsServer, Endpoint, ServicePort
from generator.dnsproof.verdict import Verdict, Verdicts, class_labels

MAX_HOPS = 12
ANSWERING_PLUGINS = ("kubernetes", "kubernetai")

__all__ = ["MAX_HOPS", "Explanation", "Route", "Tracer", "Upstream", "parse_upstream"]


@dataclass(frozen=True)
class Upstream:
    text: str
    ip: str | None
    port: int


def parse_upstream(text: str) -> Upstream:
    rest, port = text, 53
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        port = 853 if scheme.lower() == "tls" else 53
    host = rest
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
        if not port_text.isdigit():
            return Upstream(text, None, port)
        port = int(port_text)
    try:
        return Upstream(text, str(ipaddress.ip_address(host)), port)
    except ValueError:
        return Upstream(text, None, port)


class _Walk(NamedTuple):
    """The legs from one server, the servers they visited, and the deepest hop count at which one was entered."""

    legs: tuple[Leg, ...]
    visited: frozenset[tuple[str, str]]
    reach: int


Seen = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Plan:
    """A server block as the walk reads it: answering stanzas with their zones, forwards (from, except, TCP)."""

    answering: tuple[tuple[Directive, tuple[str, ...]], ...]
    forwards: tuple[tuple[Directive, str, tuple[str, ...], bool], ...]


def _visited(walks: list[_Walk]) -> frozenset[tuple[str, str]]:
    if len(walks) == 1:
        return walks[0].visited
    return frozenset().union(*(w.visited for w in walks))


def _stop(failure: str, path: str | None, hint_from: str | None = None) -> _Walk:
    return _Walk((Leg((), Stop(failure, path, hint_from)),), frozenset(), 0)


class Tracer:
    """Traces names over the rendered DNS of a fleet."""

    def __init__(self, dns: dict[str, ClusterDns], naming: Naming, api_servers: dict[str, str],
                 consul: dict[str, tuple[ConsulDns, ...]] | None = None, out_dir: str = "output",
                 pods: Pods | None = None, external: dict[str, dict[str, frozenset[str]]] | None = None) -> None:
        self.dns = dns
        self.pods = pods
        # cluster -> extra zone -> declared upstream IPs (dns.extraZones): where a walk may leave the fleet
        self.external = external or {}
        self.naming = naming
        self.out_dir = out_dir.rstrip("/")
        self.consul = consul or {}
        self.verdicts = Verdicts(dns, naming, api_servers, self.consul)
        self._index: dict[int, dict[tuple[int, str], tuple[ServerBlock, ServerKey]]] = {}
        self._stubs: dict[int, dict[str, tuple[str, ...]]] = {}
        self._memo: dict[tuple[int, str, int], _Walk] = {}
        self._upstream: dict[str, Upstream] = {}
        self._busy: set[tuple[int, str, int]] = set()
        self._plans: dict[tuple[int, int], _Plan] = {}  # by (keys, directives): blocks share them (ParseCache)
        self._block_zones: dict[tuple[int, int], tuple[str, ...]] = {}
        self._ports: dict[tuple[int, int, str], ServicePort | None] = {}
        self._chosen: dict[int, tuple[str, tuple[DnsServer, ...]]] = {}
        self._finished: dict[tuple[int, str | None, str, tuple[object, ...]], Verdict] = {}
        self.by_ip: dict[str, list[Endpoint]] = {}
        self.cluster_ips: dict[tuple[str, str], list[Endpoint]] = {}
        self.cluster_ip_owners: dict[str, list[Endpoint]] = {}
        self.consul_at: dict[tuple[str, str], ConsulDns] = {}
        zones: set[str] = {".", *naming.zones}
        zones.update(z for z in (naming.clusterset, naming.consul_domain) if z)
        for cluster in dns.values():
            for ep in cluster.endpoints:
                self.by_ip.setdefault(ep.ip, []).append(ep)
            for ep in cluster.cluster_ips:
                self.cluster_ips.setdefault((ep.cluster, ep.ip), []).append(ep)
                self.cluster_ip_owners.setdefault(ep.ip, []).append(ep)
            for server in cluster.servers:
                zones.update(self._zones_of(server))
        for name, releases in self.consul.items():
            for c in releases:
                self.consul_at.setdefault((name, c.ip), c)
                zones.add(c.domain)
        self.zones = frozenset(zones)

    def _zones_of(self, server: DnsServer) -> Iterator[str]:
        """Every zone a server's configuration tests names against (the walk depends on nothing else)."""
        yield normalize_zone(server.cluster_domain)
        for zone, _ in server.stubs:
            yield zone
        for block in server.corefile.blocks if server.corefile else ():
            yield from self._zones_in(block)

    def _zones_in(self, block: ServerBlock) -> tuple[str, ...]:
        key = (id(block.keys), id(block.directives))
        hit = self._block_zones.get(key)
        if hit is None:
            out = [k.zone for k in block.keys]
            plan = self._plan(block)
            for plugin, zones in plan.answering:
                out += zones
                out += (normalize_zone(a) for d in plugin.block if d.name == "multicluster" for a in d.args)
            for _, from_zone, excepted, _ in plan.forwards:
                out.append(from_zone)
                out += excepted
            hit = self._block_zones[key] = tuple(out)
        return hit

    # -- public -------------------------------------------------------------
    def owner_of(self, name: str) -> str | None:
        """The cluster that owns ``name`` (names.py); None if it is in no fleet naming scheme."""
        return self.naming.owner_of(name)

    def zone_class(self, name: str) -> str:
        """The longest suffix of ``name`` that some configuration (or naming scheme) mentions."""
        labels = normalize_zone(name).split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in self.zones:
                return suffix
        return "."

    def explain(self, asker: str, name: str) -> Explanation:
        name = normalize_zone(name)
        owner = self.owner_of(name)
        walk = self._at(self.dns[asker].resolver, self.zone_class(name), 53, frozenset(), 0)
        routes = []
        for leg in walk.legs:
            resolved, failure, path = self.verdicts.finish(leg.end, name, owner)
            routes.append(Route(flat(leg.hops), resolved, failure, path))
        return Explanation(asker, name, owner, tuple(routes), self.missing(name, owner))

    def missing(self, name: str, owner: str | None) -> str | None:
        """"no such pod: ..." when ``name`` is a fleet workload's pod or Service that does not exist (pods.py)."""
        return self.pods.problem(self.naming, name, owner) if self.pods is not None else None

    def name_class(self, name: str) -> tuple[str, tuple[object, ...]]:
        """Names of one class (and one owner) take the same routes with the same verdicts from any asker."""
        name = normalize_zone(name)
        zone = self.zone_class(name)
        return zone, class_labels(name, zone, self.naming.scheme(name) == MCS)

    def failures(self, asker: str, name: str, owner: str | None,
                 cls: tuple[str, tuple[object, ...]] | None = None) -> tuple[tuple[str, str | None], ...]:
        """(failure, path) of every route of ``name`` from ``asker`` that breaks (``cls``: its ``name_class``)."""
        name = normalize_zone(name)
        zone, labels = cls or self.name_class(name)
        walk = self._at(self.dns[asker].resolver, zone, 53, frozenset(), 0)
        out = []
        for leg in walk.legs:
            key = (id(leg.end), owner, zone, labels)
            verdict = self._finished.get(key)
            if verdict is None:
                verdict = self._finished[key] = self.verdicts.finish(leg.end, name, owner)
            if not verdict[0]:
                out.append((verdict[1] or "does not resolve", verdict[2]))
        return tuple(out)

    def forget(self) -> None:
        """Drop every walk and verdict memo and the per-server indexes (a proof does this between
        components of the peer relation, to bound its memory). What is shared by content (plans,
        zones, parsed upstreams) stays. Verdicts are memoised by the identity of walk ends, so both
        go together: an end freed with the walks could hand its id to a new one."""
        assert not self._busy
        self._memo.clear()
        self._finished.clear()
        self._index.clear()
        self._stubs.clear()
        self._chosen.clear()
        self._ports.clear()

    def file(self, path: str | None) -> str:
        return f"{self.out_dir}/{path}" if path else "(nothing rendered)"

    # -- one DNS server -------------------------------------------------------
    def _at(self, server: DnsServer, zone: str, port: int, seen: Seen, depth: int) -> _Walk:
        key = (id(server), zone, port)
        hit = self._memo.get(key)
        if hit is None:
            if key in self._busy:  # a loop back into a walk still being memoised: walk it where it is
                return self._walk(server, zone, port, seen, depth)
            self._busy.add(key)
            hit = self._memo[key] = self._walk(server, zone, port, frozenset(), 0)
            self._busy.discard(key)
        if depth + hit.reach >= MAX_HOPS or not hit.visited.isdisjoint(seen):
            return self._walk(server, zone, port, seen, depth)
        return hit

    def _walk(self, server: DnsServer, zone: str, port: int, seen: Seen, depth: int) -> _Walk:
        if server.problem:
            where = f" ({server.path})" if server.path else ""
            return _stop(f"reaches {server.title}{where}, which cannot answer: {server.problem}", server.path)
        key = (server.cluster, server.title)
        if key in seen or depth >= MAX_HOPS:
            return _Walk((Leg((), Stop(f"loops: it comes back to {server.title} ({server.path})", server.path)),),
                         frozenset({key}), 0)
        seen = seen | {key}
        if server.kind == "kube-dns":
            walk = self._kube_dns(server, zone, port, seen, depth)
        else:
            walk = self._coredns(server, zone, port, seen, depth)
        return _Walk(walk.legs, walk.visited | {key}, walk.reach)

    def _blocks(self, server: DnsServer) -> dict[tuple[int, str], tuple[ServerBlock, ServerKey]]:
        index = self._index.get(id(server))
        if index is None:
            index = self._index[id(server)] = {}
            for block in server.corefile.blocks if server.corefile else ():
                for k in block.keys:
                    if k.scheme == "dns":
                        index.setdefault((k.port, k.zone), (block, k))
        return index

    def _match(self, server: DnsServer, zone: str, port: int) -> tuple[ServerBlock, ServerKey] | None:
        """The block of the longest zone containing the name (walking up the labels, then the root)."""
        index = self._blocks(server)
        labels = zone.split(".") if zone != "." else []
        for i in range(len(labels)):
            hit = index.get((port, ".".join(labels[i:])))
            if hit:
                return hit
        return index.get((port, "."))

    def _plan(self, block: ServerBlock) -> _Plan:
        key = (id(block.keys), id(block.directives))
        plan = self._plans.get(key)
        if plan is None:
            answering = []
            forwards = []
            for p in block.directives:
                if p.name in ANSWERING_PLUGINS:
                    answering.append((p, tuple(map(normalize_zone, p.args)) or tuple(k.zone for k in block.keys)))
                elif p.name == "forward" and p.args:
                    excepted = tuple(normalize_zone(z) for d in p.block if d.name == "except" for z in d.args)
                    forwards.append((p, normalize_zone(p.args[0]), excepted, any(d.name == "force_tcp" for d in p.block)))
            plan = self._plans[key] = _Plan(tuple(answering), tuple(forwards))
        return plan

    def _coredns(self, server: DnsServer, zone: str, port: int, seen: Seen, depth: int) -> _Walk:
        rel = server.path
        match = self._match(server, zone, port)
        if match is None:
            return _stop(f"matches no server block on port {port} in {rel} (CoreDNS answers REFUSED)", rel)
        block, key = match
        catch_all = key.zone == "."
        plan = self._plan(block)
        for plugin, zones in plan.answering:
            if any(in_zone(zone, z) for z in zones):
                where = f"{server.title} ({self.file(rel)}): server block {block.label}"
                hops = (f"{where} -> {plugin.name} {' '.join(zones)} answers",) + self._answer_note(server, plugin)
                return _Walk((Leg(hops, Answer(server, plugin, zones, block)),), frozenset(), 0)
        for plugin, from_zone, excepted, tcp in plan.forwards:
            if not in_zone(zone, from_zone) or any(in_zone(zone, z) for z in excepted):
                continue
            text = f"{server.title} ({self.file(rel)}): server block {block.label} -> forward {' '.join(plugin.args)}"
            context = (f"matches no server block in {rel} and would go to" if catch_all
                       else f"matches server block {block.label} in {rel}, which sends it to")
            return self._upstreams(server, plugin.args[1:], tcp, zone, (text,), seen, depth, context)
        if catch_all:
            return _stop(f"matches no server block in {rel}, and the catch-all block neither answers nor forwards it", rel)
        return _stop(f"matches server block {block.label} in {rel}, which neither answers nor forwards it", rel)

    def _answer_note(self, server: DnsServer, plugin: Directive) -> tuple[str, ...]:
        """What an answering stanza reads, when that is not simply its own cluster's API."""
        notes = []
        if plugin.sub("kubeconfig") or plugin.sub("endpoint"):
            source = self.verdicts.source(Answer(server, plugin, (), None))
            if source.url is not None:
                cluster = self.verdicts.by_api.get(source.url.rstrip("/"), "no cluster")
                notes.append(f"{plugin.name} reads {cluster}'s API server {source.url} through {source.how}")
        multi = [a for d in plugin.sub("multicluster") for a in d.args]
        if plugin.sub("multicluster"):
            notes.append(f"multicluster {' '.join(multi)}: answered from ServiceImports, which the MCS implementation "
                         "creates at runtime from the peers' ServiceExports (not proven here; the owner's "
                         "ServiceExport and cluster id are)")
        return tuple(notes)

    def _kube_dns(self, server: DnsServer, zone: str, port: int, seen: Seen, depth: int) -> _Walk:
        rel = server.path
        if port != 53:
            return _stop(f"is sent to port {port} of {server.title}, which listens on 53", rel)
        domain = normalize_zone(server.cluster_domain)
        if in_zone(zone, domain):
            leg = Leg((f"{server.title}: {domain} answers",), Answer(server, None, (domain,), None))
            return _Walk((leg,), frozenset(), 0)
        stub = self._stub(server, zone)
        if stub is None:
            return _stop(f"matches no stub domain in {rel} and would go to kube-dns's upstream nameservers", rel)
        stub_zone, ips = stub
        text = f"{server.title} ({self.file(rel)}): stub domain {stub_zone} -> {', '.join(ips)}"
        return self._upstreams(server, ips, False, zone, (text,), seen, depth,
                               f"matches stub domain {stub_zone} in {rel}, which sends it to")

    def _stub(self, server: DnsServer, zone: str) -> tuple[str, tuple[str, ...]] | None:
        """The longest stub domain containing the name (the last one written wins a duplicate, as in JSON)."""
        stubs = self._stubs.get(id(server))
        if stubs is None:
            stubs = self._stubs[id(server)] = dict(server.stubs)
        labels = zone.split(".") if zone != "." else []
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in stubs:
                return suffix, stubs[suffix]
        return (".", stubs["."]) if "." in stubs else None

    # -- between servers ------------------------------------------------------
    def _parse(self, text: str) -> Upstream:
        up = self._upstream.get(text)
        if up is None:
            up = self._upstream[text] = parse_upstream(text)
        return up

    def _upstreams(self, server: DnsServer, upstreams: Iterable[str], tcp: bool, zone: str, hops: tuple[str, ...],
                   seen: Seen, depth: int, context: str) -> _Walk:
        listed = list(upstreams)
        path = server.path
        if not listed:
            return _stop(f"{context} no upstream at all", path)
        legs: list[Leg] = []
        walks: list[_Walk] = []
        for text in listed:
            if text.startswith("/"):
                legs.append(Leg(hops, Stop(f"{context} {text} upstreams", path)))
                continue
            up = self._parse(text)
            if up.ip is None:
                legs.append(Leg(hops, Stop(f"{context} {text!r}, which is not an IP address", path)))
                continue
            local = self.cluster_ips.get((server.cluster, up.ip))
            endpoints = local or self.by_ip.get(up.ip)
            if not endpoints:
                declared = self._declared_zone(server.cluster, zone, up.ip)
                if declared is not None:
                    legs.append(Leg(hops + (f"{up.ip} is a declared upstream of extra zone {declared} "
                                            "(dns.extraZones), outside the fleet: what it answers is not proven here",),
                                    ExternalAnswer(declared, up.ip)))
                    continue
                consul = self.consul_at.get((server.cluster, up.ip))
                if consul is not None:
                    legs.append(Leg(hops + (self._consul_hop(consul),), ConsulAnswer(consul)))
                    continue
                legs.append(Leg(hops, self._nowhere(server, up.ip)))
                continue
            # One address may front several Services, one per protocol (GKE: UDP and TCP 53 apart).
            protocol = "TCP" if tcp else "UDP"
            endpoints = [ep for ep in endpoints if self._port(ep, up.port, protocol)] or endpoints
            for ep in endpoints:
                walk = self._endpoint(ep, up, tcp, zone, hops, seen, depth)
                if not legs and not walks and len(listed) == 1 and len(endpoints) == 1:
                    return walk  # the common case: one upstream, one Service
                legs.extend(walk.legs)
                walks.append(walk)
        return _Walk(tuple(legs), _visited(walks), max((w.reach for w in walks), default=0))

    def _declared_zone(self, cluster: str, zone: str, ip: str) -> str | None:
        """The extra zone of ``cluster`` that ``zone`` lies in and that declares ``ip`` as an upstream."""
        for extra, ips in self.external.get(cluster, {}).items():
            if ip in ips and in_zone(zone, extra):
                return extra
        return None

    def reached(self, asker: str, name: str) -> tuple[frozenset[str], tuple[tuple[str, str | None], ...]]:
        """Declared upstreams a name reaches from ``asker`` (ExternalAnswer ends), and every failure on the way."""
        name = normalize_zone(name)
        walk = self._at(self.dns[asker].resolver, self.zone_class(name), 53, frozenset(), 0)
        ips = frozenset(leg.end.ip for leg in walk.legs if isinstance(leg.end, ExternalAnswer))
        return ips, self.failures(asker, name, None)

    def _consul_hop(self, c: ConsulDns) -> str:
        return (f"{c.ip} is {c.cluster}'s Consul DNS (Service consul-dns, ClusterIP pinned by dns.clusterIP in "
                f"{self.file(c.path)}): Consul answers {c.domain} names from its catalog at runtime "
                "(catalog sync, peering and exported services are not proven here)")

    def _nowhere(self, server: DnsServer, ip: str) -> Stop:
        elsewhere = [ep for ep in self.cluster_ip_owners.get(ip, ()) if ep.cluster != server.cluster]
        if elsewhere:
            ep = elsewhere[0]
            return Stop(f"is forwarded to {ip}, the ClusterIP of Service {ep.namespace}/{ep.name} in {ep.cluster}, "
                        f"which is reachable only inside {ep.cluster}", server.path, server.cluster)
        return Stop(f"is forwarded to {ip} which is no cluster's DNS endpoint", server.path, server.cluster)

    def _port(self, ep: Endpoint, number: int, protocol: str) -> ServicePort | None:
        key = (id(ep), number, protocol)
        if key not in self._ports:
            self._ports[key] = ep.port(number, protocol)
        return self._ports[key]

    def _behind(self, ep: Endpoint) -> tuple[str, tuple[DnsServer, ...]]:
        """The hop text for a Service and the DNS servers it selects."""
        hit = self._chosen.get(id(ep))
        if hit is None:
            if ep.kind == "ClusterIP":
                text = f"{ep.ip} is the ClusterIP of {ep.cluster}'s Service {ep.namespace}/{ep.name} (in-cluster only)"
            else:
                lb = "internal LB" if ep.internal else "LB not marked internal"
                text = f"{ep.ip} is {ep.cluster}'s DNS endpoint (Service {ep.namespace}/{ep.name}, {lb})"
            selector = dict(ep.selector)
            chosen = tuple(s for s in self.dns[ep.cluster].servers if s.selected_by(ep.namespace, selector))
            hit = self._chosen[id(ep)] = (text, chosen)
        return hit

    def _endpoint(self, ep: Endpoint, up: Upstream, tcp: bool, zone: str, hops: tuple[str, ...],
                  seen: Seen, depth: int) -> _Walk:
        protocol = "TCP" if tcp else "UDP"
        text, chosen = self._behind(ep)
        hops = hops + (text,)
        port = self._port(ep, up.port, protocol)
        if port is None:
            return _Walk((Leg(hops, Stop(f"is sent to {ep.ip} port {up.port}/{protocol}, but Service {ep.namespace}/"
                                         f"{ep.name} in {ep.cluster} has no {protocol} port {up.port}", ep.path)),),
                         frozenset(), 0)
        if not chosen:
            shown = ",".join(f"{k}={v}" for k, v in ep.selector) or "none"
            what = f"DNS endpoint {ep.ip}" if ep.kind != "ClusterIP" else f"DNS Service at ClusterIP {ep.ip}"
            return _Walk((Leg(hops, Stop(f"reaches {ep.cluster}'s {what}, but Service {ep.namespace}/{ep.name} "
                                         f"selects no DNS pods (selector {shown} in namespace {ep.namespace})", ep.path)),),
                         frozenset(), 0)
        walks = [self._at(server, zone, port.target, seen, depth + len(hops)) for server in chosen]
        legs = tuple(Leg((hops, leg.hops), leg.end) for walk in walks for leg in walk.legs)
        return _Walk(legs, _visited(walks), len(hops) + max(w.reach for w in walks))
