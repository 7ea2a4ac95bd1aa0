// CoreDNS server blocks as text. One block per zone: CoreDNS allows `forward`
// and `kubernetes` once per server block. Every value is checked against the
// grammar of lib/grammar.libsonnet before it is written.
local g = import '../lib/grammar.libsonnet';
local indent(lines) = std.join('', ['    ' + l + '\n' for l in lines]);
{
  block(zone, lines):: g.block(g.zone(zone) + ':53 {\n' + indent(lines) + '}\n', lines),

  // Send a peer's zone to the DNS endpoint (internal load balancer) of that peer.
  forwardBlock(zone, endpoint)::
    self.block(zone, ['errors', 'cache 30', 'forward . ' + g.address(endpoint, 'the forward target of ' + zone)]),

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

  peerBlocks(cluster)::
    std.join('', [self.forwardBlock(p.zone, p.endpoint) for p in cluster.peers if p.endpoint != null]),
}
