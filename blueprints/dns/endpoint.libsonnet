// The cluster's DNS endpoint: an internal (never public) load balancer at the
// declared IP, TCP and UDP 53, annotated the way each provider's controller expects.
local k = import '../lib/k.libsonnet';
local extension = import 'extension.libsonnet';
local lb = import '../lib/lb.libsonnet';

local annotations(cluster) =
  lb.internalAnnotations(cluster.provider, cluster.dns.endpoint, cluster.dns.loadBalancerSubnets, tcpUdp=true);

{
  files(fleet, cluster)::
    local ip = k.required(cluster.dns.endpoint, 'dns.endpoint for cluster ' + cluster.name);
    {
      'dns/service-dns-endpoint.yaml':
        k.object('v1', 'Service', 'fleet-dns', extension.endpointNamespace(cluster),
                 k.labels(fleet, 'fleet-dns', 'dns'), annotations(cluster)) + {
          spec: {
            type: 'LoadBalancer',
            [if lb.pinsSpecIP(cluster.provider) then 'loadBalancerIP']: ip,
            selector: extension.endpointSelector(cluster),
            ports: [
              { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
            ],
          },
        },
    },
}
