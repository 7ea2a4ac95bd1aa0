"""What the rendered output says about each cluster's DNS: servers, their config, endpoints.

Read from the render output dict (output-relative path -> object), never from
the fleet model, so the proof checks what would actually be synced.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from generator.dnsproof import corefile
from generator.lb import is_private
from generator.dnsproof.corefile import Corefile, CorefileError, ParseCache

# The pods every managed or kubeadm cluster runs for its own DNS, whatever the server.
PROVIDER_DNS_NAMESPACE = "kube-system"
PROVIDER_DNS_LABELS = {"k8s-app": "kube-dns"}
# AKS's own Corefile: built-in plugins plus imports of the coredns-custom keys
# (mounted at /etc/coredns/custom). Only coredns-custom is ours to change.
AKS_BASE_COREFILE = """\
.:53 {
    errors
    ready
    health
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import custom/*.override
}
import custom/*.server
"""
# Annotations that put a LoadBalancer Service at given IPs, per provider controller.
IP_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses",
    "service.beta.kubernetes.io/azure-load-balancer-ipv4",
    "service.beta.kubernetes.io/azure-load-balancer-ipv6",
    "metallb.universe.tf/loadBalancerIPs",
    "metallb.io/loadBalancerIPs",
    "kube-vip.io/loadbalancerIPs",
    "lbipam.cilium.io/ips",
)
# GKE pins reserved static addresses by name; the fleet says which IP each name holds.
GKE_ADDRESS_NAMES = "networking.gke.io/load-balancer-ip-addresses"
# Cloud controllers' internal schemes. A bare-metal load balancer (MetalLB, kube-vip, Cilium LB IPAM)
# has none: it is internal when every address it is pinned at is private.
INTERNAL_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "networking.gke.io/load-balancer-type": "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True)
class Mounted:
    """A file inside a DNS container, from a rendered ConfigMap key (``text``) or a Secret (by name only)."""

    path: str  # absolute path in the container
    source: str  # e.g. "ConfigMap fleet-dns/fleet-dns-kubeconfigs key gcp" or "Secret fleet-dns/kubernetai-gcp key token"
    file: str | None  # output-relative file of the ConfigMap; None for Secrets
    text: str | None  # None for Secrets and ConfigMaps that are not rendered


@dataclass(frozen=True)
class DnsServer:
    """A set of pods answering DNS in one cluster, and the configuration they run."""

    cluster: str
    kind: str  # coredns | aks-coredns | kube-dns | rendered | none
    title: str  # e.g. "aws-euwest1 CoreDNS"
    path: str | None  # output-relative file holding the configuration
    namespace: str
    labels: tuple[tuple[str, str], ...]
    corefile: Corefile | None = None
    stubs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    cluster_domain: str = "cluster.local"
    problem: str | None = None  # why the configuration cannot be read
    mounts: tuple[Mounted, ...] = ()  # files the DNS container reads besides its Corefile

    def mounted(self, path: str) -> Mounted | None:
        return next((m for m in self.mounts if m.path == path), None)

    def selected_by(self, namespace: str, selector: dict[str, str]) -> bool:
        labels = dict(self.labels)
        return bool(selector) and namespace == self.namespace and all(labels.get(k) == v for k, v in selector.items())


@dataclass(frozen=True)
class ServicePort:
    port: int
    protocol: str
    target: int


@dataclass(frozen=True)
class Endpoint:
    """A Service in front of DNS pods at a fixed IP: a LoadBalancer (the fleet-wide DNS endpoint) or a
    pinned ClusterIP (reachable only from inside its own cluster)."""

    cluster: str
    ip: str
    path: str
    namespace: str
    name: str
    selector: tuple[tuple[str, str], ...]
    ports: tuple[ServicePort, ...]
    internal: bool
    kind: str = "LoadBalancer"  # LoadBalancer | ClusterIP

    def port(self, number: int, protocol: str) -> ServicePort | None:
        return next((p for p in self.ports if p.port == number and p.protocol == protocol), None)


@dataclass(frozen=True)
class ClusterDns:
    name: str
    resolver: DnsServer  # what the cluster's pods ask (the kube-dns Service's pods)
    servers: tuple[DnsServer, ...]  # every DNS pod set, the resolver first
    endpoints: tuple[Endpoint, ...]
    cluster_ips: tuple[Endpoint, ...] = ()  # Services with a pinned ClusterIP (discovery DNS servers)
    exports: frozenset[tuple[str, str]] = frozenset()  # ServiceExports (namespace, name), for mcs
    properties: tuple[tuple[str, str], ...] = ()  # ClusterProperty name -> value (about.k8s.io)


def _meta(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))


def _find(objs: dict[str, dict[str, Any]], kind: str, namespace: str, name: str) -> tuple[str, dict[str, Any]] | None:
    for path in sorted(objs):
        if _meta(objs[path]) == (kind, namespace, name):
            return path, objs[path]
    return None


def _data(obj: dict[str, Any]) -> dict[str, str]:
    data = obj.get("data") or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class Shared:
    """What the rendered DNS of many clusters shares by content (one per fleet proof): parsed
    Corefile pieces (corefile.ParseCache) and parsed stubDomains texts."""

    def __init__(self) -> None:
        self.corefiles = ParseCache()
        self.stubs: dict[str, tuple[tuple[tuple[str, tuple[str, ...]], ...], str | None]] = {}

    def stub_domains(self, text: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], str | None]:
        hit = self.stubs.get(text)
        if hit is None:
            hit = self.stubs[text] = _stub_domains(text)
        return hit


def _parse(text: str, path: str, importer: corefile.Importer | None = None,
           shared: Shared | None = None) -> tuple[Corefile | None, str | None]:
    try:
        return corefile.parse(text, path, importer, shared.corefiles if shared else None), None
    except CorefileError as exc:
        return None, f"its Corefile does not parse ({exc})"


def _provider_server(name: str, objs: dict[str, dict[str, Any]], shared: Shared | None = None) -> DnsServer:
    base = dict(cluster=name, namespace=PROVIDER_DNS_NAMESPACE, labels=tuple(sorted(PROVIDER_DNS_LABELS.items())))
    hit = _find(objs, "ConfigMap", "kube-system", "coredns")
    if hit:
        path, obj = hit
        text = _data(obj).get("Corefile")
        if text is None:
            return DnsServer(kind="coredns", title=f"{name} CoreDNS", path=path, problem="it has no Corefile key", **base)  # type: ignore[arg-type]
        parsed, problem = _parse(text, path, None, shared)
        return DnsServer(kind="coredns", title=f"{name} CoreDNS", path=path, corefile=parsed, problem=problem, **base)  # type: ignore[arg-type]
    hit = _find(objs, "ConfigMap", "kube-system", "coredns-custom")
    if hit:
        path, obj = hit
        custom = _data(obj)
        parsed, problem = _parse(AKS_BASE_COREFILE, f"{path} (AKS Corefile)", corefile.glob_importer(custom, "custom/"), shared)
        return DnsServer(kind="aks-coredns", title=f"{name} CoreDNS with coredns-custom", path=path, corefile=parsed, problem=problem, **base)  # type: ignore[arg-type]
    hit = _find(objs, "ConfigMap", "kube-system", "kube-dns")
    if hit:
        path, obj = hit
        text = _data(obj).get("stubDomains", "{}")
        stubs, problem = shared.stub_domains(text) if shared else _stub_domains(text)
        return DnsServer(kind="kube-dns", title=f"{name} kube-dns", path=path, stubs=stubs, problem=problem, **base)  # type: ignore[arg-type]
    return DnsServer(kind="none", title=f"{name} provider DNS", path=None,
                     problem="no coredns, coredns-custom or kube-dns ConfigMap is rendered for it", **base)  # type: ignore[arg-type]


def _stub_domains(text: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], str | None]:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        return (), f"its stubDomains is not JSON ({exc})"
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        return (), "its stubDomains is not a JSON object of zone -> [IP]"
    return tuple((corefile.normalize_zone(str(k)), tuple(str(ip) for ip in v)) for k, v in raw.items()), None


def _rendered_servers(name: str, objs: dict[str, dict[str, Any]], shared: Shared | None = None) -> list[DnsServer]:
    """CoreDNS pods the output itself runs (e.g. the fleet DNS gateway), with their mounted Corefile."""
    out = []
    for path in sorted(objs):
        kind, namespace, obj_name = _meta(objs[path])
        if kind not in WORKLOAD_KINDS:
            continue
        template = ((objs[path].get("spec") or {}).get("template") or {})
        labels = ((template.get("metadata") or {}).get("labels") or {})
        pod = template.get("spec") or {}
        title = f"{name} {kind} {namespace}/{obj_name}"
        base = dict(cluster=name, kind="rendered", namespace=namespace,
                    labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())))
        for container in pod.get("containers") or []:
            if "coredns" not in str(container.get("image", "")):
                continue
            conf, problem = _mounted_corefile(name, objs, namespace, pod, container)
            mounts = _mounts(objs, namespace, pod, container)
            if conf is None:
                out.append(DnsServer(title=title, path=path, problem=problem, mounts=mounts, **base))  # type: ignore[arg-type]
            else:
                cm_path, text = conf
                parsed, problem = _parse(text, cm_path, None, shared)
                out.append(DnsServer(title=title, path=cm_path, corefile=parsed, problem=problem, mounts=mounts, **base))  # type: ignore[arg-type]
            break
    return out


def _mounted_corefile(
    name: str, objs: dict[str, dict[str, Any]], namespace: str, pod: dict[str, Any], container: dict[str, Any]
) -> tuple[tuple[str, str] | None, str | None]:
    args = [str(a) for a in container.get("args") or []]
    conf = args[args.index("-conf") + 1] if "-conf" in args[:-1] else "Corefile"
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        mount_path = str(mount.get("mountPath", "")).rstrip("/")
        if not conf.startswith(mount_path + "/"):
            continue
        rel = conf[len(mount_path) + 1:]
        cm = (volumes.get(mount.get("name")) or {}).get("configMap")
        if not cm:
            return None, f"{conf} is not mounted from a ConfigMap"
        items = {i.get("path"): i.get("key") for i in cm.get("items") or []}
        key = items.get(rel, rel) if items else posixpath.basename(rel)
        hit = _find(objs, "ConfigMap", namespace, str(cm.get("name")))
        if hit is None:
            return None, f"its ConfigMap {namespace}/{cm.get('name')} is not rendered"
        text = _data(hit[1]).get(key)
        if text is None:
            return None, f"its ConfigMap {namespace}/{cm.get('name')} has no key {key}"
        return (hit[0], text), None
    return None, f"its config file {conf} is not mounted from a rendered ConfigMap"


def _mounts(objs: dict[str, dict[str, Any]], namespace: str, pod: dict[str, Any], container: dict[str, Any]) -> tuple[Mounted, ...]:
    """Every file the container sees from ConfigMap, Secret and projected volumes (Secrets by name only)."""
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    out: list[Mounted] = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name")) or {}
        base = str(mount.get("mountPath", "")).rstrip("/")
        sources = [volume] if "projected" not in volume else list((volume["projected"] or {}).get("sources") or [])
        for source in sources:
            for kind, ref_key in (("configMap", "name"), ("secret", "secretName" if source is volume else "name")):
                ref = source.get(kind)
                if not isinstance(ref, dict):
                    continue
                ref_name = str(ref.get(ref_key, ""))
                hit = _find(objs, "ConfigMap", namespace, ref_name) if kind == "configMap" else None
                data = _data(hit[1]) if hit else {}
                items = [(str(i.get("key")), str(i.get("path"))) for i in ref.get("items") or []] or [(k, k) for k in sorted(data)]
                for key, rel in items:
                    what = "ConfigMap" if kind == "configMap" else "Secret"
                    out.append(Mounted(f"{base}/{rel}", f"{what} {namespace}/{ref_name} key {key}",
                                       hit[0] if hit else None, data.get(key) if kind == "configMap" else None))
    return tuple(out)


def _endpoints(name: str, objs: dict[str, dict[str, Any]], named: dict[str, str]) -> list[Endpoint]:
    out = []
    for path in sorted(objs):
        obj = objs[path]
        kind, namespace, svc_name = _meta(obj)
        spec = obj.get("spec") or {}
        if kind != "Service" or spec.get("type") != "LoadBalancer":
            continue
        ports = _ports(spec)
        if not any(p.port == 53 for p in ports):
            continue
        annotations = {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("annotations") or {}).items()}
        ips = [str(spec["loadBalancerIP"])] if spec.get("loadBalancerIP") else []
        for key in IP_ANNOTATIONS:
            ips += [ip.strip() for ip in annotations.get(key, "").split(",") if ip.strip()]
        ips += [named[n.strip()] for n in annotations.get(GKE_ADDRESS_NAMES, "").split(",") if n.strip() in named]
        internal = any(annotations.get(k, "").lower() == v for k, v in INTERNAL_ANNOTATIONS.items()) or (
            bool(ips) and all(is_private(ip) for ip in ips))
        selector = tuple(sorted((str(k), str(v)) for k, v in (spec.get("selector") or {}).items()))
        for ip in dict.fromkeys(ips):
            out.append(Endpoint(name, ip, path, namespace, svc_name, selector, ports, internal))
    return out


def _ports(spec: dict[str, Any]) -> tuple[ServicePort, ...]:
    return tuple(
        ServicePort(int(p.get("port", 0)), str(p.get("protocol", "TCP")),
                    int(p["targetPort"]) if isinstance(p.get("targetPort"), int) else int(p.get("port", 0)))
        for p in spec.get("ports") or []
    )


def _cluster_ips(name: str, objs: dict[str, dict[str, Any]]) -> list[Endpoint]:
    """Services at a pinned ClusterIP (``spec.clusterIP``, not ``None``): reachable only inside this cluster."""
    out = []
    for path in sorted(objs):
        obj = objs[path]
        kind, namespace, svc_name = _meta(obj)
        spec = obj.get("spec") or {}
        ip = str(spec.get("clusterIP") or "")
        if kind != "Service" or not ip or ip == "None" or spec.get("type", "ClusterIP") != "ClusterIP":
            continue
        selector = tuple(sorted((str(k), str(v)) for k, v in (spec.get("selector") or {}).items()))
        out.append(Endpoint(name, ip, path, namespace, svc_name, selector, _ports(spec), True, "ClusterIP"))
    return out


def _exports(objs: dict[str, dict[str, Any]]) -> frozenset[tuple[str, str]]:
    return frozenset((ns, n) for kind, ns, n in map(_meta, objs.values()) if kind == "ServiceExport")


def _properties(objs: dict[str, dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((_meta(o)[2], str((o.get("spec") or {}).get("value", "")))
                        for o in objs.values() if _meta(o)[0] == "ClusterProperty"))


def cluster_dns(name: str, objs: dict[str, dict[str, Any]], named: dict[str, str] | None = None,
                shared: Shared | None = None) -> ClusterDns:
    """``objs``: the cluster's rendered objects (output-relative path -> object); ``named``: the
    cluster's reserved address names (GKE) -> the IP each holds, as the fleet declares them;
    ``shared``: parse what other clusters render identically once (see ``Shared``)."""
    resolver = _provider_server(name, objs, shared)
    return ClusterDns(name, resolver, (resolver, *_rendered_servers(name, objs, shared)),
                      tuple(_endpoints(name, objs, named or {})),
                      tuple(_cluster_ips(name, objs)), _exports(objs), _properties(objs))


def fleet_dns(clusters: list[str] | tuple[str, ...], files: dict[str, Any],
              named: dict[str, dict[str, str]] | None = None) -> dict[str, ClusterDns]:
    per: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in clusters}
    for path, obj in files.items():
        parts = path.split("/", 2)
        if len(parts) == 3 and parts[0] == "clusters" and parts[1] in per and isinstance(obj, dict):
            per[parts[1]][path] = obj
    shared = Shared()
    return {name: cluster_dns(name, per[name], (named or {}).get(name), shared) for name in clusters}
