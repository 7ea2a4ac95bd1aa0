// Internal (never public) load balancers, the way each provider's controller
// expects them: shared by every blueprint that exposes a Service to peers
// (the DNS endpoint, mesh gateways, the Cilium clustermesh-apiserver).
// The address is pinned by each provider's own annotation; spec.loadBalancerIP
// (deprecated since Kubernetes 1.24) is never rendered. docs/upstream-facts.md
// cites every key.
{
  // Bare-metal load balancers (provider: generic) and the annotation each reads the requested IPs from.
  bareMetalIPAnnotation:: {
    metallb: 'metallb.io/loadBalancerIPs',
    'kube-vip': 'kube-vip.io/loadbalancerIPs',
    'cilium-lbipam': 'lbipam.cilium.io/ips',
  },

  // Annotations for an internal LB pinned as `pin` says (pin.ip null: let the provider pick).
  // `pin` comes from generator/lb.py: {ip, subnets, addresses, addressName, controller}.
  // `tcpUdp` asks the AWS controller for one TCP_UDP listener (TCP and UDP on one port, e.g. DNS).
  internalAnnotations(provider, pin, tcpUdp=false)::
    if provider == 'aws' then {
      // AWS Load Balancer Controller (NLB).
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    } + (
      if tcpUdp then { 'service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener': 'true' } else {}
    ) + (
      if std.length(pin.subnets) > 0
      then { 'service.beta.kubernetes.io/aws-load-balancer-subnets': std.join(',', pin.subnets) }
      else {}
    ) + (
      // Only with pinned subnets, one address per subnet (the controller refuses any other count).
      if std.length(pin.addresses) > 0 && std.length(pin.addresses) == std.length(pin.subnets)
      then { 'service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses': std.join(',', pin.addresses) }
      else {}
    )
    else if provider == 'gcp' then {
      'networking.gke.io/load-balancer-type': 'Internal',
      // Peers call from other regions and clouds.
      'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
    } + (
      // The reserved static internal address (by name) holding pin.ip.
      if pin.addressName != null then { 'networking.gke.io/load-balancer-ip-addresses': pin.addressName } else {}
    )
    else if provider == 'azure' then {
      'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
    } + (
      if pin.ip == null then {}
      else if std.length(std.findSubstr(':', pin.ip)) > 0
      then { 'service.beta.kubernetes.io/azure-load-balancer-ipv6': pin.ip }
      else { 'service.beta.kubernetes.io/azure-load-balancer-ipv4': pin.ip }
    )
    else (
      // Generic clusters: the bare-metal load balancer the fleet names takes the IP from its own annotation;
      // the address itself is what keeps it internal (rule endpoint-public, policy lb-public).
      if pin.ip != null then { [self.bareMetalIPAnnotation[pin.controller]]: pin.ip } else {}
    ),

  // GKE's service controller refuses a LoadBalancer Service mixing protocols; DNS there is two
  // Services (UDP and TCP) on one reserved address (purpose SHARED_LOADBALANCER_VIP).
  splitsProtocols(provider):: provider == 'gcp',
}
