"""API-server rules that follow from the fleet file alone, reported at the fleet field.

A workload's ports become the ports of its headless Service (and of the pods the
user runs behind it), its name the Service's name. The API server refuses a
Service with two ports of the same name or the same (port, protocol) pair, and a
Service whose name is not a DNS-1035 label; container port names must be IANA
service names. Catching these here names the fleet field instead of the output
file; ``generator.apivalidation`` checks the rendered objects themselves.
"""

from __future__ import annotations

from typing import Iterator

from generator.apivalidation import RULE, dns1035_label, port_name
from generator.diagnostics import Finding, error
from generator.model import Fleet


def workload_ports(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        clusters = tuple(c for c, _ in w.placement)
        names: dict[str, int] = {}
        pairs: dict[tuple[int, str], int] = {}
        for i, port in enumerate(w.ports):
            ptr = f"{w.pointer}/ports/{i}"
            for message in port_name(port.name):
                yield error(RULE, f"workload '{w.namespace}/{w.name}' port name '{port.name}' is not an IANA service "
                            f"name (a container port name): {message}", fleet.source.locate(f"{ptr}/name"), clusters)
            if port.name in names:
                yield error(RULE, f"workload '{w.namespace}/{w.name}' names two ports '{port.name}' (ports[{names[port.name]}] "
                            f"and ports[{i}]); the API server refuses its Service (spec.ports[{i}].name: Duplicate value)",
                            fleet.source.locate(f"{ptr}/name"), clusters)
            names.setdefault(port.name, i)
            key = (port.port, port.protocol)
            if key in pairs:
                yield error(RULE, f"workload '{w.namespace}/{w.name}' lists port {port.port}/{port.protocol} twice "
                            f"(ports[{pairs[key]}] and ports[{i}]); the API server refuses its Service "
                            f"(spec.ports[{i}]: Duplicate value)", fleet.source.locate(f"{ptr}/port"), clusters)
            pairs.setdefault(key, i)


def workload_name(fleet: Fleet) -> Iterator[Finding]:
    for w in fleet.workloads:
        for message in dns1035_label(w.name):
            yield error(RULE, f"workload name '{w.name}' names its Service, which must be a DNS-1035 label: {message}",
                        fleet.source.locate(f"{w.pointer}/name"), tuple(c for c, _ in w.placement))


def workload_duplicate(fleet: Fleet) -> Iterator[Finding]:
    """Two workloads with one namespace/name placed in one cluster would render the same objects there."""
    placed: dict[tuple[str, str, str], int] = {}
    for i, w in enumerate(fleet.workloads):
        shared = []
        for cluster, _ in w.placement:
            key = (w.namespace, w.name, cluster)
            if key in placed and placed[key] != i:
                shared.append((cluster, placed[key]))
            placed.setdefault(key, i)
        if shared:
            clusters = tuple(c for c, _ in shared)
            yield error(RULE, f"workload '{w.namespace}/{w.name}' is declared twice (workloads[{shared[0][1]}] and "
                        f"workloads[{i}]) and placed in {', '.join(clusters)} by both; both would render "
                        f"Service {w.namespace}/{w.name} there", fleet.source.locate(f"{w.pointer}/name"), clusters)
