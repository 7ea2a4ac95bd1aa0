"""Internal load balancers: how each provider pins the DNS and mesh endpoints at their address.

The blueprints (blueprints/lib/lb.libsonnet) write what ``pin`` resolves here; the
checks (generator/checks/loadbalancer.py) report what ``problems`` finds. Each
provider's own annotation is used; ``spec.loadBalancerIP`` (deprecated since
Kubernetes 1.24) is never rendered. docs/upstream-facts.md cites each key.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Iterator

from generator.model import Cluster, LbPin

# RFC 1918, RFC 6598 (shared address space) and IPv6 unique local addresses.
PRIVATE_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# GCE resource names (RFC 1035 label, 1-63 characters).
GCE_NAME_MAX = 63
# What may reach an annotation value (defence in depth: the fleet schema allows no more).
_GCE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBNET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


@dataclass(frozen=True)
class Pinned:
    """What the blueprints render for one internal load balancer (see ``view``)."""

    ip: str | None
    subnets: tuple[str, ...]
    addresses: tuple[str, ...]  # AWS: one per subnet, or empty (then no address annotation)
    address_name: str | None  # GKE: the reserved address
    controller: str  # generic clusters' bare-metal load balancer

    def view(self) -> dict[str, Any]:
        return {
            "ip": self.ip,
            "subnets": list(self.subnets),
            "addresses": list(self.addresses),
            "addressName": self.address_name,
            "controller": self.controller,
        }


def is_private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in PRIVATE_RANGES)


def default_address_name(cluster: Cluster, which: str) -> str:
    return f"fleet-{which}-{cluster.name}"


def _spec(cluster: Cluster, which: str) -> tuple[str | None, LbPin]:
    if which == "dns":
        return cluster.dns_endpoint, cluster.dns_lb
    pin = cluster.mesh_lb
    if not pin.subnets:  # the mesh load balancer defaults to the DNS endpoint's subnets (names only)
        pin = LbPin(cluster.dns_lb.subnets, (None,) * len(cluster.dns_lb.subnets), pin.address_name, pin.pointer)
    return cluster.mesh_endpoint, pin


def _aws_addresses(ip: str | None, pin: LbPin) -> tuple[str, ...]:
    """One private address per subnet, or none. A lone subnet written by name takes the endpoint."""
    if ip is None or not pin.subnets:
        return ()
    addresses = pin.addresses
    if len(pin.subnets) == 1 and addresses[0] is None:
        addresses = (ip,)
    if any(a is None for a in addresses) or ip not in addresses:
        return ()
    if any(_version(a) != 4 for a in addresses):
        return ()
    return tuple(a for a in addresses if a is not None)


def _version(address: str | None) -> int | None:
    """4 or 6 for a plain IP address (no IPv6 zone id), else None."""
    if not address or "%" in address:
        return None
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def pin(cluster: Cluster, which: str) -> Pinned:
    """``which``: ``dns`` (the DNS endpoint) or ``mesh`` (the mesh entry point)."""
    raw, spec = _spec(cluster, which)
    ip = raw if _version(raw) else None  # nothing but a plain address is ever written into an annotation
    name = spec.address_name or default_address_name(cluster, which)
    aws = cluster.provider == "aws" and ip is not None and all(_SUBNET.match(s) for s in spec.subnets)
    return Pinned(
        ip=ip,
        subnets=spec.subnets if aws else (),
        addresses=_aws_addresses(ip, spec) if aws else (),
        address_name=name if cluster.provider == "gcp" and ip is not None and _GCE_NAME.match(name) else None,
        controller=cluster.lb_controller,
    )


def problems(cluster: Cluster, which: str) -> Iterator[tuple[str, str]]:
    """(fleet pointer, message) for every way the provider cannot pin the endpoint as written (rule ``lb-pin``)."""
    ip, spec = _spec(cluster, which)
    if ip is None or _version(ip) is None:
        return
    field = f"{which}.endpoint"
    if cluster.provider == "aws":
        own = spec.pointer + "/loadBalancerSubnets"
        if not spec.subnets:
            yield (f"{spec.pointer}/endpoint",
                   f"{field} {ip} cannot be pinned on AWS without the NLB's subnets: the AWS Load Balancer "
                   "Controller takes private-ipv4-addresses only together with aws-load-balancer-subnets, one "
                   f"address per subnet; add {which}.loadBalancerSubnets ({{subnet, address}} per availability "
                   f"zone, one of them {ip})")
            return
        if _version(ip) != 4:
            yield (f"{spec.pointer}/endpoint",
                   f"{field} {ip} is IPv6: the AWS Load Balancer Controller pins only private IPv4 addresses "
                   "(aws-load-balancer-private-ipv4-addresses)")
            return
        if len(spec.subnets) > 1 and any(a is None for a in spec.addresses):
            missing = ", ".join(s for s, a in zip(spec.subnets, spec.addresses) if a is None)
            yield (own,
                   f"{field} {ip}: the NLB spans {len(spec.subnets)} subnets and the AWS Load Balancer Controller "
                   f"needs one private address per subnet; subnet(s) {missing} have none: write "
                   f"{which}.loadBalancerSubnets as {{subnet, address}}, one per subnet")
            return
        given = [a for a in spec.addresses if a is not None]
        if given and ip not in given:
            yield (f"{spec.pointer}/endpoint",
                   f"{field} {ip} is none of the addresses pinned on its loadBalancerSubnets "
                   f"({', '.join(given)}); peers would send traffic to an address the NLB does not hold")
        for a in given:
            if _version(a) != 4:
                yield (own, f"{which}.loadBalancerSubnets address {a} is not an IPv4 address: the AWS Load "
                            "Balancer Controller pins only private IPv4 addresses")
    elif cluster.provider == "gcp":
        name = spec.address_name or default_address_name(cluster, which)
        if len(name) > GCE_NAME_MAX:
            yield (f"{spec.pointer}/endpoint",
                   f"{field} {ip}: the default reserved address name {name!r} is longer than {GCE_NAME_MAX} "
                   f"characters (a GCE resource name); set {which}.addressName to the name of the reserved "
                   "internal address")

