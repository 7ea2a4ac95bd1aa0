// A stateful workload's cross-cluster discovery objects in one cluster: the
// headless Service its StatefulSet uses and the seeds every replica can read.
local k = import '../lib/k.libsonnet';

{
  files(fleet, cluster, w)::
    local dir = 'workloads/' + w.namespace + '/' + w.name + '/';
    local labels = k.labels(fleet, w.name, 'stateful-workload');
    // Labels/annotations other layers (e.g. the mesh) add to this Service, keyed "<namespace>/<name>".
    local extra = std.get(std.get(cluster, 'serviceMetadata', {}), w.namespace + '/' + w.name, {});
    {
      [dir + 'service-headless.yaml']: k.object('v1', 'Service', w.name, w.namespace,
                                                labels + std.get(extra, 'labels', {}),
                                                std.get(extra, 'annotations', {})) + {
        spec: {
          clusterIP: 'None',
          // Peers must find pods that are not ready yet: a new node joins through the seeds.
          publishNotReadyAddresses: true,
          selector: { 'app.kubernetes.io/name': w.name },
          ports: [
            { name: p.name, port: p.port, targetPort: p.port, protocol: p.protocol }
            for p in w.ports
          ],
        },
      },
      [dir + 'configmap-seeds.yaml']: k.configMap(w.name + '-seeds', w.namespace, {
        // Comma-separated, as Cassandra's SimpleSeedProvider and most operators take it.
        seeds: std.join(',', w.seeds),
        clusters: std.join(',', w.clusters),
      }, labels),
    },

  namespaces(fleet, cluster)::
    {
      ['namespaces/' + ns + '.yaml']: k.namespace(ns, k.labels(fleet, ns, 'namespace'))
      for ns in std.set([w.namespace for w in cluster.workloads])
    },
}
