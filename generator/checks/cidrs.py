"""Address-plan checks: ranges that do not parse, overlap, or use reserved space.

Rules: ``cidr-invalid``, ``cidr-overlap``, ``cidr-reserved`` (docs/rules.md).
"""

from __future__ import annotations

import ipaddress
from typing import Iterator

from generator.checks.overlap import overlapping_pairs
from generator.diagnostics import Finding, Location, Severity, error, warning
from generator.model import Cluster, Fleet, IPNetwork, Range, ip_address

_FAMILY = {4: "IPv4", 6: "IPv6"}


def cidr_invalid(fleet: Fleet) -> Iterator[Finding]:
    for c in fleet.clusters:
        for r in c.ranges:
            if r.network is None:
                yield error("cidr-invalid", _range_problem(r), fleet.source.locate(r.pointer), (c.name,))
        yield from _family_mismatch(fleet, c)
        addresses = [("dns.endpoint", f"{c.pointer}/dns/endpoint", c.dns_endpoint)] if c.dns_endpoint else []
        addresses += [
            ("calico.routeReflectors", f"{c.pointer}/calico/routeReflectors/{i}", rr)
            for i, rr in enumerate(c.route_reflectors)
        ]
        for fld, ptr, text in addresses:
            if _address(text) is None:
                yield error(
                    "cidr-invalid",
                    f"{fld} '{text}' of cluster '{c.name}' is not an IPv4 or IPv6 address (e.g. 10.10.255.10)"
                    + ("; drop the IPv6 zone id ('%')" if "%" in text else ""),
                    fleet.source.locate(ptr),
                    (c.name,),
                )


def _range_problem(r: Range) -> str:
    where = f"{r.field} '{r.text}' of cluster '{r.cluster}'"
    if "%" in r.text:
        return f"{where} carries an IPv6 zone id ('%'); a CIDR names a network, never an interface: drop the zone id"
    if "/" not in r.text:
        return f"{where} has no prefix length; write it in CIDR notation, e.g. '{r.text}/16'"
    try:
        loose = ipaddress.ip_network(r.text, strict=False)
    except ValueError:
        return f"{where} is not an IPv4 or IPv6 network in CIDR notation (e.g. 10.10.0.0/16)"
    return f"{where}: {r.text} has host bits set; did you mean {loose}?"


def _family_mismatch(fleet: Fleet, c: Cluster) -> Iterator[Finding]:
    """Service families need pods of that family; pod families need nodes of that family.

    A family used for services but not for pods gives Services addresses no
    endpoint can have (error). Pods of a family the nodes do not have cannot be
    routed natively between clusters (warning: an overlay can still carry them).
    """
    families = {fld: {n.version for n in c.networks(fld)} for fld in ("nodeCIDRs", "podCIDRs", "serviceCIDRs")}
    checks = (("serviceCIDRs", "podCIDRs", Severity.ERROR), ("podCIDRs", "nodeCIDRs", Severity.WARNING))
    for fld, basis, severity in checks:
        if not families[basis]:
            continue
        for r in c.cidrs(fld):
            if r.network is None or r.network.version in families[basis]:
                continue
            family = _FAMILY[r.network.version]
            message = (
                f"{fld} {r.text} of cluster '{c.name}' is {family} but the cluster has no {family} {basis}; "
                f"add an {family} range to {basis} (dual stack) or remove this one"
            )
            yield Finding("cidr-invalid", severity, message, fleet.source.locate(r.pointer), (c.name,))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def cidr_overlap(fleet: Fleet) -> Iterator[Finding]:
    """Every overlapping pair of node, pod and service ranges, in one cluster and across clusters."""
    items: list[tuple[IPNetwork, tuple[int, Range]]] = []
    for r in (r for c in fleet.clusters for r in c.ranges):
        if r.network is not None:
            items.append((r.network, (len(items), r)))
    for (ia, a), (ib, b) in overlapping_pairs(items):
        first, later = (a, b) if ia < ib else (b, a)
        yield _overlap_finding(fleet, first, later)


def _overlap_finding(fleet: Fleet, first: Range, later: Range) -> Finding:
    what = f"{later.field} {later.text} of cluster '{later.cluster}' overlaps {first.field} {first.text} of "
    loc = fleet.source.locate(later.pointer)
    if first.cluster == later.cluster:
        message = what + "the same cluster; every node, pod and service range of a cluster must be distinct"
        return error("cidr-overlap", message, loc, (later.cluster,))
    clusters = (first.cluster, later.cluster)
    if first.cluster in fleet.peers.get(later.cluster, ()):
        message = what + f"cluster '{first.cluster}'; peers route to each other's ranges, so move one of them"
        return error("cidr-overlap", message, loc, clusters)
    message = what + (
        f"cluster '{first.cluster}'; they share no group today, but joining them later will need a renumbering"
    )
    return warning("cidr-overlap", message, loc, clusters)


# (network, what it is, severity). The first block a range overlaps is reported.
RESERVED: tuple[tuple[IPNetwork, str, Severity], ...] = tuple(
    (ipaddress.ip_network(net), what, sev)
    for net, what, sev in (
        ("0.0.0.0/8", "'this network' (RFC 1122), never a source or destination", Severity.ERROR),
        ("127.0.0.0/8", "loopback (RFC 1122)", Severity.ERROR),
        ("169.254.0.0/16", "link-local (RFC 3927; clouds serve instance metadata at 169.254.169.254)", Severity.ERROR),
        ("224.0.0.0/4", "multicast (RFC 5771)", Severity.ERROR),
        ("240.0.0.0/4", "reserved and limited broadcast (RFC 1112, RFC 919)", Severity.ERROR),
        ("::/128", "the unspecified address (RFC 4291)", Severity.ERROR),
        ("::1/128", "loopback (RFC 4291)", Severity.ERROR),
        ("::ffff:0:0/96", "IPv4-mapped addresses (RFC 4291)", Severity.ERROR),
        ("fe80::/10", "link-local (RFC 4291)", Severity.ERROR),
        ("ff00::/8", "multicast (RFC 4291)", Severity.ERROR),
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)", Severity.WARNING),
        ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)", Severity.WARNING),
        ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)", Severity.WARNING),
        ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)", Severity.WARNING),
        ("198.18.0.0/15", "benchmarking (RFC 2544)", Severity.WARNING),
        ("2001:db8::/32", "documentation (RFC 3849)", Severity.WARNING),
        (
            "172.17.0.0/16",
            "the Docker default bridge (docker0); pods on nodes that run Docker cannot reach it",
            Severity.WARNING,
        ),
    )
)

# EKS: a custom service IPv4 range must lie in RFC 1918 space and be /24../12.
EKS_SERVICE_BLOCKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def cidr_reserved(fleet: Fleet) -> Iterator[Finding]:
    for c in fleet.clusters:
        for r in c.ranges:
            net = r.network
            if net is None:
                continue
            loc = fleet.source.locate(r.pointer)
            hit = next((x for x in RESERVED if x[0].version == net.version and x[0].overlaps(net)), None)
            if hit is not None:
                block, what, severity = hit
                message = f"{r.field} {r.text} of cluster '{c.name}' overlaps {block}, {what}; pick another range"
                yield Finding("cidr-reserved", severity, message, loc, (c.name,))
            elif c.provider == "aws" and r.field == "serviceCIDRs" and net.version == 4:
                yield from _eks_service(r, net, c, loc)


def _eks_service(r: Range, net: IPNetwork, c: Cluster, loc: Location) -> Iterator[Finding]:
    if not any(b.supernet_of(net) for b in EKS_SERVICE_BLOCKS if b.version == net.version):  # type: ignore[arg-type]
        yield error(
            "cidr-reserved",
            f"serviceCIDRs {r.text} of EKS cluster '{c.name}' is outside 10.0.0.0/8, 172.16.0.0/12 and "
            "192.168.0.0/16; EKS accepts a service range only inside those blocks",
            loc,
            (c.name,),
        )
    elif not 12 <= net.prefixlen <= 24:
        yield error(
            "cidr-reserved",
            f"serviceCIDRs {r.text} of EKS cluster '{c.name}' is a /{net.prefixlen}; EKS accepts /12 to /24",
            loc,
            (c.name,),
        )
