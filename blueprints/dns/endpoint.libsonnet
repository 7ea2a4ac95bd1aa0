// The cluster's DNS endpoint: an internal (never public) load balancer at the
// declared IP, UDP and TCP 53, annotated the way each provider's controller expects.
// On GKE, whose service controller refuses mixed-protocol load balancers, it is two
// Services (fleet-dns UDP, fleet-dns-tcp TCP) sharing one reserved internal address.
local k = import '../lib/k.libsonnet';
local extension = import 'extension.libsonnet';
local lb = import '../lib/lb.libsonnet';

local udp = { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' };
local tcp = { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' };

local service(fleet, cluster, name, ports) =
  k.object('v1', 'Service', name, extension.endpointNamespace(cluster),
           k.labels(fleet, 'fleet-dns', 'dns'),
           lb.internalAnnotations(cluster.provider, cluster.dns.loadBalancer, tcpUdp=std.length(ports) > 1)) + {
    spec: {
      type: 'LoadBalancer',
      selector: extension.endpointSelector(cluster),
      ports: ports,
    },
  };

{
  files(fleet, cluster)::
    assert k.required(cluster.dns.endpoint, 'dns.endpoint for cluster ' + cluster.name) != null;
    if lb.splitsProtocols(cluster.provider) then {
      'dns/service-dns-endpoint.yaml': service(fleet, cluster, 'fleet-dns', [udp]),
      'dns/service-dns-endpoint-tcp.yaml': service(fleet, cluster, 'fleet-dns-tcp', [tcp]),
    } else {
      'dns/service-dns-endpoint.yaml': service(fleet, cluster, 'fleet-dns', [udp, tcp]),
    },
}
