"""Built-in checks over the fleet model. Each check is a function Fleet -> findings.

Checks never stop at the first problem; ``run`` collects every finding of every
check. Rule ids are part of the public contract (see docs/rules.md).
"""

from __future__ import annotations

from typing import Callable, Iterable

from generator.checks import basics, discovery
from generator.diagnostics import Finding, sorted_findings
from generator.model import Fleet

Check = Callable[[Fleet], Iterable[Finding]]

CHECKS: tuple[Check, ...] = (
    basics.cluster_duplicate,
    basics.placement,
    basics.dns_endpoint_present,
    discovery.discovery_ip,
    discovery.dns_image,
    discovery.discovery_apiserver,
    discovery.consul_datacenter,
    discovery.coredns_version,
)


def run(fleet: Fleet, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(fleet))
    return sorted_findings(findings)
