"""The post-sync verification Job's namespace (rule ``verify-namespace``).

``spec.verify`` renders a Namespace (Pod Security ``restricted``) with the Job,
its ConfigMap, ServiceAccount and NetworkPolicy in every cluster. In a namespace a
workload also uses, each cluster's kustomization would hold two Namespace objects
of one name (kustomize refuses the whole root) and the workload's pods would fall
under the Job's Pod Security level; in a system or engine namespace fleetgen would
take over a namespace it does not own.
"""

from __future__ import annotations

from typing import Iterator

from generator.checks.reservednames import owner_of_namespace
from generator.diagnostics import Finding, error
from generator.model import Fleet

RULE = "verify-namespace"


def verify_namespace(fleet: Fleet) -> Iterator[Finding]:
    v = fleet.verify
    if v is None:
        return
    where = fleet.source.locate(f"{v.pointer}/namespace")  # spec.verify itself when the default is used
    owner = owner_of_namespace(fleet, v.namespace)
    if owner is not None:
        yield error(RULE, f"spec.verify.namespace '{v.namespace}' is owned by {owner}: the verification Job needs a "
                    "namespace of its own (default fleetgen-verify)", where)
    users = [w for w in fleet.workloads if w.namespace == v.namespace]
    if users:
        names = ", ".join(f"'{w.namespace}/{w.name}'" for w in users)
        clusters = tuple(dict.fromkeys(c for w in users for c, n in w.placement if n > 0))
        yield error(RULE, f"spec.verify.namespace '{v.namespace}' is also the namespace of workload {names}: every "
                    "cluster would get two Namespace objects of that name; give the verification Job a namespace "
                    "of its own (default fleetgen-verify)", where, clusters)
