// The cluster DNS extension for discovery options answered by an in-cluster
// DNS server at a pinned ClusterIP (the fleet-owned CoreDNS, or Consul DNS):
// each discovery zone is sent there through the DNS server kind's own
// extension point, as blueprints/dns/extension.libsonnet does for `forward`.
local corefile = import '../dns/corefile.libsonnet';
local g = import '../lib/grammar.libsonnet';
local k = import '../lib/k.libsonnet';

local labels(fleet) = k.labels(fleet, 'cluster-dns', 'dns');

{
  // Self-managed CoreDNS (EKS, generic): the stock cluster block plus one server block per zone.
  coredns(fleet, cluster, zones, ip):: {
    'dns/configmap-coredns.yaml': k.configMap('coredns', 'kube-system', {
      Corefile: corefile.defaultBlock(cluster.dns.clusterDomain)
                + std.join('', [corefile.forwardBlock(z, ip) for z in zones])
                + corefile.extraBlocks(cluster),
    }, labels(fleet), k.keepOnPrune),
  },

  // GKE kube-dns: stubDomains (JSON in a string).
  'kube-dns'(fleet, cluster, zones, ip):: {
    'dns/configmap-kube-dns.yaml': k.configMap('kube-dns', 'kube-system', {
      stubDomains: std.manifestJsonMinified({
        [g.name(z, 'the stub domain')]: [g.address(ip, 'the stub domain server of ' + z)]
        for z in zones
      } + corefile.extraStubs(cluster)),
    }, labels(fleet), k.keepOnPrune),
  },

  // AKS: one `<name>.server` key of `coredns-custom` per zone.
  'aks-coredns'(fleet, cluster, zones, ip):: {
    'dns/configmap-coredns-custom.yaml': k.configMap('coredns-custom', 'kube-system', {
      ['fleet-' + z + '.server']: corefile.forwardBlock(z, ip)  // forwardBlock checks z and ip
      for z in zones
    } + corefile.extraServerKeys(cluster), labels(fleet), k.keepOnPrune),
  },

  files(fleet, cluster, zones, ip)::
    local kind = cluster.dns.server;
    if std.objectHasAll(self, kind) then self[kind](fleet, cluster, zones, ip)
    else error ('no DNS blueprint for server kind ' + kind),
}
