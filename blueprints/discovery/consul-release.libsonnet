// discovery: consul, on the GitOps hub. One Helm release of the `consul` chart
// per cluster, pinned to one chart version: an Argo CD Application (values in
// spec.source.helm.valuesObject) or a Flux HelmRepository + HelmRelease applied
// through the cluster's kubeconfig Secret. Values: a unique datacenter, TLS,
// managed ACLs, peering (or WAN federation), Consul DNS at the cluster's
// pinned discoveryIP, catalog sync of the workload namespaces, and mesh
// gateways behind an internal load balancer. No secret is rendered.
local flux = import '../gitops/flux.libsonnet';
local k = import '../lib/k.libsonnet';

local repo = 'https://helm.releases.hashicorp.com';
local ns = 'consul';

// Internal (never public) load balancer for the mesh gateways, per provider.
local internalLB(provider) =
  if provider == 'aws' then {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
  }
  else if provider == 'gcp' then {
    'networking.gke.io/load-balancer-type': 'Internal',
    'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
  }
  else if provider == 'azure' then { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }
  else {};

// WAN federation: the primary creates the federation Secret; secondaries read it (copied by hand).
local federationValues(d, c) =
  if d.federation != 'wan' then { global: { peering: { enabled: true } } }
  else if c.datacenter == d.primaryDatacenter then { global: { federation: { enabled: true, createFederationSecret: true } } }
  else {
    global: {
      federation: { enabled: true, primaryDatacenter: d.primaryDatacenter, k8sAuthMethodHost: c.apiServer },
      tls: {
        caCert: { secretName: 'consul-federation', secretKey: 'caCert' },
        caKey: { secretName: 'consul-federation', secretKey: 'caKey' },
      },
      acls: { replicationToken: { secretName: 'consul-federation', secretKey: 'replicationToken' } },
    },
    server: {
      extraVolumes: [{ type: 'secret', name: 'consul-federation', items: [{ key: 'serverConfigJSON', path: 'config.json' }], load: true }],
    },
  };

{
  values(d, c)::
    local annotations = internalLB(c.provider);
    std.mergePatch({
      global: {
        name: 'consul',
        datacenter: c.datacenter,
        tls: { enabled: true },
        acls: { manageSystemACLs: true },
      },
      server: { replicas: 3 },
      // Peering needs connect injection; mesh gateways carry peering and WAN traffic.
      connectInject: { enabled: true },
      meshGateway: {
        enabled: true,
        replicas: 2,
        service: { type: 'LoadBalancer' } + (if std.length(annotations) > 0 then { annotations: std.manifestJsonEx(annotations, '  ') + '\n' } else {}),
      },
      dns: { enabled: true, clusterIP: k.required(c.dnsIP, 'dns.discoveryIP for cluster ' + c.name) },
      syncCatalog: { enabled: true, toConsul: true, toK8S: false, default: true, k8sAllowNamespaces: c.syncNamespaces },
    }, federationValues(d, c)),

  argocd(fleet, d, c)::
    local g = fleet.gitops;
    k.object('argoproj.io/v1alpha1', 'Application', fleet.name + '-consul-' + c.name, g.namespace,
             k.labels(fleet, 'consul', 'discovery') + { 'fleetgen.dev/cluster': c.name }) + {
      spec: {
        project: g.project,
        source: { repoURL: repo, chart: 'consul', targetRevision: d.chartVersion, helm: { releaseName: 'consul', valuesObject: $.values(d, c) } },
        destination: { server: c.apiServer, namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'] },
      },
    },

  flux(fleet, d, c)::
    local g = fleet.gitops;
    k.object('helm.toolkit.fluxcd.io/v2', 'HelmRelease', fleet.name + '-consul-' + c.name, g.namespace,
             k.labels(fleet, 'consul', 'discovery') + { 'fleetgen.dev/cluster': c.name }) + {
      spec: {
        interval: g.interval,
        releaseName: 'consul',
        targetNamespace: ns,
        storageNamespace: ns,
        install: { createNamespace: true },
        chart: { spec: { chart: 'consul', version: d.chartVersion, sourceRef: { kind: 'HelmRepository', name: 'hashicorp' } } },
        kubeConfig: { secretRef: { name: flux.kubeconfigSecret(c) } },
        values: $.values(d, c),
      },
    },

  files(fleet, hub)::
    local d = hub.discovery;
    local g = fleet.gitops;
    if g.engine == 'flux' then {
      'hub/flux/helmrepository-hashicorp.yaml': k.object('source.toolkit.fluxcd.io/v1', 'HelmRepository', 'hashicorp', g.namespace,
                                                          k.labels(fleet, 'consul', 'discovery')) + {
        spec: { interval: '1h', url: repo },
      },
    } + { ['hub/flux/helmrelease-consul-' + c.name + '.yaml']: $.flux(fleet, d, c) for c in d.clusters }
    else { ['hub/argocd/application-consul-' + c.name + '.yaml']: $.argocd(fleet, d, c) for c in d.clusters },
}
