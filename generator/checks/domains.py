"""DNS zone checks: each cluster's fleet zone must be valid, unique and not nested.

Rules: ``domain-invalid``, ``domain-duplicate``, ``domain-nested``, ``domain-pattern``.
A cluster's zone comes from ``dns.zone`` or, when that is absent, from
``spec.dns.zonePattern``; findings point at ``dns.zone`` or at the cluster name.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.dnsname import name_problem, proper_suffixes
from generator.diagnostics import Finding, Location, error, warning
from generator.model import Cluster, Fleet, zone_for

CLUSTERSET = "clusterset.local"


def _zone_location(fleet: Fleet, c: Cluster) -> Location:
    return fleet.source.locate(f"{c.pointer}/dns/zone" if c.zone_explicit else f"{c.pointer}/name")


def _zone_origin(fleet: Fleet, c: Cluster) -> str:
    return "dns.zone" if c.zone_explicit else f"zone (from zonePattern '{fleet.dns.zone_pattern}')"


def domain_invalid(fleet: Fleet) -> Iterator[Finding]:
    domains = {c.cluster_domain: c.name for c in fleet.clusters}
    for c in fleet.clusters:
        problem = name_problem(c.zone)
        if problem:
            yield error(
                "domain-invalid",
                f"{_zone_origin(fleet, c)} '{c.zone}' of cluster '{c.name}' {problem}",
                _zone_location(fleet, c),
                (c.name,),
            )
        elif c.zone in domains:
            owner = domains[c.zone]
            whose = "its own clusterDomain" if owner == c.name else f"the clusterDomain of cluster '{owner}'"
            yield error(
                "domain-invalid",
                f"{_zone_origin(fleet, c)} '{c.zone}' of cluster '{c.name}' equals {whose}; "
                "a fleet zone must be a name of its own, e.g. '<cluster>.local'",
                _zone_location(fleet, c),
                (c.name,) if owner == c.name else (owner, c.name),
            )
        problem = name_problem(c.cluster_domain)
        if problem:
            yield error(
                "domain-invalid",
                f"dns.clusterDomain '{c.cluster_domain}' of cluster '{c.name}' {problem}",
                fleet.source.locate(f"{c.pointer}/dns/clusterDomain"),
                (c.name,),
            )


def domain_duplicate(fleet: Fleet) -> Iterator[Finding]:
    first: dict[str, Cluster] = {}
    for c in fleet.clusters:
        other = first.setdefault(c.zone, c)
        if other is c or other.name == c.name:  # the same name twice is cluster-duplicate
            continue
        yield error(
            "domain-duplicate",
            f"clusters '{other.name}' and '{c.name}' both use the zone '{c.zone}'; "
            "each cluster needs its own zone for peers to tell them apart",
            _zone_location(fleet, c),
            (other.name, c.name),
        )


def domain_nested(fleet: Fleet) -> Iterator[Finding]:
    """A zone inside another zone, inside a clusterDomain or clusterset.local (and clusterDomains inside zones).

    Looks up every parent domain of every name in a set: O(names x labels), not all pairs.
    """
    zones: dict[str, Cluster] = {}
    for c in fleet.clusters:
        zones.setdefault(c.zone, c)
    domains: dict[str, Cluster] = {}
    for c in fleet.clusters:
        domains.setdefault(c.cluster_domain, c)
    for c in fleet.clusters:
        if c.zone == CLUSTERSET:
            yield _nested(fleet, c, f"is '{CLUSTERSET}', which the MCS API owns", ())
        for parent in proper_suffixes(c.zone):
            if parent in zones and zones[parent].name != c.name:
                owner = zones[parent].name
                yield _nested(fleet, c, f"lies inside the zone '{parent}' of cluster '{owner}'", (owner,))
            if parent == c.cluster_domain:
                yield _nested(fleet, c, f"lies inside its own clusterDomain '{parent}'", ())
            elif parent in domains:
                owner = domains[parent].name
                yield _nested(fleet, c, f"lies inside the clusterDomain '{parent}' of cluster '{owner}'", (owner,))
            if parent == CLUSTERSET:
                yield _nested(fleet, c, f"lies inside '{CLUSTERSET}', which the MCS API owns", ())
    for c in fleet.clusters:
        for parent in proper_suffixes(c.cluster_domain):
            if parent in zones:
                holder = zones[parent]
                yield error(
                    "domain-nested",
                    f"dns.clusterDomain '{c.cluster_domain}' of cluster '{c.name}' lies inside the zone "
                    f"'{parent}' of cluster '{holder.name}'; queries for it would be forwarded to '{holder.name}'",
                    fleet.source.locate(f"{c.pointer}/dns/clusterDomain"),
                    tuple(dict.fromkeys((holder.name, c.name))),
                )


def _nested(fleet: Fleet, c: Cluster, where: str, others: tuple[str, ...]) -> Finding:
    return error(
        "domain-nested",
        f"{_zone_origin(fleet, c)} '{c.zone}' of cluster '{c.name}' {where}; "
        "nested zones make forwarding ambiguous, pick a zone outside it",
        _zone_location(fleet, c),
        tuple(dict.fromkeys(others + (c.name,))),
    )


def domain_pattern(fleet: Fleet) -> Iterator[Finding]:
    for c in fleet.clusters:
        expected = zone_for(fleet.dns.zone_pattern, c.name)
        if c.zone_explicit and c.zone != expected:
            yield warning(
                "domain-pattern",
                f"dns.zone '{c.zone}' of cluster '{c.name}' deviates from zonePattern "
                f"'{fleet.dns.zone_pattern}' ('{expected}'); drop dns.zone or keep it on purpose",
                _zone_location(fleet, c),
                (c.name,),
            )
