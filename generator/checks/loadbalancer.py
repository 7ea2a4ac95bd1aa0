"""Internal load balancers as each provider can build them (rules ``lb-pin`` and ``endpoint-public``).

``lb-pin``: the provider's controller can put the load balancer at the declared
address (AWS: one private address per pinned subnet; GKE: a reserved address name).
``endpoint-public``: DNS and mesh endpoints are private addresses (RFC 1918,
RFC 6598, IPv6 ULA) unless the cluster sets ``loadBalancer.allowPublicAddresses``.
"""

from __future__ import annotations

import ipaddress
from typing import Iterator

from generator import lb
from generator.diagnostics import Finding, error
from generator.model import Fleet


def lb_pin(fleet: Fleet) -> Iterator[Finding]:
    for c in fleet.clusters:
        for which in ("dns", "mesh"):
            for pointer, message in lb.problems(c, which):
                yield error("lb-pin", f"cluster '{c.name}': {message}", fleet.source.locate(pointer), (c.name,))


def endpoint_public(fleet: Fleet) -> Iterator[Finding]:
    for c in fleet.clusters:
        if c.allow_public_endpoints:
            continue
        for which, address in (("dns", c.dns_endpoint), ("mesh", c.mesh_endpoint)):
            if not address or lb.is_private(address) or not _parses(address):
                continue
            yield error(
                "endpoint-public",
                f"{which}.endpoint {address} of cluster '{c.name}' is not a private address (RFC 1918, "
                "RFC 6598 100.64.0.0/10 or IPv6 ULA fc00::/7): its load balancer would expose the cluster's "
                f"{'DNS' if which == 'dns' else 'mesh entry point'} publicly; pick a private address, or set "
                "loadBalancer.allowPublicAddresses: true on the cluster if that is intended",
                fleet.source.locate(f"{c.pointer}/{which}/endpoint"),
                (c.name,),
            )


def _parses(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
