"""Follow one DNS name from an asking cluster through the rendered DNS configuration.

A query starts at the asking cluster's own DNS pods, picks a server block (the
longest zone match, as CoreDNS does) or a stub domain, and is either answered
there by a ``kubernetes``/``kubernetai`` plugin or forwarded to upstream
addresses. An upstream that is a cluster's DNS endpoint (a rendered LoadBalancer
Service at that IP) hands the query to the pods its selector picks, and so on.
Every branch (several upstreams, several pod sets behind one Service) is a
route of its own; a name resolves when every route ends in the owning
cluster's API answering it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from generator.dnsproof.corefile import Directive, ServerBlock, ServerKey, in_zone, normalize_zone
from generator.dnsproof.rendered import ClusterDns, DnsServer, Endpoint

MAX_HOPS = 12
ANSWERING_PLUGINS = ("kubernetes", "kubernetai")


@dataclass(frozen=True)
class Route:
    """One way a query can go: the hops taken and, if it breaks, why and in which file."""

    hops: tuple[str, ...]
    resolved: bool
    failure: str | None = None  # reads after "from <asker>, <name> ..."
    path: str | None = None  # output-relative file where it breaks


@dataclass(frozen=True)
class Explanation:
    asker: str
    name: str
    owner: str | None
    routes: tuple[Route, ...]

    @property
    def resolved(self) -> bool:
        return bool(self.routes) and all(r.resolved for r in self.routes)


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


class Tracer:
    """Traces names over the rendered DNS of a fleet. ``zones``: cluster -> fleet zone."""

    def __init__(self, dns: dict[str, ClusterDns], zones: dict[str, str], out_dir: str = "output") -> None:
        self.dns = dns
        self.zones = {c: normalize_zone(z) for c, z in zones.items()}
        self._zone_owner: dict[str, str] = {}
        for c, z in self.zones.items():
            self._zone_owner.setdefault(z, c)
        self.out_dir = out_dir.rstrip("/")
        self.by_ip: dict[str, list[Endpoint]] = {}
        for cluster in dns.values():
            for ep in cluster.endpoints:
                self.by_ip.setdefault(ep.ip, []).append(ep)
        self._stubs: dict[tuple[str, str, str | None], dict[str, tuple[str, ...]]] = {}
        self._index: dict[tuple[str, str, str | None], dict[tuple[int, str], list[tuple[ServerBlock, ServerKey]]]] = {}

    # -- public -------------------------------------------------------------
    def owner_of(self, name: str) -> str | None:
        """The cluster whose fleet zone is the longest suffix of ``name`` (first declared on a tie)."""
        labels = normalize_zone(name).split(".")
        for i in range(len(labels)):
            owner = self._zone_owner.get(".".join(labels[i:]))
            if owner is not None:
                return owner
        return self._zone_owner.get(".")

    def explain(self, asker: str, name: str) -> Explanation:
        name = normalize_zone(name)
        owner = self.owner_of(name)
        routes = self._at(self.dns[asker].resolver, name, 53, owner, (), frozenset())
        return Explanation(asker, name, owner, tuple(routes))

    def file(self, path: str | None) -> str:
        return f"{self.out_dir}/{path}" if path else "(nothing rendered)"

    # -- one DNS server -------------------------------------------------------
    def _at(self, server: DnsServer, name: str, port: int, owner: str | None,
            hops: tuple[str, ...], seen: frozenset[tuple[str, str]]) -> list[Route]:
        if server.problem:
            where = f" ({server.path})" if server.path else ""
            return [Route(hops, False, f"reaches {server.title}{where}, which cannot answer: {server.problem}", server.path)]
        key = (server.cluster, server.title)
        if key in seen or len(hops) >= MAX_HOPS:
            return [Route(hops, False, f"loops: it comes back to {server.title} ({server.path})", server.path)]
        seen = seen | {key}
        if server.kind == "kube-dns":
            return self._kube_dns(server, name, port, owner, hops, seen)
        return self._coredns(server, name, port, owner, hops, seen)

    def _blocks(self, server: DnsServer) -> dict[tuple[int, str], list[tuple[ServerBlock, ServerKey]]]:
        key = (server.cluster, server.title, server.path)
        if key not in self._index:
            index: dict[tuple[int, str], list[tuple[ServerBlock, ServerKey]]] = {}
            for block in server.corefile.blocks if server.corefile else ():
                for k in block.keys:
                    if k.scheme == "dns":
                        index.setdefault((k.port, k.zone), []).append((block, k))
            self._index[key] = index
        return self._index[key]

    def _match(self, server: DnsServer, name: str, port: int) -> tuple[ServerBlock, ServerKey] | None:
        """The block of the longest zone containing ``name`` (walking up the labels, then the root)."""
        index = self._blocks(server)
        labels = name.split(".")
        for i in range(len(labels)):
            hit = index.get((port, ".".join(labels[i:])))
            if hit:
                return hit[0]
        hit = index.get((port, "."))
        return hit[0] if hit else None

    def _coredns(self, server: DnsServer, name: str, port: int, owner: str | None,
                 hops: tuple[str, ...], seen: frozenset[tuple[str, str]]) -> list[Route]:
        rel = server.path
        match = self._match(server, name, port)
        if match is None:
            return [Route(hops, False, f"matches no server block on port {port} in {rel} (CoreDNS answers REFUSED)", rel)]
        block, key = match
        catch_all = key.zone == "."
        where = f"{server.title} ({self.file(rel)}): server block {block.label}"
        for plugin in block.directives:
            if plugin.name in ANSWERING_PLUGINS:
                zones = self._plugin_zones(plugin, block)
                if any(in_zone(name, z) for z in zones):
                    return [self._answer(server, plugin, zones, name, owner, hops + (f"{where} -> {plugin.name} {' '.join(zones)} answers",), block)]
        for plugin in block.plugins("forward"):
            if not plugin.args or not in_zone(name, normalize_zone(plugin.args[0])):
                continue
            excepted = [normalize_zone(z) for d in plugin.sub("except") for z in d.args]
            if any(in_zone(name, z) for z in excepted):
                continue
            tcp = bool(plugin.sub("force_tcp"))
            text = f"{where} -> forward {' '.join(plugin.args)}"
            context = (f"matches no server block in {rel} and would go to" if catch_all
                       else f"matches server block {block.label} in {rel}, which sends it to")
            return self._upstreams(server, plugin.args[1:], tcp, name, owner, hops + (text,), seen, context)
        if catch_all:
            return [Route(hops, False, f"matches no server block in {rel}, and the catch-all block neither answers nor forwards it", rel)]
        return [Route(hops, False, f"matches server block {block.label} in {rel}, which neither answers nor forwards it", rel)]

    def _plugin_zones(self, plugin: Directive, block: ServerBlock) -> tuple[str, ...]:
        zones = tuple(normalize_zone(a) for a in plugin.args)
        return zones or tuple(k.zone for k in block.keys)

    def _answer(self, server: DnsServer, plugin: Directive | None, zones: tuple[str, ...], name: str,
                owner: str | None, hops: tuple[str, ...], block: ServerBlock | None) -> Route:
        answered_by = server.cluster
        if plugin is not None and plugin.name == "kubernetai":
            for kc in plugin.sub("kubeconfig"):
                remote = next((c for c in self.dns if any(c in a for a in kc.args)), None)
                answered_by = remote or f"the API server of kubeconfig {' '.join(kc.args)}"
        if owner is not None and answered_by != owner:
            what = f"{plugin.name} plugin (server block {block.label if block else '?'})" if plugin else "kube-dns"
            return Route(hops, False, f"is answered by {answered_by}'s own {what} in {server.path}, "
                         f"which knows {answered_by}'s pods, not {owner}'s", server.path)
        if plugin is not None:
            allowed = [ns for d in plugin.sub("namespaces") for ns in d.args]
            labels = name.split(".")
            if allowed and len(labels) > 3 and labels[2] not in allowed:
                return Route(hops, False, f"is refused by {plugin.name} in {server.path}: namespace {labels[2]} "
                             f"is not in its namespaces ({' '.join(allowed)})", server.path)
        return Route(hops, True)

    def _kube_dns(self, server: DnsServer, name: str, port: int, owner: str | None,
                  hops: tuple[str, ...], seen: frozenset[tuple[str, str]]) -> list[Route]:
        rel = server.path
        if port != 53:
            return [Route(hops, False, f"is sent to port {port} of {server.title}, which listens on 53", rel)]
        if in_zone(name, server.cluster_domain):
            return [self._answer(server, None, (server.cluster_domain,), name, owner,
                                 hops + (f"{server.title}: {server.cluster_domain} answers",), None)]
        stub = self._stub(server, name)
        if stub is None:
            return [Route(hops, False, f"matches no stub domain in {rel} and would go to kube-dns's upstream nameservers", rel)]
        zone, ips = stub
        text = f"{server.title} ({self.file(rel)}): stub domain {zone} -> {', '.join(ips)}"
        return self._upstreams(server, ips, False, name, owner, hops + (text,), seen,
                               f"matches stub domain {zone} in {rel}, which sends it to")

    def _stub(self, server: DnsServer, name: str) -> tuple[str, tuple[str, ...]] | None:
        """The longest stub domain containing ``name`` (the last one written wins a duplicate, as in JSON)."""
        key = (server.cluster, server.title, server.path)
        if key not in self._stubs:
            self._stubs[key] = dict(server.stubs)
        stubs = self._stubs[key]
        labels = name.split(".")
        for i in range(len(labels)):
            zone = ".".join(labels[i:])
            if zone in stubs:
                return zone, stubs[zone]
        return (".", stubs["."]) if "." in stubs else None

    # -- between servers ------------------------------------------------------
    def _upstreams(self, server: DnsServer, upstreams: Iterable[str], tcp: bool, name: str, owner: str | None,
                   hops: tuple[str, ...], seen: frozenset[tuple[str, str]], context: str) -> list[Route]:
        routes: list[Route] = []
        listed = list(upstreams)
        if not listed:
            return [Route(hops, False, f"{context} no upstream at all", server.path)]
        for text in listed:
            if text.startswith("/"):
                routes.append(Route(hops, False, f"{context} {text} upstreams", server.path))
                continue
            up = parse_upstream(text)
            if up.ip is None:
                routes.append(Route(hops, False, f"{context} {text!r}, which is not an IP address", server.path))
                continue
            endpoints = self.by_ip.get(up.ip, [])
            if not endpoints:
                routes.append(Route(hops, False, f"is forwarded to {up.ip} which is no cluster's DNS endpoint{self._hint(owner)}", server.path))
                continue
            for ep in endpoints:
                routes.extend(self._endpoint(ep, up, tcp, name, owner, hops, seen))
        return routes

    def _hint(self, owner: str | None) -> str:
        if owner is None:
            return ""
        ips = [ep.ip for ep in self.dns[owner].endpoints] if owner in self.dns else []
        return f" ({owner}'s is {', '.join(ips)})" if ips else f" ({owner} has no DNS endpoint rendered)"

    def _endpoint(self, ep: Endpoint, up: Upstream, tcp: bool, name: str, owner: str | None,
                  hops: tuple[str, ...], seen: frozenset[tuple[str, str]]) -> list[Route]:
        protocol = "TCP" if tcp else "UDP"
        lb = "internal LB" if ep.internal else "LB not marked internal"
        text = f"{ep.ip} is {ep.cluster}'s DNS endpoint (Service {ep.namespace}/{ep.name}, {lb})"
        hops = hops + (text,)
        port = ep.port(up.port, protocol)
        if port is None:
            return [Route(hops, False, f"is sent to {ep.ip} port {up.port}/{protocol}, but Service {ep.namespace}/{ep.name} "
                          f"in {ep.cluster} has no {protocol} port {up.port}", ep.path)]
        selector = dict(ep.selector)
        chosen = [s for s in self.dns[ep.cluster].servers if s.selected_by(ep.namespace, selector)]
        if not chosen:
            shown = ",".join(f"{k}={v}" for k, v in ep.selector) or "none"
            return [Route(hops, False, f"reaches {ep.cluster}'s DNS endpoint {ep.ip}, but Service {ep.namespace}/{ep.name} "
                          f"selects no DNS pods (selector {shown} in namespace {ep.namespace})", ep.path)]
        routes: list[Route] = []
        for server in chosen:
            routes.extend(self._at(server, name, port.target, owner, hops, seen))
        return routes
