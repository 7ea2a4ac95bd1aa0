"""Checks that compare rendered documents of different clusters with each other.

``dns-peer-zone-missing`` and ``workload-ports-inconsistent`` need every cluster's
documents at once. They were Rego policies in combined mode, which the embedded
engine (regopy) evaluates in time that grows faster than the number of documents
(12 s for the 2,053 documents of 200 clusters); here they are one pass over the
documents, linear in the fleet. Their Rego twins stay in
``policies-combined/`` for ``conftest test --combine`` and give the same findings
(tests/test_crosscheck.py runs both on the same renders).

Both read the rendered documents, never the fleet model, except for what the
facts document states (each cluster's zone, DNS endpoint and peers): what is
checked is what would be synced.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from generator.diagnostics import Finding, Location, error
from generator.model import Fleet

# `<zone>:53 { ... }` server blocks; the zone starts the text or follows whitespace
# (the same expression as the Rego twin, with RE2's `\s`).
_SERVER_BLOCK = re.compile(r"(?:^|[\t\n\f\r ]|\\n)([A-Za-z0-9.-]+):53[\t\n\f\r ]*\{([^}]*)\}")
_FORWARD = re.compile(r"forward[\t\n\f\r ]+\.[\t\n\f\r ]+([^\n}]+)")
_ADDRESS = re.compile(r"[0-9A-Fa-f:.\[\]]+")
FACTS_FILE = "fleet.facts.json"


def host(endpoint: str) -> str:
    """The address of an upstream as written: ``10.0.0.1``, ``10.0.0.1:53``, ``[fd10::53]:53`` or ``fd10::53``.

    Only port 53 is stripped (another port is another server). A bare IPv6 address
    keeps its last group: ``fd10:2::53`` is not ``fd10:2:`` on port 53.
    """
    if endpoint.startswith("["):
        inside, _, rest = endpoint[1:].partition("]")
        return inside if rest in ("", ":53") else endpoint
    if endpoint.count(":") == 1 and endpoint.endswith(":53"):
        return endpoint[: -len(":53")]
    return endpoint


def _same_address(a: str, b: str) -> bool:
    return a == b or _address(a) == _address(b)


@lru_cache(maxsize=65536)
def _address(text: str) -> object:
    """The address a text names (``fd10:0::53`` is ``fd10::53``), or the text if it names none."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return text


def _upstreams(body: str) -> set[str]:
    return {address for line in _FORWARD.findall(body) for address in _ADDRESS.findall(line)}


def _blocks(text: str) -> Iterator[tuple[str, set[str]]]:
    for zone, body in _SERVER_BLOCK.findall(text):
        yield zone.removesuffix("."), _upstreams(body)


def _strings(value: Any) -> dict[str, str]:
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(value, dict) else {}


def forwards(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(zone, upstream) for every peer zone one DNS ConfigMap sends elsewhere.

    ``coredns``: the Corefile's server blocks; ``kube-dns`` (GKE): stubDomains, a JSON
    object of zone -> [address]; ``coredns-custom`` (AKS): each ``*.server`` key's blocks.
    """
    name = (obj.get("metadata") or {}).get("name")
    data = _strings(obj.get("data"))
    if name == "coredns" and "Corefile" in data:
        for zone, ups in _blocks(data["Corefile"]):
            yield from ((zone, u) for u in sorted(ups))
    elif name == "kube-dns" and "stubDomains" in data:
        try:
            stub = json.loads(data["stubDomains"])
        except ValueError:
            return
        if isinstance(stub, dict):
            for zone, ups in stub.items():
                if isinstance(ups, list):
                    yield from ((zone, u) for u in ups if isinstance(u, str))
    elif name == "coredns-custom":
        for key in sorted(data):
            if key.endswith(".server"):
                for zone, ups in _blocks(data[key]):
                    yield from ((zone, u) for u in sorted(ups))


def _cluster_of(rel: str) -> str | None:
    parts = rel.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "clusters" else None


def _is_dns_config(rel: str, obj: Any) -> bool:
    parts = rel.split("/")
    return (len(parts) > 3 and parts[0] == "clusters" and parts[2] == "dns" and isinstance(obj, dict)
            and obj.get("kind") == "ConfigMap" and (obj.get("metadata") or {}).get("namespace") == "kube-system")


def peer_zones(fleet: Fleet, files: dict[str, Any], out_dir: str) -> list[Finding]:
    """``dns-peer-zone-missing``: with ``discovery: forward``, every cluster's DNS config
    sends every peer's zone to that peer's DNS endpoint."""
    facts = files.get(FACTS_FILE)
    if not isinstance(facts, dict) or facts.get("discovery") != "forward" or not isinstance(facts.get("clusters"), list):
        return []
    clusters = [c for c in facts["clusters"] if isinstance(c, dict) and isinstance(c.get("name"), str)]
    by_name = {c["name"]: c for c in clusters}
    have: dict[str, dict[str, list[str]]] = {}  # cluster -> zone -> upstream hosts
    config: dict[str, str] = {}  # cluster -> its first DNS config file
    for rel in sorted(files):
        cluster = _cluster_of(rel)
        if cluster is None or cluster not in by_name or not _is_dns_config(rel, files[rel]):
            continue
        config.setdefault(cluster, rel)
        zones = have.setdefault(cluster, {})
        for zone, upstream in forwards(files[rel]):
            zones.setdefault(zone, []).append(host(upstream))
    findings = []
    for entry in clusters:
        name = entry["name"]
        for peer_name in entry.get("peers") or []:
            peer = by_name.get(peer_name)
            if peer is None or not isinstance(peer.get("zone"), str) or not isinstance(peer.get("dnsEndpoint"), str):
                continue
            sent = have.get(name, {}).get(peer["zone"], [])
            if any(_same_address(h, peer["dnsEndpoint"]) for h in sent):
                continue
            findings.append(error(
                "dns-peer-zone-missing",
                f"cluster {name} does not forward peer zone {peer['zone']} to {peer['dnsEndpoint']}, "
                f"the DNS endpoint of {peer_name}",
                Location(f"{out_dir}/{config.get(name, FACTS_FILE)}", 1),
                (name, peer_name),
            ))
    return findings


def _ports(spec: dict[str, Any]) -> frozenset[tuple[str, Any, str]]:
    ports = spec.get("ports")
    return frozenset((p.get("name") or "", p.get("port"), p.get("protocol") or "TCP")
                     for p in (ports if isinstance(ports, list) else []) if isinstance(p, dict))


def describe(ports: Iterable[tuple[str, Any, str]]) -> str:
    """``["cql:9042/TCP", ...]``, sorted: how the Rego twin prints them."""
    return "[" + ", ".join(json.dumps(f"{n}:{p}/{proto}") for n, p, proto in sorted(
        ports, key=lambda t: f"{t[0]}:{t[1]}/{t[2]}")) + "]"


def workload_ports(fleet: Fleet, files: dict[str, Any], out_dir: str) -> list[Finding]:
    """``workload-ports-inconsistent``: the headless Services of one workload (same
    namespace and name) list the same ports (name, port, protocol) in every cluster;
    the workload's first file (by path) is the reference."""
    services: dict[tuple[str, str], list[tuple[str, str, frozenset[tuple[str, Any, str]]]]] = {}
    for rel in sorted(files):
        obj = files[rel]
        cluster = _cluster_of(rel)
        if cluster is None or not isinstance(obj, dict) or obj.get("kind") != "Service":
            continue
        spec, meta = obj.get("spec"), obj.get("metadata")
        spec = spec if isinstance(spec, dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        if spec.get("clusterIP") != "None" or not isinstance(meta.get("name"), str):
            continue
        key = (meta.get("namespace") or "default", meta["name"])
        services.setdefault(key, []).append((rel, cluster, _ports(spec)))
    findings = []
    for (namespace, name), members in services.items():
        _, ref_cluster, ref_ports = members[0]  # sorted by path: the first file
        for rel, cluster, ports in members[1:]:
            if ports != ref_ports:
                findings.append(error(
                    "workload-ports-inconsistent",
                    f"headless Service {namespace}/{name} in cluster {cluster} has ports {describe(ports)}, "
                    f"but in cluster {ref_cluster} {describe(ref_ports)}",
                    Location(f"{out_dir}/{rel}", 1),
                    (ref_cluster, cluster),
                ))
    return findings


def run(fleet: Fleet, files: dict[str, Any], out_dir: str) -> list[Finding]:
    """Every cross-cluster check over a render."""
    return peer_zones(fleet, files, out_dir) + workload_ports(fleet, files, out_dir)
