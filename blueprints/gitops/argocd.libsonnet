// Argo CD hub wiring: one ApplicationSet whose list generator has an element
// per cluster; each generated Application syncs <path>/clusters/<cluster>
// to that cluster's API server. Cluster credentials are Argo CD cluster
// Secrets created out of band (label argocd.argoproj.io/secret-type: cluster).
local k = import '../lib/k.libsonnet';

{
  files(fleet, hub)::
    local g = fleet.gitops;
    local labels = k.labels(fleet, fleet.name, 'gitops');
    {
      'hub/argocd/applicationset.yaml': k.object('argoproj.io/v1alpha1', 'ApplicationSet', fleet.name, g.namespace, labels) + {
        spec: {
          goTemplate: true,
          goTemplateOptions: ['missingkey=error'],
          // A cluster removed from the list (or this ApplicationSet deleted) deletes its Application;
          // without this its resources-finalizer would delete every object the Application synced.
          syncPolicy: { preserveResourcesOnDeletion: true },
          generators: [{
            list: {
              elements: [
                { cluster: c.name, server: c.apiServer, path: g.path + '/clusters/' + c.name }
                for c in hub.clusters
              ],
            },
          }],
          template: {
            metadata: {
              name: fleet.name + '-{{.cluster}}',
              labels: labels + { 'fleetgen.dev/cluster': '{{.cluster}}' },
            },
            spec: {
              project: g.project,
              source: { repoURL: g.repoURL, targetRevision: g.revision, path: '{{.path}}' }
                      + (if g.plugin == null then {} else {
                           // The fleetgen Config Management Plugin (argocd-cmp/plugin.yaml): checks the
                           // fleet on the synced revision, then prints the cluster's manifests.
                           plugin: {
                             name: g.plugin.name,
                             env: [
                               { name: 'FLEETGEN_CLUSTER', value: '{{.cluster}}' },
                               { name: 'FLEETGEN_FLEET', value: g.plugin.fleetFile },
                             ],
                           },
                         }),
              destination: { server: '{{.server}}' },
              syncPolicy: {
                automated: { prune: true, selfHeal: true },
                syncOptions: ['ServerSideApply=true'],
              },
            },
          },
        },
      },
    },
}
