// CoreDNS server blocks as text. One block per zone: CoreDNS allows `forward`
// and `kubernetes` once per server block.
local indent(lines) = std.join('', ['    ' + l + '\n' for l in lines]);
{
  block(zone, lines):: zone + ':53 {\n' + indent(lines) + '}\n',

  // Send a peer's zone to the DNS endpoint (internal load balancer) of that peer.
  forwardBlock(zone, endpoint)::
    self.block(zone, ['errors', 'cache 30', 'forward . ' + endpoint]),

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
      'kubernetes ' + clusterDomain + ' in-addr.arpa ip6.arpa {',
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

  // A value that goes into a server key or a forward line: only DNS-name and IP-address characters
  // (the fleet schema already holds it to a strict grammar; the emitter refuses it a second time).
  safe(text)::
    local allowed = std.set(std.stringChars('abcdefghijklmnopqrstuvwxyz0123456789ABCDEF.-:'));
    if text != '' && std.all([std.setMember(ch, allowed) for ch in std.stringChars(text)]) then text
    else error ('refusing to render DNS value ' + std.escapeStringJson(text)),

  // The fleet file's extra zones (spec.dns.extraZones / dns.extraZones): zone -> upstream IPs.
  extraZones(cluster)::
    if std.objectHas(cluster.dns, 'extraZones') then [
      { zone: $.safe(z.zone), forward: [$.safe(ip) for ip in z.forward] }
      for z in cluster.dns.extraZones
    ] else [],

  // One server block per extra zone, like a peer zone: forward to the declared upstreams.
  extraBlocks(cluster)::
    std.join('', [self.forwardBlock(z.zone, std.join(' ', z.forward)) for z in self.extraZones(cluster)]),

  // kube-dns stubDomains entries and coredns-custom keys for the extra zones.
  extraStubs(cluster):: { [z.zone]: z.forward for z in $.extraZones(cluster) },
  extraServerKeys(cluster):: {
    ['fleet-extra-' + z.zone + '.server']: $.forwardBlock(z.zone, std.join(' ', z.forward))
    for z in $.extraZones(cluster)
  },

  peerBlocks(cluster)::
    std.join('', [self.forwardBlock(p.zone, p.endpoint) for p in cluster.peers if p.endpoint != null]),
}
