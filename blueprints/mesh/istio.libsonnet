// Istio multi-primary: every cluster runs its own istiod (same meshID, trust
// domain and root CA); clusters on different networks talk through an
// east-west gateway exposed as an internal load balancer, with the
// `cross-network-gateway` Gateway passing mTLS through on 15443.
local k = import '../lib/k.libsonnet';
local lb = import '../lib/lb.libsonnet';

local repo = { name: 'istio', url: 'https://istio-release.storage.googleapis.com/charts' };
local ns = 'istio-system';
local gatewayName = 'istio-eastwestgateway';

{
  clusterFiles(fleet, cluster)::
    local m = cluster.mesh;
    local labels = k.labels(fleet, 'istio', 'mesh');
    {
      // Kept on prune: removing the mesh from the fleet must not delete the control plane with its namespace.
      'mesh/istio/namespace-istio-system.yaml':
        k.namespace(ns, labels + { 'topology.istio.io/network': m.network }),
    } + (
      if !m.multiNetwork then {} else {
        'mesh/istio/gateway-cross-network.yaml':
          k.object('networking.istio.io/v1', 'Gateway', 'cross-network-gateway', ns, labels,
                   // The Gateway CRD arrives with the istio-base release, possibly after this sync starts.
                   { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' }) + {
            spec: {
              selector: { istio: 'eastwestgateway' },
              servers: [{
                port: { number: 15443, name: 'tls', protocol: 'TLS' },
                tls: { mode: 'AUTO_PASSTHROUGH' },
                hosts: ['*.local'],
              }],
            },
          },
      }
    ),

  prerequisites(fleet, cluster)::
    {
      [ns + '.cacerts']:
        'Secret cacerts (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem): this cluster\'s intermediate CA, '
        + 'signed by the root CA every cluster shares; create it before istiod first starts',
    } + {
      [ns + '.istio-remote-secret-' + p.name]:
        'istioctl create-remote-secret --context=' + p.name + ' --name=' + p.name
        + ' | kubectl apply --context=' + cluster.name + ' -f -'
      for p in cluster.mesh.peers
    },

  releases(fleet, c)::
    local m = c.mesh;
    [
      { name: 'istio-base', chart: 'base', repo: repo, namespace: ns, values: { defaultRevision: 'default' } },
      {
        name: 'istiod',
        chart: 'istiod',
        repo: repo,
        namespace: ns,
        values: {
          global: { meshID: m.meshID, multiCluster: { clusterName: c.name }, network: m.network },
          meshConfig: { trustDomain: m.trustDomain },
        },
      },
    ] + (
      if !m.multiNetwork then [] else [{
        name: gatewayName,
        chart: 'gateway',
        repo: repo,
        namespace: ns,
        values: {
          name: gatewayName,
          // Makes the chart label the Service with the network and expose 15443/15012/15017/15021.
          networkGateway: m.network,
          env: { ISTIO_META_REQUESTED_NETWORK_VIEW: m.network },
          service: {
            type: 'LoadBalancer',
            annotations: lb.internalAnnotations(c.provider, m.endpoint, if m.endpoint != null then m.loadBalancerSubnets else []),
            [if m.endpoint != null && lb.pinsSpecIP(c.provider) then 'loadBalancerIP']: m.endpoint,
          },
        },
      }]
    ),
}
