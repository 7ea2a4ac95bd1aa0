// Flux hub wiring: one GitRepository and, per cluster, a Kustomization that
// applies <path>/clusters/<cluster> through that cluster's kubeconfig Secret
// (created out of band, referenced by name only).
local k = import '../lib/k.libsonnet';

{
  kubeconfigSecret(cluster):: cluster.name + '-kubeconfig',

  files(fleet, hub)::
    local g = fleet.gitops;
    local labels = k.labels(fleet, fleet.name, 'gitops');
    {
      'hub/flux/gitrepository.yaml': k.object('source.toolkit.fluxcd.io/v1', 'GitRepository', fleet.name, g.namespace, labels) + {
        spec: { interval: g.interval, url: g.repoURL, ref: { branch: g.revision } }
              + (if g.credentialsSecret != null then { secretRef: { name: g.credentialsSecret } } else {}),
      },
    } + {
      ['hub/flux/kustomization-' + c.name + '.yaml']:
        k.object('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', fleet.name + '-' + c.name, g.namespace,
                 labels + { 'fleetgen.dev/cluster': c.name }) + {
          spec: {
            interval: g.interval,
            path: './' + g.path + '/clusters/' + c.name,
            prune: true,
            sourceRef: { kind: 'GitRepository', name: fleet.name },
            kubeConfig: { secretRef: { name: $.kubeconfigSecret(c) } },
          },
        }
      for c in hub.clusters
    } + (if fleet.verify == null then {} else {
      // Post-sync verification: applied only once the cluster's Kustomization is Ready,
      // and Ready itself only when the Job completed (wait: true). Kustomizations of
      // what runs on top (the workloads) should dependsOn this one.
      ['hub/flux/kustomization-' + c.name + '-verify.yaml']:
        k.object('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', fleet.name + '-' + c.name + '-verify', g.namespace,
                 labels + { 'fleetgen.dev/cluster': c.name }) + {
          spec: {
            interval: g.interval,
            path: './' + g.path + '/clusters/' + c.name + '/verify',
            prune: true,
            wait: true,
            force: true,
            timeout: std.toString(fleet.verify.timeoutSeconds + 60) + 's',
            dependsOn: [{ name: fleet.name + '-' + c.name }],
            sourceRef: { kind: 'GitRepository', name: fleet.name },
            kubeConfig: { secretRef: { name: $.kubeconfigSecret(c) } },
          },
        }
      for c in hub.clusters
    }),
}
