"""Which API server a ``kubernetes``/``kubernetai`` stanza reads.

``endpoint URL`` names it directly; ``kubeconfig PATH [CONTEXT]`` names a file in
the CoreDNS container, which the proof reads from the rendered ConfigMap mounted
there (the context given, else ``current-context``, then that context's cluster
``server``). Neither: the API server of the cluster the pods run in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from generator.dnsproof.corefile import Directive
from generator.dnsproof.rendered import DnsServer


@dataclass(frozen=True)
class ApiSource:
    url: str | None  # None: the in-cluster API server (or it could not be read: see problem)
    how: str  # e.g. "kubeconfig /etc/coredns/kubeconfigs/b/kubeconfig from ConfigMap fleet-dns/x key b"
    problem: str | None = None
    file: str | None = None  # output-relative file of the kubeconfig's ConfigMap


def _entry(items: Any, name: str, field: str) -> dict[str, Any] | None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") == name and isinstance(item.get(field), dict):
            return item[field]
    return None


def _from_kubeconfig(text: str, context: str | None) -> tuple[str | None, str | None]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, f"it is not YAML ({str(exc).splitlines()[0]})"
    if not isinstance(doc, dict):
        return None, "it is not a kubeconfig"
    name = context or doc.get("current-context")
    if not name:
        return None, "it has no current-context"
    ctx = _entry(doc.get("contexts"), str(name), "context")
    if ctx is None:
        return None, f"it has no context {name}"
    cluster = _entry(doc.get("clusters"), str(ctx.get("cluster", "")), "cluster")
    if cluster is None or not cluster.get("server"):
        return None, f"its context {name} names cluster {ctx.get('cluster')!r}, which has no server"
    return str(cluster["server"]), None


def api_source(server: DnsServer, plugin: Directive) -> ApiSource:
    endpoint = next((d.args[0] for d in plugin.sub("endpoint") if d.args), None)
    if endpoint is not None:
        return ApiSource(endpoint, f"endpoint {endpoint}")
    kc = next((d for d in plugin.sub("kubeconfig") if d.args), None)
    if kc is None:
        return ApiSource(None, "the in-cluster API server")
    path = kc.args[0]
    context = kc.args[1] if len(kc.args) > 1 else None
    how = f"kubeconfig {path}"
    mounted = server.mounted(path)
    if mounted is None:
        return ApiSource(None, how, f"kubeconfig {path} is not mounted from a rendered ConfigMap")
    how = f"kubeconfig {path} from {mounted.source}"
    if mounted.text is None:
        what = "a Secret, which the proof cannot read" if mounted.file is None else "not rendered"
        return ApiSource(None, how, f"kubeconfig {path} comes from {mounted.source}, {what}")
    url, problem = _from_kubeconfig(mounted.text, context)
    if problem is not None:
        return ApiSource(None, how, f"kubeconfig {path} ({mounted.file}) cannot be read: {problem}", mounted.file)
    return ApiSource(url, how, None, mounted.file)
