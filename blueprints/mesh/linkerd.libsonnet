// Linkerd multicluster: each cluster runs its own control plane (shared trust
// domain and trust anchor) and the multicluster extension, with one Link per
// peer (links are one-directional: this cluster mirrors the peer's exported
// services). remote-discovery mode: flat pod network, no gateway; gateway mode:
// traffic through each peer's linkerd-gateway (internal load balancer).
local k = import '../lib/k.libsonnet';
local lb = import '../lib/lb.libsonnet';

local repo = { name: 'linkerd-edge', url: 'https://helm.linkerd.io/edge' };
local mcNs = 'linkerd-multicluster';
local gatewayPort = '4143';

local credentials(peer) = 'cluster-credentials-' + peer;

{
  clusterFiles(fleet, cluster)::
    local m = cluster.mesh;
    local gateway = m.mode == 'gateway';
    {
      ['mesh/linkerd/link-' + l.name + '.yaml']:
        k.object('multicluster.linkerd.io/v1alpha3', 'Link', l.name, mcNs, k.labels(fleet, 'linkerd-link', 'mesh'),
                 // The Link CRD arrives with the linkerd-multicluster release, possibly after this sync starts.
                 { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' }) + {
          spec: {
            targetClusterName: l.name,
            targetClusterDomain: l.clusterDomain,
            targetClusterLinkerdNamespace: 'linkerd',
            // Created by hand from `linkerd multicluster link-gen` (credentials never in git).
            clusterCredentialsSecret: credentials(l.name),
            remoteDiscoverySelector: { matchLabels: { 'mirror.linkerd.io/exported': 'remote-discovery' } },
            federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
          } + (
            if !gateway then {} else {
              // Gateway mode only: `link-gen --gateway=false` sets no selector (linkerd2 multicluster/cmd/link-gen.go).
              selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
              // Never null in a render that passed the checks (rule mesh-endpoint); `fleetgen check` still renders.
              [if l.endpoint != null then 'gatewayAddress']: l.endpoint,
              gatewayPort: gatewayPort,
              gatewayIdentity: 'linkerd-gateway.' + mcNs + '.serviceaccount.identity.linkerd.' + m.trustDomain,
              probeSpec: { path: '/ready', port: '4191', period: '3s' },
            }
          ),
        }
      for l in m.links
    },

  prerequisites(fleet, cluster)::
    {
      'linkerd.linkerd-identity-trust-roots':
        'ConfigMap (key ca-bundle.crt) holding the trust anchor certificate every cluster shares, '
        + 'e.g. a trust-manager Bundle; the control plane runs with identity.externalCA=true',
      'linkerd.linkerd-identity-issuer':
        'Secret of type kubernetes.io/tls (tls.crt, tls.key, ca.crt): this cluster\'s identity issuer, '
        + 'signed by the trust anchor, e.g. a cert-manager Certificate',
    } + {
      [mcNs + '.' + credentials(l.name)]:
        'linkerd --context=' + l.name + ' multicluster link-gen --cluster-name=' + l.name
        // Without a gateway, link-gen must not look up the peer's gateway Service (it fails when there is none).
        + (if cluster.mesh.mode == 'gateway' then '' else ' --gateway=false')
        + ' | yq \'select(.kind == "Secret")\' | kubectl apply --context=' + cluster.name + ' -f -'
      for l in cluster.mesh.links
    },

  releases(fleet, c)::
    local m = c.mesh;
    local gateway = m.mode == 'gateway';
    [
      { name: 'linkerd-crds', chart: 'linkerd-crds', repo: repo, namespace: 'linkerd', values: {} },
      {
        name: 'linkerd-control-plane',
        chart: 'linkerd-control-plane',
        repo: repo,
        namespace: 'linkerd',
        values: {
          identityTrustDomain: m.trustDomain,
          // Trust anchor from the linkerd-identity-trust-roots ConfigMap, issuer from its Secret.
          identity: { externalCA: true, issuer: { scheme: 'kubernetes.io/tls' } },
        },
      },
      {
        name: 'linkerd-multicluster',
        chart: 'linkerd-multicluster',
        repo: repo,
        namespace: mcNs,
        values: {
          gateway: { enabled: gateway } + (
            if !gateway then {} else {
              serviceType: 'LoadBalancer',
              serviceAnnotations: lb.internalAnnotations(c.provider, m.loadBalancer),
            }
          ),
          // One service-mirror controller per Link (Linkerd edge-25.3.3 and later).
          // Remote discovery: no gateway, so no probe Service per controller (controllerDefaults.gateway.enabled is true).
          controllers: [
            { link: { ref: { name: l.name } } } + (if gateway then {} else { gateway: { enabled: false } })
            for l in m.links
          ],
        },
      },
    ],
}
