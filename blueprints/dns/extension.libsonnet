// The cluster DNS extension point, per DNS server kind, plus the DNS gateway
// where the cluster's own DNS cannot answer the fleet zone (GKE kube-dns).
local k = import '../lib/k.libsonnet';
local g = import '../lib/grammar.libsonnet';
local corefile = import 'corefile.libsonnet';
local gateway = import 'gateway.libsonnet';

// stubDomains: zone -> [address], both checked (the JSON is read by kube-dns's dnsmasq setup).
local stubDomain(zone, endpoint) = { [g.name(zone, 'the stub domain')]: [g.address(endpoint, 'the stub domain server of ' + zone)] };

local labels(fleet) = k.labels(fleet, 'cluster-dns', 'dns');

{
  // Self-managed CoreDNS (EKS, generic): fleetgen owns the `coredns` Corefile ConfigMap.
  coredns(fleet, cluster):: {
    'dns/configmap-coredns.yaml': k.configMap('coredns', 'kube-system', {
      Corefile: corefile.defaultBlock(cluster.dns.clusterDomain)
                + corefile.ownZoneBlock(cluster.dns.zone)
                + corefile.peerBlocks(cluster)
                + corefile.extraBlocks(cluster),
    }, labels(fleet), k.keepOnPrune),
  },

  // GKE kube-dns: stubDomains send each peer zone to the peer's endpoint; the own
  // zone goes to this cluster's DNS gateway behind its own endpoint.
  'kube-dns'(fleet, cluster):: {
    'dns/configmap-kube-dns.yaml': k.configMap('kube-dns', 'kube-system', {
      stubDomains: std.manifestJsonMinified(
        (if cluster.dns.endpoint != null then stubDomain(cluster.dns.zone, cluster.dns.endpoint)
         else { [g.name(cluster.dns.zone, 'the stub domain')]: [null] })
        + { [g.name(p.zone, 'the stub domain')]: [g.address(p.endpoint, 'the stub domain server of ' + p.zone)]
            for p in cluster.peers if p.endpoint != null }
        + corefile.extraStubs(cluster)
      ),
    }, labels(fleet), k.keepOnPrune),
  } + gateway.files(fleet, cluster),

  // AKS: only `coredns-custom` may be changed; each `<name>.server` key is a server block.
  'aks-coredns'(fleet, cluster):: {
    'dns/configmap-coredns-custom.yaml': k.configMap('coredns-custom', 'kube-system',
      // the block checks each zone (corefile.block), so the key cannot carry anything else
      { ['fleet-' + cluster.dns.zone + '.server']: corefile.ownZoneBlock(cluster.dns.zone) }
      + { ['fleet-' + p.zone + '.server']: corefile.forwardBlock(p.zone, p.endpoint)
          for p in cluster.peers if p.endpoint != null }
      + corefile.extraServerKeys(cluster),
      labels(fleet), k.keepOnPrune),
  },

  // Which pods answer behind the cluster's DNS endpoint.
  endpointSelector(cluster)::
    if cluster.dns.server == 'kube-dns' then gateway.selector
    else { 'k8s-app': 'kube-dns' },

  endpointNamespace(cluster)::
    if cluster.dns.server == 'kube-dns' then gateway.namespace else 'kube-system',

  files(fleet, cluster)::
    local kind = cluster.dns.server;
    if std.objectHasAll(self, kind) then self[kind](fleet, cluster)
    else error ('no DNS blueprint for server kind ' + kind),
}
