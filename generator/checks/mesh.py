"""Mesh-wide trust domain validity (rule ``mesh-trust-domain``).

Per-mesh identity rules (Cilium ids and names, Istio meshID and networks, a
trust domain being required) live with each mesh kind in ``generator.mesh``;
this check only adds what is common to Istio and Linkerd: a trust domain that is
set must be a valid DNS name.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.dnsname import name_problem
from generator.diagnostics import Finding, error
from generator.model import Fleet


def mesh_trust_domain(fleet: Fleet) -> Iterator[Finding]:
    if fleet.mesh.type not in ("istio", "linkerd") or not fleet.mesh.trust_domain:
        return
    problem = name_problem(fleet.mesh.trust_domain)
    if problem:
        yield error(
            "mesh-trust-domain",
            f"spec.mesh.trustDomain '{fleet.mesh.trust_domain}' {problem}",
            fleet.source.locate("/spec/mesh/trustDomain"),
        )
