"""The typed, normalized fleet: defaults resolved, CIDRs parsed, peers derived.

Building the model never fails on semantically wrong input (an unparsable CIDR,
an unknown cluster in a placement): it keeps what it can and the checks report
the rest with locations. It assumes the document passed schema validation.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from generator.loader import SourceMap, escape

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

RANGE_FIELDS = ("nodeCIDRs", "podCIDRs", "serviceCIDRs")
DEFAULT_DNS_SERVER = {"aws": "coredns", "gcp": "kube-dns", "azure": "aks-coredns", "generic": "coredns"}
DEFAULT_COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.2"
# The default image's digest (as Cilium's CLI pins it; see docs/upstream-facts.md): used only
# with the default image; a fleet naming its own corednsImage pins its own digest, or none.
DEFAULT_COREDNS_IMAGE_DIGEST = "sha256:af8c8d35a5d184b386c4a6d1a012c8b218d40d1376474c7d071bb6c07201f47d"
DEFAULT_KUBERNETES_VERSION = "1.33"

# The whole grammar of an address or network a fleet may hold: hex digits, '.' and ':',
# an optional prefix length. No zone id ('%eth0', which Python's ipaddress accepts with
# any characters after it), no whitespace: these values are written into Corefiles.
_ADDRESS = re.compile(r"[0-9A-Fa-f.:]+")
_NETWORK = re.compile(r"[0-9A-Fa-f.:]+(/[0-9]{1,3})?")


def ip_address(text: str) -> IPAddress:
    """``ipaddress.ip_address`` without IPv6 zone ids or anything outside the address grammar (ValueError)."""
    if not isinstance(text, str) or not _ADDRESS.fullmatch(text):
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address")
    return ipaddress.ip_address(text)


@dataclass(frozen=True)
class Range:
    """One CIDR of a cluster, as written and as parsed (``network`` is None if it does not parse)."""

    cluster: str
    field: str  # nodeCIDRs | podCIDRs | serviceCIDRs
    text: str
    network: IPNetwork | None
    pointer: str


LB_CONTROLLERS = ("metallb", "kube-vip", "cilium-lbipam")
DEFAULT_LB_CONTROLLER = "metallb"


@dataclass(frozen=True)
class LbPin:
    """How one internal load balancer (the DNS endpoint or the mesh entry point) is pinned, as written.

    ``subnets``/``addresses`` (AWS): the NLB's subnets and, per subnet, its private address (None where
    the fleet names only the subnet). ``address_name`` (GKE): the reserved static internal address.
    ``pointer``: the fleet's ``dns`` or ``mesh`` object of the cluster.
    """

    subnets: tuple[str, ...] = ()
    addresses: tuple[str | None, ...] = ()
    address_name: str | None = None
    pointer: str = ""


@dataclass(frozen=True)
class ExtraZone:
    """A zone the cluster DNS forwards to servers outside the fleet (spec.dns.extraZones / dns.extraZones)."""

    zone: str  # lower case, no trailing dot
    forward: tuple[str, ...]  # upstream IP addresses, as written
    pointer: str  # the declaring entry


@dataclass(frozen=True)
class Cluster:
    name: str
    provider: str
    region: str
    api_server: str
    ranges: tuple[Range, ...]
    dns_server: str
    cluster_domain: str
    zone: str
    zone_explicit: bool
    dns_endpoint: str | None
    lb_subnets: tuple[str, ...]
    mesh_id: int | None
    mesh_network: str | None
    route_reflectors: tuple[str, ...]
    calico_as: int | None
    pointer: str
    mesh_endpoint: str | None = None
    discovery_ip: str | None = None  # dns.discoveryIP: ClusterIP of the discovery DNS server (non-forward discovery)
    extra_zones: tuple[ExtraZone, ...] = ()  # fleet-wide entries, then the cluster's own (which replace by zone)
    local_manifests: bool = False  # the team's own kustomize root in clusters/<name>/local/ (generator/teamdir.py)
    dns_lb: LbPin = LbPin()
    mesh_lb: LbPin = LbPin()
    lb_controller: str = DEFAULT_LB_CONTROLLER  # generic clusters: metallb | kube-vip | cilium-lbipam
    allow_public_endpoints: bool = False  # loadBalancer.allowPublicAddresses

    def cidrs(self, field_name: str) -> tuple[Range, ...]:
        return tuple(r for r in self.ranges if r.field == field_name)

    def networks(self, field_name: str) -> tuple[IPNetwork, ...]:
        return tuple(r.network for r in self.ranges if r.field == field_name and r.network is not None)

    @property
    def endpoint_address(self) -> IPAddress | None:
        try:
            return ip_address(self.dns_endpoint) if self.dns_endpoint else None
        except ValueError:
            return None

    @property
    def mesh_address(self) -> IPAddress | None:
        """``mesh.endpoint`` parsed (None if unset or not an IP address); only meaningful with a mesh."""
        try:
            return ipaddress.ip_address(self.mesh_endpoint) if self.mesh_endpoint else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Link:
    name: str
    clusters: tuple[str, ...]
    via: str
    pointer: str
    role: str = "primary"  # primary | backup: a backup link may route what a primary link routes


@dataclass(frozen=True)
class Group:
    name: str
    clusters: tuple[str, ...]
    pointer: str
    implicit: bool = False


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str


@dataclass(frozen=True)
class Workload:
    name: str
    namespace: str
    ports: tuple[Port, ...]
    placement: tuple[tuple[str, int], ...]  # (cluster, replicas) in file order
    seeds_per_cluster: int
    pointer: str
    verify_tcp: bool = False  # workloads[].verify.tcp: the post-sync Job connects to a peer pod's ports

    def replicas_in(self, cluster: str) -> int:
        return self.replicas.get(cluster, 0)

    @cached_property
    def replicas(self) -> dict[str, int]:
        """cluster -> replicas (the last entry wins, as in ``dict(placement)``), built once."""
        return dict(self.placement)


@dataclass(frozen=True)
class GitOps:
    engine: str
    repo_url: str
    revision: str
    path: str
    namespace: str
    project: str
    interval: str
    credentials_secret: str | None
    argocd_plugin: bool = False  # gitops.argocd.plugin: Applications sync through the fleetgen CMP


@dataclass(frozen=True)
class Dns:
    zone_pattern: str
    discovery: str
    coredns_image: str
    options: dict[str, Any]  # per-discovery settings (kubernetai/consul/mcs), as written
    coredns_image_digest: str | None = None  # sha256:<hex>, pinned beside the tag

    @property
    def coredns_image_ref(self) -> str:
        """What the fleet DNS gateway pulls: ``<image>@<digest>`` when a digest is pinned."""
        return image_ref(self.coredns_image, self.coredns_image_digest)


def image_ref(image: str, digest: str | None) -> str:
    """``image@sha256:...`` (the tag stays for people; the runtime pulls by digest), or the image."""
    return f"{image}@{digest}" if digest else image


@dataclass(frozen=True)
class Connectivity:
    mode: str
    links: tuple[Link, ...]
    calico: dict[str, Any]


@dataclass(frozen=True)
class Mesh:
    type: str
    mesh_id: str | None
    trust_domain: str | None
    chart_version: str | None
    options: dict[str, Any]


@dataclass(frozen=True)
class Pool:
    field: str
    text: str
    network: IPNetwork | None
    prefix_length: int
    pointer: str


@dataclass(frozen=True)
class Verify:
    """spec.verify: the opt-in post-sync verification Job of every cluster."""

    image: str
    namespace: str
    timeout_seconds: int
    ttl_seconds: int
    pointer: str = "/spec/verify"


DEFAULT_VERIFY_IMAGE = "python:3.12.8-alpine3.21"


@dataclass(frozen=True)
class Fleet:
    name: str
    file: str
    kubernetes_version: str
    gitops: GitOps
    dns: Dns
    connectivity: Connectivity
    mesh: Mesh
    pools: tuple[Pool, ...]
    groups: tuple[Group, ...]
    clusters: tuple[Cluster, ...]
    workloads: tuple[Workload, ...]
    source: SourceMap
    by_name: dict[str, Cluster] = field(compare=False, repr=False)
    peers: dict[str, tuple[str, ...]] = field(compare=False, repr=False)
    # Values derived from this (immutable) fleet that several steps need, computed
    # once by their producer (e.g. routes.fleet_routes for the check and the files).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    verify: Verify | None = None

    def cluster(self, name: str) -> Cluster | None:
        return self.by_name.get(name)

    def did_you_mean(self, name: str) -> str:
        """`` (did you mean 'x'?)`` for the closest declared cluster name, or ``''`` when none is close."""
        close = difflib.get_close_matches(name, list(self.by_name), n=1, cutoff=0.6)
        return f" (did you mean '{close[0]}'?)" if close else ""

    def workloads_in(self, cluster: str) -> tuple[Workload, ...]:
        return self._workloads_by_cluster.get(cluster, ())

    @cached_property
    def _workloads_by_cluster(self) -> dict[str, tuple[Workload, ...]]:
        """cluster -> the workloads with replicas there, in file order: one pass, not one per cluster."""
        found: dict[str, list[Workload]] = {}
        for w in self.workloads:
            for cluster, replicas in w.replicas.items():
                if replicas > 0:
                    found.setdefault(cluster, []).append(w)
        return {cluster: tuple(ws) for cluster, ws in found.items()}

    @cached_property
    def groups_of(self) -> dict[str, tuple[str, ...]]:
        """cluster -> names of the groups that list it, in file order."""
        found: dict[str, list[str]] = {}
        for g in self.groups:
            for name in dict.fromkeys(g.clusters):
                found.setdefault(name, []).append(g.name)
        return {name: tuple(gs) for name, gs in found.items()}


def parse_network(text: str) -> IPNetwork | None:
    if not isinstance(text, str) or not _NETWORK.fullmatch(text):
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except (ValueError, TypeError):
        return None


def zone_for(pattern: str, cluster: str) -> str:
    return pattern.replace("{cluster}", cluster).strip(".").lower()


def build(data: dict[str, Any], source: SourceMap) -> Fleet:
    spec = data["spec"]
    gitops_raw = spec["gitops"]
    engine = gitops_raw.get("engine", "argocd")
    gitops = GitOps(
        engine=engine,
        repo_url=gitops_raw["repoURL"],
        revision=gitops_raw.get("revision", "main"),
        path=gitops_raw.get("path", "output").strip("/"),
        namespace=gitops_raw.get("namespace", "argocd" if engine == "argocd" else "flux-system"),
        project=gitops_raw.get("project", "default"),
        interval=gitops_raw.get("interval", "5m"),
        credentials_secret=gitops_raw.get("credentialsSecret"),
        argocd_plugin=bool(gitops_raw.get("argocd", {}).get("plugin", False)),
    )
    dns_raw = spec.get("dns", {})
    dns = Dns(
        zone_pattern=dns_raw.get("zonePattern", "{cluster}.local"),
        discovery=dns_raw.get("discovery", "forward"),
        coredns_image=dns_raw.get("corednsImage", DEFAULT_COREDNS_IMAGE),
        coredns_image_digest=dns_raw.get(
            "corednsImageDigest", None if "corednsImage" in dns_raw else DEFAULT_COREDNS_IMAGE_DIGEST
        ),
        options={k: v for k, v in dns_raw.items() if k in ("kubernetai", "consul", "mcs")},
    )
    conn_raw = spec.get("connectivity", {})
    links = tuple(
        Link(
            name=link.get("name") or f"link-{i}",
            clusters=tuple(link["clusters"]),
            via=link["via"],
            pointer=f"/spec/connectivity/links/{i}",
            role=link.get("role", "primary"),
        )
        for i, link in enumerate(conn_raw.get("links", []))
    )
    connectivity = Connectivity(conn_raw.get("mode", "native"), links, dict(conn_raw.get("calico", {})))
    mesh_raw = spec.get("mesh", {})
    mesh = Mesh(
        type=mesh_raw.get("type", "none"),
        mesh_id=mesh_raw.get("meshID"),
        trust_domain=mesh_raw.get("trustDomain"),
        chart_version=mesh_raw.get("chartVersion"),
        options={k: v for k, v in mesh_raw.items() if k in ("linkerd",)},
    )
    pools = tuple(
        Pool(p["for"], p["cidr"], parse_network(p["cidr"]), p["prefixLength"], f"/spec/ipam/pools/{i}")
        for i, p in enumerate(spec.get("ipam", {}).get("pools", []))
    )
    fleet_extra = _extra_zones(dns_raw.get("extraZones", []), "/spec/dns/extraZones")
    clusters = tuple(_cluster(raw, i, dns.zone_pattern, fleet_extra) for i, raw in enumerate(spec["clusters"]))
    names = [c.name for c in clusters]
    if "groups" in spec:
        groups = tuple(
            Group(g["name"], tuple(g["clusters"]), f"/spec/groups/{i}") for i, g in enumerate(spec["groups"])
        )
    else:
        groups = (Group("all", tuple(dict.fromkeys(names)), "/spec/clusters", implicit=True),)
    workloads = tuple(_workload(raw, i) for i, raw in enumerate(spec.get("workloads", [])))
    by_name: dict[str, Cluster] = {}
    for c in clusters:
        by_name.setdefault(c.name, c)
    return Fleet(
        name=data["metadata"]["name"],
        file=source.file,
        kubernetes_version=spec.get("kubernetesVersion", DEFAULT_KUBERNETES_VERSION),
        gitops=gitops,
        dns=dns,
        connectivity=connectivity,
        mesh=mesh,
        pools=pools,
        groups=groups,
        clusters=clusters,
        workloads=workloads,
        source=source,
        by_name=by_name,
        peers=_peers(groups, by_name),
        verify=_verify(spec["verify"]) if "verify" in spec else None,
    )


def _verify(raw: dict[str, Any]) -> Verify:
    image = raw.get("image", DEFAULT_VERIFY_IMAGE)
    if "imageDigest" in raw:
        image = f"{image.split('@', 1)[0]}@{raw['imageDigest']}"
    return Verify(
        image=image,
        namespace=raw.get("namespace", "fleetgen-verify"),
        timeout_seconds=raw.get("timeoutSeconds", 300),
        ttl_seconds=raw.get("ttlSecondsAfterFinished", 3600),
    )


def _extra_zones(raw: list[dict[str, Any]], pointer: str) -> tuple[ExtraZone, ...]:
    return tuple(
        ExtraZone(str(e["zone"]).strip(".").lower(), tuple(e["forward"]), f"{pointer}/{i}") for i, e in enumerate(raw)
    )


def _merge_extra(fleet_wide: tuple[ExtraZone, ...], own: tuple[ExtraZone, ...]) -> tuple[ExtraZone, ...]:
    mine = {e.zone for e in own}
    return tuple(e for e in fleet_wide if e.zone not in mine) + own


def _cluster(raw: dict[str, Any], index: int, zone_pattern: str, fleet_extra: tuple[ExtraZone, ...] = ()) -> Cluster:
    name = raw["name"]
    ptr = f"/spec/clusters/{index}"
    network = raw.get("network", {})
    ranges = tuple(
        Range(name, fld, text, parse_network(text), f"{ptr}/network/{fld}/{j}")
        for fld in RANGE_FIELDS
        for j, text in enumerate(network.get(fld, []))
    )
    dns = raw.get("dns", {})
    mesh = raw.get("mesh", {})
    calico = raw.get("calico", {})
    lb = raw.get("loadBalancer", {})
    return Cluster(
        name=name,
        provider=raw["provider"],
        region=raw.get("region", ""),
        api_server=raw["apiServer"],
        ranges=ranges,
        dns_server=dns.get("server", DEFAULT_DNS_SERVER[raw["provider"]]),
        cluster_domain=dns.get("clusterDomain", "cluster.local").strip(".").lower(),
        zone=dns["zone"].strip(".").lower() if "zone" in dns else zone_for(zone_pattern, name),
        zone_explicit="zone" in dns,
        dns_endpoint=dns.get("endpoint"),
        lb_subnets=tuple(_subnet_name(s) for s in dns.get("loadBalancerSubnets", [])),
        mesh_id=mesh.get("id"),
        mesh_network=mesh.get("network"),
        route_reflectors=tuple(calico.get("routeReflectors", [])),
        calico_as=calico.get("asNumber"),
        pointer=ptr,
        mesh_endpoint=mesh.get("endpoint"),
        discovery_ip=dns.get("discoveryIP"),
        extra_zones=_merge_extra(fleet_extra, _extra_zones(dns.get("extraZones", []), f"{ptr}/dns/extraZones")),
        local_manifests=bool(raw.get("localManifests", False)),
        dns_lb=_lb_pin(dns, f"{ptr}/dns"),
        mesh_lb=_lb_pin(mesh, f"{ptr}/mesh"),
        lb_controller=lb.get("controller", DEFAULT_LB_CONTROLLER),
        allow_public_endpoints=bool(lb.get("allowPublicAddresses", False)),
    )


def _subnet_name(item: Any) -> str:
    return str(item["subnet"]) if isinstance(item, dict) else str(item)


def _lb_pin(raw: dict[str, Any], pointer: str) -> LbPin:
    items = raw.get("loadBalancerSubnets", [])
    return LbPin(
        subnets=tuple(_subnet_name(i) for i in items),
        addresses=tuple(str(i["address"]) if isinstance(i, dict) and "address" in i else None for i in items),
        address_name=raw.get("addressName"),
        pointer=pointer,
    )


def _workload(raw: dict[str, Any], index: int) -> Workload:
    return Workload(
        name=raw["name"],
        namespace=raw["namespace"],
        ports=tuple(Port(p["name"], p["port"], p.get("protocol", "TCP")) for p in raw["ports"]),
        placement=tuple((k, v) for k, v in raw["placement"].items()),
        seeds_per_cluster=raw.get("seedsPerCluster", 1),
        pointer=f"/spec/workloads/{index}",
        verify_tcp=bool(raw.get("verify", {}).get("tcp", False)),
    )


def _peers(groups: tuple[Group, ...], by_name: dict[str, Cluster]) -> dict[str, tuple[str, ...]]:
    """Peers of a cluster: the other known clusters of every group it is in, in fleet order."""
    order = {name: i for i, name in enumerate(by_name)}
    found: dict[str, set[str]] = {name: set() for name in by_name}
    for group in groups:
        members = [c for c in dict.fromkeys(group.clusters) if c in by_name]
        for c in members:
            found[c].update(members)
    return {name: tuple(sorted(found[name] - {name}, key=order.__getitem__)) for name in by_name}


def key_pointer(ptr: str, key: str) -> str:
    return f"{ptr}/{escape(key)}"
