// discovery: mcs (Kubernetes Multi-Cluster Services, KEP-1645). Every placed
// workload's headless Service is exported (ServiceExport, same name and
// namespace); the cluster says who it is (ClusterProperty, KEP-2149). An MCS
// implementation installed by the user turns exports into ServiceImports and
// EndpointSlices; the fleet-owned CoreDNS (>= 1.12.2, `multicluster` option of
// the kubernetes plugin) answers clusterset.local from them, and the cluster
// DNS forwards clusterset.local to it: one CoreDNS version the fleet pins,
// whatever DNS server each provider runs.
local corefile = import '../dns/corefile.libsonnet';
local gateway = import '../dns/gateway.libsonnet';
local k = import '../lib/k.libsonnet';
local stubs = import 'stubs.libsonnet';

{
  // Its own server block: `kubernetes` may appear once per block, and the cluster block stays stock.
  clustersetBlock(domain)::
    // `ready` here too: this block's kubernetes plugin keeps its own API cache.
    corefile.block(domain, ['errors', 'ready', 'cache 30', 'kubernetes ' + domain + ' {', '    multicluster ' + domain, '}']),

  clusterProperty(fleet, name, value)::
    k.object('about.k8s.io/v1beta1', 'ClusterProperty', name, null, k.labels(fleet, 'cluster-property', 'discovery')) + {
      spec: { value: value },
    },

  files(fleet, cluster)::
    local m = cluster.discovery.mcs;
    local ip = k.required(cluster.discovery.ip, 'dns.discoveryIP for cluster ' + cluster.name);
    stubs.files(fleet, cluster, [m.domain], ip)
    + gateway.files(fleet, cluster, {
      corefile: $.clustersetBlock(m.domain),
      rules: [{ apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceimports'], verbs: ['list', 'watch'] }],
      clusterIP: ip,
    })
    + {
      'discovery/mcs/clusterproperty-cluster.yaml': $.clusterProperty(fleet, 'cluster.clusterset.k8s.io', m.clusterId),
      'discovery/mcs/clusterproperty-clusterset.yaml': $.clusterProperty(fleet, 'clusterset.k8s.io', m.clusterSetId),
    }
    + {
      ['workloads/' + w.namespace + '/' + w.name + '/serviceexport.yaml']:
        k.object('multicluster.x-k8s.io/v1alpha1', 'ServiceExport', w.name, w.namespace, k.labels(fleet, w.name, 'stateful-workload'))
      for w in cluster.workloads
    },
}
