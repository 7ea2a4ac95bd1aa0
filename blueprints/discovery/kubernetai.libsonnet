// discovery: kubernetai. A fleet-owned CoreDNS (the DNS gateway, run with an
// image built with the external kubernetai plugin) answers every fleet zone:
// its own from the local API, each peer's by reading the peer's API server
// with a kubeconfig. The cluster DNS forwards the fleet zones to the gateway's
// pinned ClusterIP. Each cluster also lets its peers read it: one read-only
// ServiceAccount (and a token Secret the token controller fills) per reader.
local corefile = import '../dns/corefile.libsonnet';
local gateway = import '../dns/gateway.libsonnet';
local k = import '../lib/k.libsonnet';
local stubs = import 'stubs.libsonnet';

local kubeconfigs = 'fleet-dns-kubeconfigs';
local readerRole = 'fleet-dns-reader';

{
  // A kubeconfig without credentials: the token and CA are files from the
  // Secret mounted next to it (the keys of a service-account-token Secret).
  kubeconfig(remote, dir)::
    local base = dir + '/' + remote.name + '/';
    // JSON is YAML; std.manifestJsonEx prints the same bytes in every Jsonnet engine.
    std.manifestJsonEx({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: remote.name, cluster: { server: remote.apiServer, 'certificate-authority': base + 'ca.crt' } }],
      users: [{ name: 'fleet-dns', user: { tokenFile: base + 'token' } }],
      contexts: [{ name: remote.name, context: { cluster: remote.name, user: 'fleet-dns' } }],
      'current-context': remote.name,
    }, '  ') + '\n',

  // One server block per peer zone: `kubernetai` (like `kubernetes`) may appear
  // once per block, and a block that owns one zone needs no `fallthrough`.
  // `ready` in each block: CoreDNS's ready only hears from the blocks enabling it.
  remoteBlock(remote, dir)::
    corefile.block(remote.zone, [
      'errors',
      'ready',
      'cache 30',
      'kubernetai ' + remote.zone + ' {',
      '    kubeconfig ' + dir + '/' + remote.name + '/kubeconfig ' + remote.name,
      '}',
    ]),

  // Projected volume: each peer's kubeconfig (ConfigMap) beside its token and CA (Secret, by reference).
  volume(remotes)::
    {
      name: 'kubeconfigs',
      projected: {
        sources: [{
          configMap: { name: kubeconfigs, items: [{ key: r.name, path: r.name + '/kubeconfig' } for r in remotes] },
        }] + [
          { secret: { name: r.secret, items: [{ key: 'token', path: r.name + '/token' }, { key: 'ca.crt', path: r.name + '/ca.crt' }] } }
          for r in remotes
        ],
      },
    },

  readers(fleet, cluster)::
    local labels = k.labels(fleet, readerRole, 'dns');
    local ns = gateway.namespace;
    local readers = cluster.discovery.kubernetai.readers;
    if std.length(readers) == 0 then {} else {
      'discovery/kubernetai/clusterrole.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRole', readerRole, null, labels) + {
        rules: [
          { apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        ],
      },
      'discovery/kubernetai/clusterrolebinding.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', readerRole, null, labels) + {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: readerRole },
        subjects: [{ kind: 'ServiceAccount', name: r.serviceAccount, namespace: ns } for r in readers],
      },
    } + {
      ['discovery/kubernetai/serviceaccount-' + r.cluster + '.yaml']:
        k.object('v1', 'ServiceAccount', r.serviceAccount, ns, labels + { 'fleetgen.dev/reader': r.cluster })
      for r in readers
    } + {
      // No data: the token controller fills token, ca.crt and namespace.
      ['discovery/kubernetai/secret-token-' + r.cluster + '.yaml']:
        k.object('v1', 'Secret', r.serviceAccount + '-token', ns, labels + { 'fleetgen.dev/reader': r.cluster },
                 { 'kubernetes.io/service-account.name': r.serviceAccount }) + { type: 'kubernetes.io/service-account-token' }
      for r in readers
    },

  files(fleet, cluster)::
    local kt = cluster.discovery.kubernetai;
    local ip = k.required(cluster.discovery.ip, 'dns.discoveryIP for cluster ' + cluster.name);
    local dir = kt.kubeconfigDir;
    local remotes = kt.remotes;
    local labels = k.labels(fleet, 'fleet-dns-gateway', 'dns');
    stubs.files(fleet, cluster, [cluster.dns.zone] + [r.zone for r in remotes], ip)
    + gateway.files(fleet, cluster, {
      image: kt.image,
      // The own zone with `kubernetai` too (in-cluster, no kubeconfig): the kubernetai
      // build recipe in its own repository (main.go) replaces the `kubernetes`
      // directive, so `kubernetes` would be an unknown directive in that image.
      corefile: corefile.gatewayZoneBlock(cluster.dns.zone, 'kubernetai') + std.join('', [$.remoteBlock(r, dir) for r in remotes]),
      volumes: if std.length(remotes) == 0 then [] else [$.volume(remotes)],
      volumeMounts: if std.length(remotes) == 0 then [] else [{ name: 'kubeconfigs', mountPath: dir, readOnly: true }],
      clusterIP: ip,
    })
    + (if std.length(remotes) == 0 then {} else {
         'dns/gateway/configmap-kubeconfigs.yaml': k.configMap(kubeconfigs, gateway.namespace, {
           [r.name]: $.kubeconfig(r, dir)
           for r in remotes
         }, labels),
       })
    + $.readers(fleet, cluster),
}
