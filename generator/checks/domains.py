"""DNS zone checks: each cluster's fleet zone must be valid, unique and not nested.

Rules: ``domain-invalid``, ``domain-duplicate``, ``domain-nested``, ``domain-pattern``.
A cluster's zone comes from ``dns.zone`` or, when that is absent, from
``spec.dns.zonePattern``; findings point at ``dns.zone`` or at the cluster name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from generator.checks.dnsname import name_problem, proper_suffixes
from generator.diagnostics import Finding, Location, error, warning
from generator.model import Cluster, Fleet, zone_for

CLUSTERSET = "clusterset.local"


def _zone_location(fleet: Fleet, c: Cluster) -> Location:
    return fleet.source.locate(f"{c.pointer}/dns/zone" if c.zone_explicit else f"{c.pointer}/name")


def _zone_origin(fleet: Fleet, c: Cluster) -> str:
    return "dns.zone" if c.zone_explicit else f"zone (from zonePattern '{fleet.dns.zone_pattern}')"


def _domain_explicit(fleet: Fleet, c: Cluster) -> bool:
    return f"{c.pointer}/dns/clusterDomain" in fleet.source.values


def domain_invalid(fleet: Fleet) -> Iterator[Finding]:
    domains = {c.cluster_domain: c for c in fleet.clusters}
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
            holder = domains[c.zone]
            owner = holder.name
            clusters = (c.name,) if owner == c.name else (owner, c.name)
            if not c.zone_explicit and _domain_explicit(fleet, holder):
                # the zone follows the pattern; the line at fault is the clusterDomain someone wrote
                whose = "its own zone" if owner == c.name else f"the zone of cluster '{c.name}'"
                yield error(
                    "domain-invalid",
                    f"dns.clusterDomain '{holder.cluster_domain}' of cluster '{owner}' equals {whose} "
                    f"(from zonePattern '{fleet.dns.zone_pattern}'); pick another clusterDomain "
                    "(usually 'cluster.local') or set dns.zone",
                    fleet.source.locate(f"{holder.pointer}/dns/clusterDomain"),
                    clusters,
                )
                continue
            whose = "its own clusterDomain" if owner == c.name else f"the clusterDomain of cluster '{owner}'"
            yield error(
                "domain-invalid",
                f"{_zone_origin(fleet, c)} '{c.zone}' of cluster '{c.name}' equals {whose}; "
                "a fleet zone must be a name of its own, e.g. '<cluster>.local'",
                _zone_location(fleet, c),
                clusters,
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


@dataclass(frozen=True)
class _Name:
    """A zone or clusterDomain of one cluster, and whether the fleet file spells it out."""

    kind: str  # zone | clusterDomain
    cluster: Cluster
    name: str
    explicit: bool

    def origin(self, fleet: Fleet) -> str:
        return _zone_origin(fleet, self.cluster) if self.kind == "zone" else "dns.clusterDomain"

    def location(self, fleet: Fleet) -> Location:
        if self.kind == "zone":
            return _zone_location(fleet, self.cluster)
        return fleet.source.locate(f"{self.cluster.pointer}/dns/clusterDomain")


def domain_nested(fleet: Fleet) -> Iterator[Finding]:
    """A zone inside another zone, inside a clusterDomain or clusterset.local (and clusterDomains inside zones).

    Looks up every parent domain of every name in a set: O(names x labels), not all pairs.
    The finding lands on the line at fault: the inner name, unless only the outer one is written
    in the fleet file (an explicit ``dns.zone: local`` around zones that follow the pattern): then
    one finding at the outer name lists every name it swallows.
    """
    zones: dict[str, Cluster] = {}
    for c in fleet.clusters:
        zones.setdefault(c.zone, c)
    domains: dict[str, Cluster] = {}
    for c in fleet.clusters:
        domains.setdefault(c.cluster_domain, c)
    swallowed: dict[tuple[str, str], tuple[_Name, list[_Name]]] = {}

    def outer_at_fault(inner: _Name, outer: _Name) -> bool:
        if outer.explicit and not inner.explicit:
            key = (outer.kind, outer.cluster.pointer)
            swallowed.setdefault(key, (outer, []))[1].append(inner)
            return True
        return False

    for c in fleet.clusters:
        zone = _Name("zone", c, c.zone, c.zone_explicit)
        if c.zone == CLUSTERSET:
            yield _nested(fleet, c, f"is '{CLUSTERSET}', which the MCS API owns", ())
        for parent in proper_suffixes(c.zone):
            if parent in zones and zones[parent].name != c.name:
                holder = zones[parent]
                if not outer_at_fault(zone, _Name("zone", holder, parent, holder.zone_explicit)):
                    yield _nested(fleet, c, f"lies inside the zone '{parent}' of cluster '{holder.name}'", (holder.name,))
            if parent == c.cluster_domain:
                if not outer_at_fault(zone, _Name("clusterDomain", c, parent, _domain_explicit(fleet, c))):
                    yield _nested(fleet, c, f"lies inside its own clusterDomain '{parent}'", ())
            elif parent in domains:
                holder = domains[parent]
                if not outer_at_fault(zone, _Name("clusterDomain", holder, parent, _domain_explicit(fleet, holder))):
                    yield _nested(
                        fleet, c, f"lies inside the clusterDomain '{parent}' of cluster '{holder.name}'", (holder.name,)
                    )
            if parent == CLUSTERSET:
                yield _nested(fleet, c, f"lies inside '{CLUSTERSET}', which the MCS API owns", ())
    for c in fleet.clusters:
        domain = _Name("clusterDomain", c, c.cluster_domain, _domain_explicit(fleet, c))
        for parent in proper_suffixes(c.cluster_domain):
            if parent in zones:
                holder = zones[parent]
                if outer_at_fault(domain, _Name("zone", holder, parent, holder.zone_explicit)):
                    continue
                yield error(
                    "domain-nested",
                    f"dns.clusterDomain '{c.cluster_domain}' of cluster '{c.name}' lies inside the zone "
                    f"'{parent}' of cluster '{holder.name}'; queries for it would be forwarded to '{holder.name}'",
                    fleet.source.locate(f"{c.pointer}/dns/clusterDomain"),
                    tuple(dict.fromkeys((holder.name, c.name))),
                )
    for outer, inners in swallowed.values():
        yield _swallows(fleet, outer, inners)


def _swallows(fleet: Fleet, outer: _Name, inners: list[_Name]) -> Finding:
    parts: list[str] = []
    for kind in ("zone", "clusterDomain"):
        by_name: dict[str, list[str]] = {}
        for inner in inners:
            if inner.kind == kind:
                by_name.setdefault(inner.name, []).append(inner.cluster.name)
        for name, owners in by_name.items():
            owners = list(dict.fromkeys(owners))
            whose = f"cluster '{owners[0]}'" if len(owners) == 1 else "clusters " + ", ".join(f"'{o}'" for o in owners)
            parts.append(f"the {kind} '{name}' of {whose}")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    effect = (
        f"queries for them would be forwarded to '{outer.cluster.name}'"
        if outer.kind == "zone"
        else "nested zones make forwarding ambiguous"
    )
    clusters = tuple(dict.fromkeys([i.cluster.name for i in inners] + [outer.cluster.name]))
    return error(
        "domain-nested",
        f"{outer.origin(fleet)} '{outer.name}' of cluster '{outer.cluster.name}' contains {listed}; "
        f"{effect}: pick a name outside them",
        outer.location(fleet),
        clusters,
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
    """An explicit ``dns.zone`` that deviates from ``zonePattern``: a warning when it is a name of its own,
    an error when its suffix is a near miss (a typo) of a suffix the fleet uses (``b.internl`` next to
    ``{cluster}.internal``): that zone would be served and forwarded, just never under the name people query.
    """
    suffixes = {_suffix(c.zone) for c in fleet.clusters}
    for c in fleet.clusters:
        expected = zone_for(fleet.dns.zone_pattern, c.name)
        if not c.zone_explicit or c.zone == expected:
            continue
        own = _suffix(c.zone)
        if own and sum(1 for other in fleet.clusters if _suffix(other.zone) == own) < 2:
            wanted = _suffix(expected)
            candidates = [wanted] + sorted(suffixes - {wanted, own})
            near = next((s for s in candidates if s and s != own and _is_typo(own, s)), None)
            if near is not None:
                yield error(
                    "domain-pattern",
                    f"dns.zone '{c.zone}' of cluster '{c.name}' ends in '{own}', a near miss of "
                    f"'{near}' (zonePattern '{fleet.dns.zone_pattern}' gives '{expected}'); did you mean "
                    f"'{c.zone[: len(c.zone) - len(own)]}{near}'?",
                    _zone_location(fleet, c),
                    (c.name,),
                )
                continue
        yield warning(
            "domain-pattern",
            f"dns.zone '{c.zone}' of cluster '{c.name}' deviates from zonePattern "
            f"'{fleet.dns.zone_pattern}' ('{expected}'); drop dns.zone or keep it on purpose",
            _zone_location(fleet, c),
            (c.name,),
        )


def _suffix(zone: str) -> str:
    """Everything after the first label: ``b.internal`` -> ``internal``."""
    return zone.split(".", 1)[1] if "." in zone else ""


def _is_typo(a: str, b: str) -> bool:
    """Within one edit per four letters (at least one) of each other, counting a swap of neighbours as one."""
    limit = max(1, min(len(a), len(b)) // 4)
    if abs(len(a) - len(b)) > limit:
        return False
    return 0 < _edit_distance(a, b) <= limit


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]
