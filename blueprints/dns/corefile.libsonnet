// CoreDNS server blocks as text. One block per zone: CoreDNS allows `forward`
// and `kubernetes` once per server block. Every value is checked against the
// grammar of lib/grammar.libsonnet before it is written.
local g = import '../lib/grammar.libsonnet';
local indent(lines) = std.join('', ['    ' + l + '\n' for l in lines]);
{
  block(zone, lines):: g.block(g.zone(zone) + ':53 {\n' + indent(lines) + '}\n', lines),

  // Send a zone to one upstream (a peer's DNS endpoint, its internal load balancer) or several
  // (an extra zone's servers): each address is checked.
  forwardBlock(zone, endpoint)::
    local targets = if std.isArray(endpoint) then endpoint else [endpoint];
    self.block(zone, ['errors', 'cache 30', 'forward . ' + std.join(' ', [
      g.address(t, 'the forward target of ' + zone)
      for t in targets
    ])]),

  // Answer this cluster's own fleet zone from its Kubernetes API:
  // <pod>.<svc>.<ns>.svc.<zone> for headless services, like cluster.local.
  ownZoneBlock(zone)::
    self.block(zone, ['errors', 'cache 30', 'kubernetes ' + zone]),

  // The default cluster block (as kubeadm installs it), for clusters whose Corefile fleetgen owns.
  defaultBlock(clusterDomain)::
    '.:53 {\n' + indent([
      'errors',
      'health {',
      '    lameduck 5s',
      '}',
      'ready',
      'kubernetes ' + g.name(clusterDomain, 'the cluster domain') + ' in-addr.arpa ip6.arpa {',
      '    pods insecure',
      '    fallthrough in-addr.arpa ip6.arpa',
      '    ttl 30',
      '}',
      'prometheus :9153',
      'forward . /etc/resolv.conf {',
      '    max_concurrent 1000',
      '}',
      'cache 30',
      'loop',
      'reload',
      'loadbalance',
    ]) + '}\n',

  // The fleet file's extra zones (spec.dns.extraZones / dns.extraZones): zone -> upstream IPs,
  // each held to the grammar again (the fleet schema already did).
  extraZones(cluster)::
    if std.objectHas(cluster.dns, 'extraZones') then [
      { zone: g.name(z.zone, 'an extra zone'), forward: [g.address(ip, 'an upstream of ' + z.zone) for ip in z.forward] }
      for z in cluster.dns.extraZones
    ] else [],

  // One server block per extra zone, like a peer zone: forward to the declared upstreams.
  extraBlocks(cluster)::
    std.join('', [self.forwardBlock(z.zone, z.forward) for z in self.extraZones(cluster)]),

  // kube-dns stubDomains entries and coredns-custom keys for the extra zones.
  extraStubs(cluster):: { [z.zone]: z.forward for z in $.extraZones(cluster) },
  extraServerKeys(cluster):: {
    ['fleet-extra-' + z.zone + '.server']: $.forwardBlock(z.zone, z.forward)
    for z in $.extraZones(cluster)
  },

  peerBlocks(cluster)::
    std.join('', [self.forwardBlock(p.zone, p.endpoint) for p in cluster.peers if p.endpoint != null]),
}
