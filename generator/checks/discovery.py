"""Checks for the discovery options (spec.dns.discovery): what each one needs from the fleet.

Rule ids: ``discovery-ip`` (kubernetai, consul, mcs need a pinned ClusterIP inside the
serviceCIDRs), ``dns-image`` (kubernetai needs a CoreDNS image built with the plugin),
``discovery-apiserver`` (kubernetai reads peers' API servers, so they must be
reachable names), ``consul-datacenter`` (datacenter names that are DNS labels) and
``coredns-version`` (mcs needs CoreDNS >= 1.12.2).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator
from urllib.parse import urlsplit

from generator import discovery
from generator.diagnostics import Finding, error, warning
from generator.model import Fleet, ip_address

MCS_MIN_COREDNS = (1, 12, 2)
_DC = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TAG = re.compile(r":v?(\d+)\.(\d+)\.(\d+)(?:[-+][^@]*)?(?:@.*)?$")
_IN_CLUSTER = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")


def discovery_ip(fleet: Fleet) -> Iterator[Finding]:
    kind = fleet.dns.discovery
    if kind == "forward":
        return
    for c in fleet.clusters:
        ptr = f"{c.pointer}/dns/discoveryIP"
        if not c.discovery_ip:
            yield error(
                "discovery-ip",
                f"cluster '{c.name}' has no dns.discoveryIP: discovery '{kind}' forwards its zones to a DNS server "
                "at a pinned ClusterIP; pick a free address inside the cluster's serviceCIDRs",
                fleet.source.locate(f"{c.pointer}/name"),
                (c.name,),
            )
            continue
        try:
            address = ip_address(c.discovery_ip)
        except ValueError:
            yield error("discovery-ip", f"cluster '{c.name}': dns.discoveryIP '{c.discovery_ip}' is not an IP address",
                        fleet.source.locate(ptr), (c.name,))
            continue
        services = c.networks("serviceCIDRs")
        if services and not any(address in n for n in services if n.version == address.version):
            cidrs = ", ".join(str(n) for n in services)
            yield error(
                "discovery-ip",
                f"cluster '{c.name}': dns.discoveryIP {address} is outside its serviceCIDRs ({cidrs}); "
                "a Service's clusterIP must come from the service range",
                fleet.source.locate(ptr),
                (c.name,),
            )


def dns_image(fleet: Fleet) -> Iterator[Finding]:
    if fleet.dns.discovery != "kubernetai" or discovery.kubernetai_image(fleet):
        return
    yield warning(
        "dns-image",
        f"discovery 'kubernetai' without spec.dns.kubernetai.image: the stock CoreDNS image "
        f"({fleet.dns.coredns_image}) lacks the external kubernetai plugin; build one with "
        "'kubernetai:github.com/coredns/kubernetai/plugin/kubernetai' in plugin.cfg and name it there",
        fleet.source.locate("/spec/dns/discovery"),
        tuple(c.name for c in fleet.clusters),
    )


def discovery_apiserver(fleet: Fleet) -> Iterator[Finding]:
    """kubernetai in every peer reads this API server: it must be a name or address peers can reach."""
    if fleet.dns.discovery != "kubernetai":
        return
    for c in fleet.clusters:
        if not fleet.peers.get(c.name):
            continue
        host = (urlsplit(c.api_server).hostname or "").lower().rstrip(".")
        reason = None
        if not host:
            reason = "has no host"
        elif host in _IN_CLUSTER or host.endswith((".svc", ".svc.cluster.local", ".cluster.local")):
            reason = f"names the in-cluster API ('{host}')"
        else:
            try:
                if ipaddress.ip_address(host).is_loopback:
                    reason = f"is a loopback address ({host})"
            except ValueError:
                pass
        if reason:
            yield error(
                "discovery-apiserver",
                f"cluster '{c.name}': apiServer {reason}; kubernetai in its peers reads it from another cluster, "
                "so use the API server's address reachable over the fleet's links",
                fleet.source.locate(f"{c.pointer}/apiServer"),
                (c.name,),
            )


def consul_datacenter(fleet: Fleet) -> Iterator[Finding]:
    """Each datacenter name must be a DNS label. Uniqueness follows from the pattern:
    the schema requires ``{cluster}`` in it and cluster names are unique (cluster-duplicate)."""
    if fleet.dns.discovery != "consul":
        return
    for c in fleet.clusters:
        dc = discovery.datacenter(fleet, c.name)
        if not _DC.match(dc) or len(dc) > 63:
            yield error(
                "consul-datacenter",
                f"cluster '{c.name}': Consul datacenter '{dc}' (from datacenterPattern) is not a DNS label; "
                "it becomes part of DNS names like <svc>.service.<dc>.consul",
                fleet.source.locate("/spec/dns/consul/datacenterPattern"),
                (c.name,),
            )


def coredns_version(fleet: Fleet) -> Iterator[Finding]:
    """mcs: the fleet-owned CoreDNS answers clusterset.local with `multicluster`, added in CoreDNS 1.12.2."""
    if fleet.dns.discovery != "mcs":
        return
    match = _TAG.search(fleet.dns.coredns_image)
    if match is None:
        return
    version = tuple(int(x) for x in match.groups())
    if version < MCS_MIN_COREDNS:
        yield error(
            "coredns-version",
            f"discovery 'mcs' needs CoreDNS >= 1.12.2 (the kubernetes plugin's 'multicluster' option) "
            f"but spec.dns.corednsImage is {fleet.dns.coredns_image}",
            fleet.source.locate("/spec/dns/corednsImage"),
            tuple(c.name for c in fleet.clusters),
        )
