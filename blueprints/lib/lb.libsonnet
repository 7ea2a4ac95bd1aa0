// Internal (never public) load balancers, the way each provider's controller
// expects them: shared by every blueprint that exposes a Service to peers
// (the DNS endpoint, mesh gateways, the Cilium clustermesh-apiserver).
{
  // Annotations for an internal LB pinned at `ip` (null: let the provider pick).
  // `subnets` (AWS only) pins the NLB's subnets, one per pinned private IP;
  // `tcpUdp` asks the AWS controller for one TCP_UDP listener (TCP and UDP on one port, e.g. DNS).
  internalAnnotations(provider, ip, subnets=[], tcpUdp=false)::
    if provider == 'aws' then {
      // AWS Load Balancer Controller (NLB).
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    } + (
      if tcpUdp then { 'service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener': 'true' } else {}
    ) + (
      if ip != null then { 'service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses': ip } else {}
    ) + (
      if std.length(subnets) > 0
      then { 'service.beta.kubernetes.io/aws-load-balancer-subnets': std.join(',', subnets) }
      else {}
    )
    else if provider == 'gcp' then {
      'networking.gke.io/load-balancer-type': 'Internal',
      // Peers call from other regions and clouds.
      'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
    }
    else if provider == 'azure' then {
      'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
    } + (if ip != null then { 'service.beta.kubernetes.io/azure-load-balancer-ipv4': ip } else {})
    else {
      // Generic clusters: the load balancer (e.g. MetalLB on a private pool) is internal by construction.
      'fleetgen.dev/internal': 'true',
    },

  // Providers whose controllers take the pinned address from spec.loadBalancerIP
  // (AWS and Azure take it from the annotations above).
  pinsSpecIP(provider):: provider == 'gcp' || provider == 'generic',
}
