"""Consul DNS as the render output sets it up: the pinned ClusterIP of each cluster's Consul DNS Service.

Consul runs from a Helm release on the GitOps hub (an Argo CD Application with
``spec.source.helm.valuesObject``, or a Flux HelmRelease with ``spec.values``).
With ``dns.enabled: true`` the chart creates the ``consul-dns`` Service; its
``dns.clusterIP`` value pins the address the cluster DNS forwards ``consul`` to.
Which cluster a release lands in: an Application's ``destination.server`` (an API
server of the fleet); a HelmRelease's ``fleetgen.dev/cluster`` label (its
kubeconfig Secret, the real target, is not in the output).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHART = "consul"
DEFAULT_DOMAIN = "consul"


@dataclass(frozen=True)
class ConsulDns:
    cluster: str
    ip: str
    domain: str  # global.domain, "consul" by default
    path: str  # output-relative file of the Helm release


def _release(obj: dict[str, Any], api_servers: dict[str, str]) -> tuple[str | None, dict[str, Any]] | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Application":
        source = spec.get("source") or {}
        if source.get("chart") != CHART:
            return None
        server = str((spec.get("destination") or {}).get("server", "")).rstrip("/")
        cluster = next((c for c, url in api_servers.items() if url.rstrip("/") == server), None)
        return cluster, ((source.get("helm") or {}).get("valuesObject") or {})
    if kind == "HelmRelease":
        if ((spec.get("chart") or {}).get("spec") or {}).get("chart") != CHART:
            return None
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return labels.get("fleetgen.dev/cluster"), (spec.get("values") or {})
    return None


def consul_dns(files: dict[str, Any], api_servers: dict[str, str]) -> dict[str, tuple[ConsulDns, ...]]:
    """Cluster -> the Consul DNS ClusterIPs its Helm release(s) pin (only releases with dns.enabled: true)."""
    out: dict[str, list[ConsulDns]] = {}
    for path in sorted(files):
        obj = files[path]
        if not path.startswith("hub/") or not isinstance(obj, dict):
            continue
        hit = _release(obj, api_servers)
        if hit is None:
            continue
        cluster, values = hit
        if cluster is None:
            continue
        dns = values.get("dns") or {}
        if dns.get("enabled") is not True or not dns.get("clusterIP"):
            continue
        domain = str((values.get("global") or {}).get("domain") or DEFAULT_DOMAIN).lower().rstrip(".")
        out.setdefault(cluster, []).append(ConsulDns(cluster, str(dns["clusterIP"]), domain, path))
    return {c: tuple(v) for c, v in out.items()}
