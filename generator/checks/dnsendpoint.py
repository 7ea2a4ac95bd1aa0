"""The DNS endpoint of a cluster: a usable node address, unique in the fleet (rule ``dns-endpoint``).

With forward discovery every cluster needs one. An endpoint that is not an IP
address is ``cidr-invalid``.
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error
from generator.model import Cluster, Fleet, IPAddress


def dns_endpoint_present(fleet: Fleet) -> Iterator[Finding]:
    if fleet.dns.discovery != "forward":  # only forward sends peers to each other's DNS endpoint
        return
    for c in fleet.clusters:
        if not c.dns_endpoint:
            yield error(
                "dns-endpoint",
                f"cluster '{c.name}' has no dns.endpoint: peers need the internal load balancer IP "
                "in front of its DNS (an unused address in one of its nodeCIDRs)",
                fleet.source.locate(f"{c.pointer}/dns" if f"{c.pointer}/dns" in fleet.source.keys else f"{c.pointer}/name", key=True),
                (c.name,),
            )


def dns_endpoint(fleet: Fleet) -> Iterator[Finding]:
    owners: dict[IPAddress, Cluster] = {}
    for c in fleet.clusters:
        address = c.endpoint_address
        if address is None:
            continue
        loc = fleet.source.locate(f"{c.pointer}/dns/endpoint")
        for problem in placement_problems(c, address):
            yield error("dns-endpoint", f"dns.endpoint {address} of cluster '{c.name}' {problem}", loc, (c.name,))
        other = owners.setdefault(address, c)
        if other is not c and other.name != c.name:
            yield error(
                "dns-endpoint",
                f"dns.endpoint {address} of cluster '{c.name}' is also the endpoint of cluster '{other.name}'; "
                "each cluster's DNS load balancer needs its own address",
                loc,
                (other.name, c.name),
            )


def placement_problems(c: Cluster, address: IPAddress) -> Iterator[str]:
    nodes = [n for n in c.networks("nodeCIDRs") if n.version == address.version]
    home = next((n for n in nodes if address in n), None)
    if home is not None:
        if address == home.network_address and home.num_addresses > 2:
            yield f"is the network address of nodeCIDRs {home}; pick a host address inside it"
        elif address.version == 4 and address == home.broadcast_address and home.num_addresses > 2:
            yield f"is the broadcast address of nodeCIDRs {home}; pick a host address inside it"
    elif any(r.network is None for r in c.cidrs("nodeCIDRs")):
        pass  # an unparsable node range is reported as cidr-invalid; it may well hold the endpoint
    elif nodes:
        yield (
            f"is not in any of its nodeCIDRs ({', '.join(str(n) for n in nodes)}); the internal load "
            "balancer takes an address from the cluster's node subnets"
        )
    else:
        yield f"is IPv{address.version} but the cluster has no IPv{address.version} nodeCIDRs to take it from"
    for fld in ("podCIDRs", "serviceCIDRs"):
        for n in c.networks(fld):
            if n.version == address.version and address in n:
                yield f"lies in its {fld} {n}; it must be a node-subnet address, outside pod and service ranges"
