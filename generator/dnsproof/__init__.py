"""DNS resolution proof (rule ``dns-unresolvable``) over the rendered output.

``prove(fleet, files, out_dir)`` resolves every seed name of every workload from
every cluster of the owning cluster's group(s), hop by hop, through the DNS
configuration that was rendered, and reports each broken route once.
``tracer(fleet, files, out_dir).explain(cluster, name)`` gives the hops for one name.
Every discovery option is covered: forward (fleet zones to DNS endpoints),
kubernetai (a fleet CoreDNS at a pinned ClusterIP reading peer API servers), mcs
(clusterset.local to a CoreDNS with ``multicluster``) and consul (``consul`` to
Consul DNS's pinned ClusterIP); see docs/dns-proof.md for what each proves.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterator

from generator import discovery, lb
from generator.diagnostics import Finding, Location, error
from generator.dnsproof.consul import consul_dns
from generator.dnsproof.names import naming
from generator.dnsproof.pods import pods
from generator.dnsproof.rendered import fleet_dns
from generator.dnsproof.trace import Explanation, Route, Tracer
from generator.model import Fleet
from generator.view import seeds

RULE = "dns-unresolvable"

__all__ = ["RULE", "Explanation", "Route", "Tracer", "prove", "tracer"]


def tracer(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> Tracer:
    names = tuple(fleet.by_name)
    api = {c.name: c.api_server for c in fleet.by_name.values()}
    external = {c.name: {e.zone: frozenset(e.forward) for e in c.extra_zones} for c in fleet.by_name.values()
                if c.extra_zones}
    return Tracer(fleet_dns(names, files, reserved_addresses(fleet)), naming(fleet), api, consul_dns(files, api),
                  out_dir, pods(fleet), external)


def reserved_addresses(fleet: Fleet) -> dict[str, dict[str, str]]:
    """Per cluster, the reserved address names its Services are pinned at (GKE) -> the IP each holds."""
    out: dict[str, dict[str, str]] = {}
    for c in fleet.by_name.values():
        for which in ("dns", "mesh"):
            p = lb.pin(c, which)
            if p.address_name and p.ip:
                out.setdefault(c.name, {})[p.address_name] = p.ip
    return out


def _lookups(fleet: Fleet, t: Tracer) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(seed name, owner, askers) in report order: workload, seed, then the owner and its peers."""
    for workload in fleet.workloads:
        if not discovery.seeds_depend_on_viewer(fleet):
            for name in seeds(fleet, workload):
                owner = t.owner_of(name)
                if owner is not None:
                    yield name, owner, (owner, *fleet.peers.get(owner, ()))
            continue
        # Consul peering: each asker names a peer's service its own way (<svc>.service.<peer>.peer.consul).
        seen_by: dict[str, list[str]] = {}
        placed = [c for c, replicas in workload.placement if replicas > 0 and fleet.cluster(c) is not None]
        for index, owner in enumerate(placed):
            for asker in (owner, *fleet.peers.get(owner, ())):
                if asker not in seen_by:
                    seen_by[asker] = seeds(fleet, workload, fleet.by_name[asker])
                yield seen_by[asker][index], owner, (asker,)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The proof allocates a few hundred thousand small acyclic tuples and keeps most of them (the
    memo); the cyclic collector would rescan them over and over (half the run time at 1,000
    clusters). Reference counting still frees everything; the collector is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prove(fleet: Fleet, files: dict[str, Any], out_dir: str = "output") -> list[Finding]:
    with _no_cycle_collection():
        return _prove(fleet, files, out_dir)


def _components(fleet: Fleet) -> dict[str, str]:
    """Cluster -> the first cluster (fleet order) of its connected component of the peer relation."""
    component: dict[str, str] = {}
    for first in fleet.by_name:
        if first in component:
            continue
        component[first] = first
        todo = [first]
        while todo:
            for peer in fleet.peers.get(todo.pop(), ()):
                if peer not in component:
                    component[peer] = first
                    todo.append(peer)
    return component


Lookup = tuple[int, str, str, tuple[str, ...]]  # (report order, seed name, owner, askers)


def _batches(fleet: Fleet, t: Tracer) -> list[list[Lookup]]:
    """The lookups per component of the peer relation, components in order of first appearance. A
    name's askers are its owner and the owner's peers: one component. Walks from them reach the
    servers of other components only through forwards that leave their groups (rare)."""
    component = _components(fleet)
    batches: dict[str, list[Lookup]] = {}
    askers_of: dict[tuple[str, ...], tuple[str, ...]] = {}
    for i, (name, owner, askers) in enumerate(_lookups(fleet, t)):
        askers = askers_of.setdefault(askers, askers)  # one tuple per owner, not per seed name
        batches.setdefault(component.get(owner, owner), []).append((i, name, owner, askers))
    return list(batches.values())


def _prove(fleet: Fleet, files: dict[str, Any], out_dir: str) -> list[Finding]:
    t = tracer(fleet, files, out_dir)
    # Streamed per component of the peer relation: its walk and verdict memos are dropped before the
    # next one (peak memory: the largest component, not the fleet). What each lookup found is kept
    # by its report order and replayed in that order, so the findings are those of one pass.
    by_lookup: dict[int, list[tuple[tuple[str, str, str | None], tuple[str, str]]]] = {}
    for batch in _batches(fleet, t):
        # Names of one class and owner break the same way from every asker: trace each class once.
        per_class: dict[tuple[object, ...], list[tuple[str, tuple[tuple[str, str | None], ...]]]] = {}
        for i, name, owner, askers in batch:
            out: list[tuple[tuple[str, str, str | None], tuple[str, str]]] = []
            missing = t.missing(name, owner)
            if missing is not None:  # a seed that names no pod: the seeds list itself is wrong
                out += [((asker, f"names {missing}", None), (name, owner)) for asker in askers]
            else:
                cls = t.name_class(name)
                key = (owner, askers, cls)
                results = per_class.get(key)
                if results is None:
                    results = per_class[key] = [(a, f) for a in askers if (f := t.failures(a, name, owner, cls))]
                out += [((asker, failure, path), (name, owner)) for asker, failures in results for failure, path in failures]
            if out:
                by_lookup[i] = out
        t.forget()
    broken: dict[tuple[str, str, str | None], dict[tuple[str, str], None]] = {}
    for i in sorted(by_lookup):
        for at, entry in by_lookup[i]:
            broken.setdefault(at, {}).setdefault(entry)
    findings = _extra_zones(fleet, t)
    for (asker, failure, path), found in broken.items():
        names = list(found)
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
    if ex.missing is not None:
        lines.append(f"  x  {ex.missing}")
    if ex.owner is None:
        lines.append(" note: the name is in no cluster's fleet zone; only fleet zones are proven")
    lines.append(f"resolves: {'yes' if ex.resolved else 'no'}")
    return "\n".join(lines) + "\n"


def _extra_zones(fleet: Fleet, t: Tracer) -> list[Finding]:
    """Every extra zone (dns.extraZones) of a cluster reaches exactly its declared upstreams from that cluster."""
    findings = []
    for c in fleet.by_name.values():
        for e in c.extra_zones:
            reached, failures = t.reached(c.name, e.zone)
            for failure, path in dict.fromkeys(failures):
                where = Location(f"{t.out_dir}/{path}", 1, 1) if path else fleet.source.locate(f"{e.pointer}/zone")
                findings.append(error(RULE, f"from {c.name}, extra zone {e.zone} {failure}", where, (c.name,)))
            missing = [ip for ip in e.forward if ip not in reached]
            if missing and not failures:
                findings.append(error(
                    RULE,
                    f"from {c.name}, extra zone {e.zone} never reaches {', '.join(missing)}, which the fleet file "
                    "declares as its upstream",
                    fleet.source.locate(f"{e.pointer}/forward"), (c.name,),
                ))
    return findings
