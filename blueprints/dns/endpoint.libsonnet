// The cluster's DNS endpoint: an internal (never public) load balancer at the
// declared IP, TCP and UDP 53, annotated the way each provider's controller expects.
local k = import '../lib/k.libsonnet';
local extension = import 'extension.libsonnet';

local annotations(cluster) =
  local ip = cluster.dns.endpoint;
  if cluster.provider == 'aws' then {
    // AWS Load Balancer Controller (NLB).
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener': 'true',
    'service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses': ip,
  } + (
    if std.length(cluster.dns.loadBalancerSubnets) > 0
    then { 'service.beta.kubernetes.io/aws-load-balancer-subnets': std.join(',', cluster.dns.loadBalancerSubnets) }
    else {}
  )
  else if cluster.provider == 'gcp' then {
    'networking.gke.io/load-balancer-type': 'Internal',
    // Peers call from other regions and clouds.
    'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
  }
  else if cluster.provider == 'azure' then {
    'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
    'service.beta.kubernetes.io/azure-load-balancer-ipv4': ip,
  }
  else {
    // Generic clusters: the load balancer (e.g. MetalLB on a private pool) is internal by construction.
    'fleetgen.dev/internal': 'true',
  };

{
  files(fleet, cluster)::
    local ip = k.required(cluster.dns.endpoint, 'dns.endpoint for cluster ' + cluster.name);
    {
      'dns/service-dns-endpoint.yaml':
        k.object('v1', 'Service', 'fleet-dns', extension.endpointNamespace(cluster),
                 k.labels(fleet, 'fleet-dns', 'dns'), annotations(cluster)) + {
          spec: {
            type: 'LoadBalancer',
            [if cluster.provider == 'gcp' || cluster.provider == 'generic' then 'loadBalancerIP']: ip,
            selector: extension.endpointSelector(cluster),
            ports: [
              { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
            ],
          },
        },
    },
}
