"""DNS resolution proof (rule ``dns-unresolvable``) over the rendered output.

``prove(fleet, files, out_dir)`` resolves every seed name of every workload from
every cluster of the owning cluster's group(s), hop by hop, through the DNS
configuration that was rendered, and reports each broken route once.
``tracer(fleet, files, out_dir).explain(cluster, name)`` gives the hops for one name.
"""

from __future__ import annotations

from typing import Any

from generator.diagnostics import Finding, Location, error
from generator.dnsproof.rendered import fleet_dns
from generator.dnsproof.trace import Explanation, Route, Tracer
from generator.model import Fleet
from generator.view import seeds

RULE = "dns-unresolvable"

__all__ = ["RULE", "Explanation", "Route", "Tracer", "prove", "tracer"]


def tracer(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> Tracer:
    names = tuple(fleet.by_name)
    return Tracer(fleet_dns(names, files), {c.name: c.zone for c in fleet.by_name.values()}, out_dir)


def prove(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> list[Finding]:
    t = tracer(fleet, files, out_dir)
    broken: dict[tuple[str, str, str | None], list[tuple[str, str | None]]] = {}
    for workload in fleet.workloads:
        for name in seeds(fleet, workload):
            owner = t.owner_of(name)
            if owner is None:
                continue
            for asker in (owner, *fleet.peers.get(owner, ())):
                for route in t.explain(asker, name).routes:
                    if not route.resolved:
                        names = broken.setdefault((asker, route.failure or "does not resolve", route.path), [])
                        if (name, owner) not in names:
                            names.append((name, owner))
    findings = []
    for (asker, failure, path), names in broken.items():
        more = f" (and {len(names) - 1} more seed names)" if len(names) > 1 else ""
        where = Location(f"{t.out_dir}/{path}", 1, 1) if path else fleet.source.locate(fleet.by_name[asker].pointer)
        owners = tuple(dict.fromkeys(o for _, o in names if o and o != asker))
        findings.append(error(RULE, f"from {asker}, {names[0][0]} {failure}{more}", where, (asker, *owners)))
    return findings


def format_explanation(ex: Explanation) -> str:
    """The hops of every route, numbered, then the verdict (``resolves: yes|no``)."""
    lines = [f"{ex.asker} asks {ex.name}"]
    many = len(ex.routes) > 1
    for i, route in enumerate(ex.routes, 1):
        if many:
            lines.append(f" route {i} of {len(ex.routes)}:")
        for j, hop in enumerate(route.hops, 1):
            lines.append(f" {j:>2}. {hop}")
        if not route.resolved:
            lines.append(f"  x  {route.failure}")
    if ex.owner is None:
        lines.append(" note: the name is in no cluster's fleet zone; only fleet zones are proven")
    lines.append(f"resolves: {'yes' if ex.resolved else 'no'}")
    return "\n".join(lines) + "\n"
