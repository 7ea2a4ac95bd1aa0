"""Rule ``overlay``: a Calico BGP overlay fleet (connectivity.mode: overlay) that can peer.

Errors: ``connectivity.calico`` missing; a cluster without an AS number or without a
route reflector; a route reflector that is not an IP address or not inside the
cluster's nodeCIDRs; a reserved AS number (0, 23456, 64496-64511, 65535,
65536-65551, 4294967295). Warnings: a public AS number (not in 64512-65534 or
4200000000-4294967294); VXLAN encapsulation (Calico programs VXLAN routes from its own
cluster's datastore, not from BGP, so remote clusters' pods learned over BGP are not
reached through VXLAN tunnels; use None or IPIP).
"""

from __future__ import annotations

from typing import Iterator

from generator.diagnostics import Finding, error, warning
from generator.model import Cluster, Fleet, ip_address
from generator.overlay import as_number


def _reserved(asn: int) -> bool:
    return asn in (0, 23456, 65535, 4294967295) or 64496 <= asn <= 64511 or 65536 <= asn <= 65551


def _private(asn: int) -> bool:
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def overlay(fleet: Fleet) -> Iterator[Finding]:
    if fleet.connectivity.mode != "overlay":
        return
    calico = fleet.connectivity.calico
    if not calico:
        yield error(
            "overlay",
            "connectivity.mode is overlay but connectivity.calico is not set: declare at least its asNumber",
            fleet.source.locate("/spec/connectivity/mode"),
        )
    if str(calico.get("encapsulation", "None")).startswith("VXLAN"):
        yield warning(
            "overlay",
            f"encapsulation {calico['encapsulation']} across clusters: Calico programs VXLAN routes from its own "
            "cluster's datastore, so pods of other clusters learned over BGP are not reached through VXLAN; "
            "use None or IPIP",
            fleet.source.locate("/spec/connectivity/calico/encapsulation"),
        )
    if "asNumber" in calico:
        yield from _as_findings(fleet, int(calico["asNumber"]), "/spec/connectivity/calico/asNumber", ())
    for cluster in fleet.clusters:
        yield from _cluster(fleet, cluster)


def _as_findings(fleet: Fleet, asn: int, ptr: str, clusters: tuple[str, ...]) -> Iterator[Finding]:
    loc = fleet.source.locate(ptr)
    if _reserved(asn):
        yield error("overlay", f"AS number {asn} is reserved (RFC 5398, 6793, 7300); pick a private one", loc, clusters)
    elif not _private(asn):
        yield warning(
            "overlay",
            f"AS number {asn} is public; unless you own it, use a private one (64512-65534, 4200000000-4294967294)",
            loc,
            clusters,
        )


def _cluster(fleet: Fleet, cluster: Cluster) -> Iterator[Finding]:
    names = (cluster.name,)
    if cluster.calico_as is not None:
        yield from _as_findings(fleet, cluster.calico_as, f"{cluster.pointer}/calico/asNumber", names)
    elif as_number(fleet, cluster) is None:
        yield error(
            "overlay",
            f"cluster '{cluster.name}' has no BGP AS number: set calico.asNumber on it or connectivity.calico.asNumber",
            fleet.source.locate(f"{cluster.pointer}/name"),
            names,
        )
    if not cluster.route_reflectors:
        yield error(
            "overlay",
            f"cluster '{cluster.name}' has no calico.routeReflectors: the overlay peers clusters through their "
            "route reflectors (give at least one node IP)",
            fleet.source.locate(f"{cluster.pointer}/name"),
            names,
        )
    nodes = cluster.networks("nodeCIDRs")
    for j, text in enumerate(cluster.route_reflectors):
        loc = fleet.source.locate(f"{cluster.pointer}/calico/routeReflectors/{j}")
        try:
            ip = ip_address(text)
        except ValueError:
            yield error("overlay", f"route reflector '{text}' of '{cluster.name}' is not an IP address", loc, names)
            continue
        if not any(ip.version == n.version and ip in n for n in nodes):
            yield error(
                "overlay",
                f"route reflector {ip} of '{cluster.name}' is not inside its nodeCIDRs "
                f"({', '.join(str(n) for n in nodes) or 'none declared'})",
                loc,
                names,
            )
