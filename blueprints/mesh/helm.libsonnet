// Mesh Helm releases, delivered the GitOps way from the hub: Argo CD gets one
// Application per cluster and release (Helm values inline in valuesObject,
// destination the cluster's API server); Flux gets one HelmRepository per chart
// repository and one HelmRelease per cluster and release, applied through that
// cluster's kubeconfig Secret (referenced by name only). Releases of one
// cluster are ordered: Argo CD sync waves, Flux dependsOn.
local k = import '../lib/k.libsonnet';
local flux = import '../gitops/flux.libsonnet';

local appName(fleet, cluster, release) = fleet.name + '-' + cluster.name + '-' + release.name;
local fluxName(cluster, release) = cluster.name + '-' + release.name;

local argocdFiles(fleet, items) =
  local g = fleet.gitops;
  {
    ['hub/argocd/mesh/' + it.cluster.name + '-' + it.releases[i].name + '.yaml']:
      local c = it.cluster;
      local r = it.releases[i];
      k.object('argoproj.io/v1alpha1', 'Application', appName(fleet, c, r), g.namespace,
               k.labels(fleet, r.name, 'mesh') + { 'fleetgen.dev/cluster': c.name },
               { 'argocd.argoproj.io/sync-wave': std.toString(i) }) + {
        spec: {
          project: g.project,
          source: {
            repoURL: r.repo.url,
            chart: r.chart,
            targetRevision: c.mesh.chartVersion,
            helm: { releaseName: r.name } + (if std.length(r.values) > 0 then { valuesObject: r.values } else {}),
          },
          destination: { server: c.apiServer, namespace: r.namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
            retry: { limit: 10, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } },
          },
        },
      }
    for it in items
    for i in std.range(0, std.length(it.releases) - 1)
  };

local fluxFiles(fleet, items) =
  local g = fleet.gitops;
  // Every cluster uses the same few repositories: one HelmRepository each (the object stays tiny while folding).
  local repos = std.foldl(function(acc, r) acc + { [r.repo.name]: r.repo.url }, [r for it in items for r in it.releases], {});
  {
    ['hub/flux/mesh/helmrepository-' + name + '.yaml']:
      k.object('source.toolkit.fluxcd.io/v1', 'HelmRepository', name, g.namespace, k.labels(fleet, name, 'mesh')) + {
        spec: { interval: g.interval, url: repos[name] },
      }
    for name in std.objectFields(repos)
  } + {
    ['hub/flux/mesh/helmrelease-' + it.cluster.name + '-' + it.releases[i].name + '.yaml']:
      local c = it.cluster;
      local r = it.releases[i];
      k.object('helm.toolkit.fluxcd.io/v2', 'HelmRelease', fluxName(c, r), g.namespace,
               k.labels(fleet, r.name, 'mesh') + { 'fleetgen.dev/cluster': c.name }) + {
        spec: {
          interval: g.interval,
          releaseName: r.name,
          targetNamespace: r.namespace,
          storageNamespace: r.namespace,
          chart: { spec: { chart: r.chart, version: c.mesh.chartVersion, sourceRef: { kind: 'HelmRepository', name: r.repo.name } } },
          install: { createNamespace: true, remediation: { retries: 3 } },
          upgrade: { remediation: { retries: 3 } },
          kubeConfig: { secretRef: { name: flux.kubeconfigSecret(c) } },
          [if i > 0 then 'dependsOn']: [{ name: fluxName(c, it.releases[i - 1]) }],
          [if std.length(r.values) > 0 then 'values']: r.values,
        },
      }
    for it in items
    for i in std.range(0, std.length(it.releases) - 1)
  };

{
  // items: [{cluster: hub mesh cluster entry, releases: [{name, chart, repo: {name, url}, namespace, values}]}]
  files(fleet, items)::
    if fleet.gitops.engine == 'flux' then fluxFiles(fleet, items) else argocdFiles(fleet, items),
}
