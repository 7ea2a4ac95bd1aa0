"""Built-in checks over the fleet model. Each check is a function Fleet -> findings.

Checks never stop at the first problem; ``run`` collects every finding of every
check. Rule ids are part of the public contract (see docs/rules.md).
"""

from __future__ import annotations

from typing import Callable, Iterable

from generator import mesh as mesh_kinds
from generator.checks import (
    apinames, basics, cidrs, discovery, dnsendpoint, domains, extrazones, links, loadbalancer, mesh, meshendpoint,
    overlay, reservednames, routes, urls, verifyns,
)
from generator.diagnostics import Finding, sorted_findings
from generator.model import Fleet

Check = Callable[[Fleet], Iterable[Finding]]

CHECKS: tuple[Check, ...] = (
    basics.cluster_duplicate,
    basics.placement,
    basics.group_member,
    apinames.workload_ports,
    apinames.workload_name,
    apinames.workload_duplicate,
    reservednames.reserved_name,
    verifyns.verify_namespace,
    dnsendpoint.dns_endpoint_present,
    cidrs.cidr_invalid,
    cidrs.cidr_overlap,
    cidrs.cidr_reserved,
    domains.domain_invalid,
    domains.domain_duplicate,
    domains.domain_nested,
    domains.domain_pattern,
    extrazones.dns_extra_zone,
    dnsendpoint.dns_endpoint,
    loadbalancer.lb_pin,
    loadbalancer.endpoint_public,
    links.link_missing,
    mesh.mesh_trust_domain,
    meshendpoint.mesh_endpoint,
    routes.route_plan,
    overlay.overlay,
    discovery.discovery_ip,
    discovery.dns_image,
    discovery.discovery_apiserver,
    discovery.consul_datacenter,
    discovery.coredns_version,
)
CHECKS += (mesh_kinds.check,)
CHECKS += (urls.url_credentials,)


def run(fleet: Fleet, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(fleet))
    return sorted_findings(findings)
