"""Rule ``dns-extra-zone``: extra forward zones (``spec.dns.extraZones``, ``dns.extraZones``) are safe to render.

The schema already holds each value to a strict grammar (an RFC 1123 name; an address
of hex digits, '.' and ':' only: no zone id, port, space or brace can reach a Corefile
or the kube-dns JSON). This rule adds what a pattern cannot say:

- every upstream parses as an IP address and is one a DNS server can forward to (not
  unspecified, loopback (the pod itself: a loop) or multicast);
- a zone is a valid DNS name that is not the root and does not equal, contain or lie
  inside a fleet zone, a clusterDomain or ``clusterset.local`` (those are fleetgen's to route);
- a zone is listed once per list.
"""

from __future__ import annotations

import ipaddress
from typing import Iterator

from generator.checks.dnsname import name_problem, proper_suffixes
from generator.diagnostics import Finding, error
from generator.model import ExtraZone, Fleet

RULE = "dns-extra-zone"
CLUSTERSET = "clusterset.local"


def dns_extra_zone(fleet: Fleet) -> Iterator[Finding]:
    owned: dict[str, str] = {CLUSTERSET: "the MCS API's clusterset.local"}
    for c in fleet.clusters:
        owned.setdefault(c.cluster_domain, f"the clusterDomain of cluster '{c.name}'")
    for c in fleet.clusters:
        owned[c.zone] = f"the fleet zone of cluster '{c.name}'"
    parents: dict[str, str] = {}  # every parent domain of an owned name -> one owned name below it
    for name in sorted(owned):
        for parent in proper_suffixes(name):
            parents.setdefault(parent, name)
    entries: dict[str, ExtraZone] = {}  # fleet-wide entries are shared by every cluster: check each once
    for c in fleet.clusters:
        for e in c.extra_zones:
            entries.setdefault(e.pointer, e)
    first: set[tuple[str, str]] = set()
    for pointer, e in entries.items():
        yield from _entry(fleet, e, owned, parents)
        key = (pointer.rsplit("/", 1)[0], e.zone)
        if key in first:
            yield error(RULE, f"extra zone '{e.zone}' is listed twice; merge the forward lists into one entry",
                        fleet.source.locate(f"{e.pointer}/zone"))
        first.add(key)


def _entry(fleet: Fleet, e: ExtraZone, owned: dict[str, str], parents: dict[str, str]) -> Iterator[Finding]:
    where = fleet.source.locate(f"{e.pointer}/zone")
    problem = name_problem(e.zone)
    if problem:
        yield error(RULE, f"extra zone '{e.zone}' {problem}", where)
    else:
        clash = _clash(e.zone, owned, parents)
        if clash:
            yield error(RULE, f"extra zone '{e.zone}' {clash}; fleetgen routes that name itself, pick a zone outside it",
                        where)
    for j, text in enumerate(e.forward):
        loc = fleet.source.locate(f"{e.pointer}/forward/{j}")
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            yield error(RULE, f"forward '{text}' of extra zone '{e.zone}' is not an IP address", loc)
            continue
        if ip.is_unspecified or ip.is_loopback or ip.is_multicast:
            kind = "unspecified" if ip.is_unspecified else "a loopback" if ip.is_loopback else "a multicast"
            yield error(RULE, f"forward '{text}' of extra zone '{e.zone}' is {kind} address; "
                        "name the DNS server's routable address", loc)


def _clash(zone: str, owned: dict[str, str], parents: dict[str, str]) -> str | None:
    if zone in owned:
        return f"is {owned[zone]}"
    for parent in proper_suffixes(zone):
        if parent in owned:
            return f"lies inside {owned[parent]} ('{parent}')"
    if zone in parents:
        inner = parents[zone]
        return f"contains {owned[inner]} ('{inner}')"
    return None
