// discovery: consul, per cluster. The cluster DNS sends `consul` (which covers
// `<dc>.consul` and `<peer>.peer.consul`) to Consul DNS at its pinned ClusterIP;
// cluster peering objects (PeeringAcceptor on the earlier cluster of a pair,
// PeeringDialer on the later) name their token Secret only; exported services
// let peers resolve the workloads. Consul itself is a Helm release on the GitOps
// hub (consul-release.libsonnet), which installs the CRDs these objects need.
local k = import '../lib/k.libsonnet';
local stubs = import 'stubs.libsonnet';

local ns = 'consul';
// The CRDs come with the Helm release, possibly after this cluster's first sync.
local crdAnnotations = { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' };

{
  files(fleet, cluster)::
    local c = cluster.discovery.consul;
    local ip = k.required(cluster.discovery.ip, 'dns.discoveryIP for cluster ' + cluster.name);
    local labels = k.labels(fleet, 'consul', 'discovery');
    local object(kind, name) = k.object('consul.hashicorp.com/v1alpha1', kind, name, ns, labels, crdAnnotations);
    stubs.files(fleet, cluster, ['consul'], ip)
    + { 'discovery/consul/namespace.yaml': k.namespace(ns, labels) }
    + {
      ['discovery/consul/peering' + p.role + '-' + p.peer + '.yaml']:
        object(if p.role == 'acceptor' then 'PeeringAcceptor' else 'PeeringDialer', p.peer) + {
          spec: { peer: { secret: { name: p.secret, key: 'data', backend: 'kubernetes' } } },
        }
      for p in c.peerings
    }
    + (if std.length(c.peerings) == 0 then {} else {
         // Peer through the mesh gateways: only the gateways need to be reachable from peers.
         'discovery/consul/mesh.yaml': object('Mesh', 'mesh') + { spec: { peering: { peerThroughMeshGateways: true } } },
       })
    + (if std.length(c.exportedServices) == 0 then {} else {
         'discovery/consul/exportedservices.yaml': object('ExportedServices', 'default') + {
           spec: { services: [
             { name: s.name, consumers: [{ peer: p } for p in s.consumers] }
             for s in c.exportedServices
           ] },
         },
       }),
}
