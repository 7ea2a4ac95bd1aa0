"""Does the end of a leg answer this name for the cluster that owns it?

- a ``kubernetes``/``kubernetai`` stanza knows the pods of the cluster whose API
  server it reads (kubeconfig.py): that must be the owner, and the name's
  namespace must be in its ``namespaces`` (if set);
- an mcs name (``...svc.clusterset.local``) needs ``multicluster <domain>`` in the
  stanza; the answer then comes from ServiceImports, which an MCS implementation
  creates at runtime from the owner's ServiceExport: the proof checks that the
  owner renders that ServiceExport and its cluster id, not that imports exist;
- Consul DNS answers names of its own domain from its catalog at runtime.
"""

from __future__ import annotations

from generator.dnsproof.consul import ConsulDns
from generator.dnsproof.corefile import in_zone, normalize_zone
from generator.dnsproof.kubeconfig import ApiSource, api_source
from generator.dnsproof.legs import Answer, ConsulAnswer, End, ExternalAnswer, Stop
from generator.dnsproof.names import MCS, Naming
from generator.dnsproof.rendered import ClusterDns

MCS_CLUSTER_PROPERTY = "cluster.clusterset.k8s.io"

# (resolved, failure, output-relative path)
Verdict = tuple[bool, "str | None", "str | None"]
OK: Verdict = (True, None, None)


def relative(name: str, zone: str) -> list[str]:
    """The labels of ``name`` above ``zone``."""
    labels = name.split(".")
    return labels if zone == "." else labels[: len(labels) - len(zone.split("."))]


def class_labels(name: str, zone: str, mcs: bool = False) -> tuple[object, ...]:
    """What ``Verdicts.finish`` may read of a name under ``zone`` (see ``Verdicts.finish``): its
    length and, relative to ``zone``, the last two labels (namespace, "svc"; the answering zone is
    ``zone`` or a suffix of it, so its own labels above the name's are fixed), plus labels [1:4] of an
    mcs name (cluster id, service, namespace). Names of 2 labels or fewer keep all of them. So the
    pods and Services of one namespace under one zone class share a class, whatever their names."""
    rel = relative(name, zone)
    if len(rel) < 3:
        return (len(rel), *rel)
    return (len(rel), *(rel[1:4] if mcs else ()), *rel[-2:])


class Verdicts:
    def __init__(self, dns: dict[str, ClusterDns], naming: Naming, api_servers: dict[str, str],
                 consul: dict[str, tuple[ConsulDns, ...]]) -> None:
        self.dns = dns
        self.naming = naming
        self.api_servers = api_servers
        self.by_api = {url.rstrip("/"): c for c, url in reversed(api_servers.items())}
        self.consul = consul
        self._sources: dict[tuple[int, int], ApiSource] = {}

    # Reads of the name: its scheme, its owner, and (relative to the answering zone) the labels
    # [-2] and [-1] (namespace, "svc"), and for a 5-label mcs name [1], [2], [3]: never the first
    # label of 3 or more (class_labels relies on it).
    def finish(self, end: End, name: str, owner: str | None) -> Verdict:
        if isinstance(end, Stop):
            hint = self.hint(owner, end.hint_from) if end.hint_from is not None else ""
            return False, end.failure + hint, end.path
        if isinstance(end, ExternalAnswer):
            if in_zone(name, end.zone):
                return OK
            return False, f"reaches {end.ip}, the declared upstream of extra zone {end.zone} only", None
        if isinstance(end, ConsulAnswer):
            c = end.consul
            if in_zone(name, c.domain):
                return OK
            return False, (f"reaches {c.cluster}'s Consul DNS at {c.ip} ({c.path}), which answers only "
                           f"{c.domain} names"), c.path
        return self._answer(end, name, owner)

    def source(self, end: Answer) -> ApiSource:
        assert end.plugin is not None
        key = (id(end.server), id(end.plugin))
        if key not in self._sources:
            self._sources[key] = api_source(end.server, end.plugin)
        return self._sources[key]

    def _answer(self, end: Answer, name: str, owner: str | None) -> Verdict:
        server, plugin, block = end.server, end.plugin, end.block
        path = server.path
        label = f"server block {block.label if block else '?'}"
        zone = max((z for z in end.zones if in_zone(name, z)), key=lambda z: 0 if z == "." else z.count(".") + 1)
        rel = relative(name, zone)
        if plugin is None:
            answered_by, source = server.cluster, None
        else:
            source = self.source(end)
            if source.problem is not None:
                return False, f"is answered by {plugin.name} ({label}) in {path}, but its {source.problem}", path
            if source.url is None:
                answered_by = server.cluster
            else:
                found = self.by_api.get(source.url.rstrip("/"))
                if found is None:
                    want = f" ({owner}'s is {self.api_servers[owner]})" if owner in self.api_servers else ""
                    return False, (f"is answered by {plugin.name} {' '.join(end.zones)} ({label}) in {path}, which reads "
                                   f"{source.url} through {source.how}, no cluster's API server{want}"), source.file or path
                answered_by = found
        if plugin is not None and self.naming.scheme(name) == MCS:
            return self._mcs(end, name, rel, owner)
        if owner is not None and answered_by != owner:
            if source is not None and source.url is not None:
                want = f" ({self.api_servers[owner]})" if owner in self.api_servers else ""
                return False, (f"is answered by {plugin.name if plugin else 'kube-dns'} {' '.join(end.zones)} ({label}) "
                               f"in {path}, which reads {answered_by}'s API server {source.url} through {source.how}, "
                               f"not {owner}'s{want}"), source.file or path
            what = f"{plugin.name} plugin ({label})" if plugin else "kube-dns"
            return False, (f"is answered by {answered_by}'s own {what} in {path}, "
                           f"which knows {answered_by}'s pods, not {owner}'s"), path
        if plugin is not None:
            allowed = [ns for d in plugin.sub("namespaces") for ns in d.args]
            if allowed and len(rel) >= 2 and rel[-1] == "svc" and rel[-2] not in allowed:
                return False, (f"is refused by {plugin.name} in {path}: namespace {rel[-2]} "
                               f"is not in its namespaces ({' '.join(allowed)})"), path
        return OK

    def _mcs(self, end: Answer, name: str, rel: list[str], owner: str | None) -> Verdict:
        plugin, path = end.plugin, end.server.path
        assert plugin is not None
        domain = self.naming.clusterset or ""
        multi = [normalize_zone(z) for d in plugin.sub("multicluster") for z in (d.args or end.zones)]
        if not any(in_zone(name, z) for z in multi):
            return False, (f"is answered by {end.server.cluster}'s own {plugin.name} plugin (server block "
                           f"{end.block.label if end.block else '?'}) in {path}, which has no 'multicluster {domain}' "
                           f"and so serves no ServiceImports"), path
        if owner is None or len(rel) != 5:
            return OK
        cluster_id, svc, ns = rel[1], rel[2], rel[3]
        theirs = self.dns.get(owner)
        if theirs is None:
            return OK
        props = dict(theirs.properties)
        if props.get(MCS_CLUSTER_PROPERTY) != cluster_id:
            have = props.get(MCS_CLUSTER_PROPERTY)
            return False, (f"names cluster id {cluster_id}, but {owner} renders ClusterProperty {MCS_CLUSTER_PROPERTY} "
                           f"{'= ' + have if have else 'nowhere'}"), path
        if (ns, svc) not in theirs.exports:
            return False, (f"is answered from ServiceImports in {path}, but {owner} renders no ServiceExport "
                           f"{ns}/{svc} to create them from"), path
        return OK

    def hint(self, owner: str | None, cluster: str) -> str:
        """Where DNS is: the owner's DNS endpoint(s), else the in-cluster DNS Services of ``cluster``."""
        if owner is None:
            return ""
        ips = list(dict.fromkeys(ep.ip for ep in self.dns[owner].endpoints)) if owner in self.dns else []
        if ips:
            return f" ({owner}'s is {', '.join(ips)})"
        here = self.dns.get(cluster)
        local = [f"Service {e.namespace}/{e.name} at {e.ip}" for e in (here.cluster_ips if here else ())
                 if any(p.port == 53 for p in e.ports)]
        local += [f"Consul DNS at {c.ip}" for c in self.consul.get(cluster, ())]
        if local:
            return f" (in-cluster DNS of {cluster}: {', '.join(local)})"
        return f" ({owner} has no DNS endpoint rendered)"
