// A small CoreDNS owned by the fleet that answers this cluster's fleet zone,
// for clusters whose own DNS server cannot (GKE kube-dns only serves cluster.local).
// Discovery options reuse it through `opts` (see blueprints/discovery/): other
// server blocks, another image, extra volumes and RBAC rules, a pinned ClusterIP.
local k = import '../lib/k.libsonnet';
local corefile = import 'corefile.libsonnet';

{
  namespace:: 'fleet-dns',
  selector:: { 'app.kubernetes.io/name': 'fleet-dns-gateway' },

  files(fleet, cluster, opts={})::
    local labels = k.labels(fleet, 'fleet-dns-gateway', 'dns');
    local ns = $.namespace;
    local o = {
      corefile: corefile.ownZoneBlock(cluster.dns.zone),
      image: fleet.corednsImage,
      rules: [],
      volumes: [],
      volumeMounts: [],
      clusterIP: null,
    } + opts;
    {
      'dns/gateway/namespace.yaml': k.namespace(ns, labels),
      'dns/gateway/serviceaccount.yaml': k.object('v1', 'ServiceAccount', 'fleet-dns-gateway', ns, labels),
      'dns/gateway/clusterrole.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'fleet-dns-gateway', null, labels) + {
        rules: [
          { apiGroups: [''], resources: ['services', 'namespaces', 'pods'], verbs: ['list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ] + o.rules,
      },
      'dns/gateway/clusterrolebinding.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'fleet-dns-gateway', null, labels) + {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fleet-dns-gateway' },
        subjects: [{ kind: 'ServiceAccount', name: 'fleet-dns-gateway', namespace: ns }],
      },
      'dns/gateway/configmap.yaml': k.configMap('fleet-dns-gateway', ns, {
        Corefile: corefile.block('.', ['health', 'ready'])
                  + o.corefile,
      }, labels),
      'dns/gateway/deployment.yaml': k.object('apps/v1', 'Deployment', 'fleet-dns-gateway', ns, labels) + {
        spec: {
          replicas: 2,
          selector: { matchLabels: $.selector },
          template: {
            metadata: { labels: labels },
            spec: {
              serviceAccountName: 'fleet-dns-gateway',
              containers: [{
                name: 'coredns',
                image: o.image,
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 8181 } },
                livenessProbe: { httpGet: { path: '/health', port: 8080 } },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }] + o.volumeMounts,
              }],
              volumes: [{ name: 'config', configMap: { name: 'fleet-dns-gateway' } }] + o.volumes,
            },
          },
        },
      },
      'dns/gateway/poddisruptionbudget.yaml': k.object('policy/v1', 'PodDisruptionBudget', 'fleet-dns-gateway', ns, labels) + {
        spec: { minAvailable: 1, selector: { matchLabels: $.selector } },
      },
    } + (
      // In-cluster address the cluster DNS forwards the discovery zones to (CoreDNS `forward` needs an IP).
      if o.clusterIP == null then {} else {
        'dns/gateway/service.yaml': k.object('v1', 'Service', 'fleet-dns-gateway', ns, labels) + {
          spec: {
            type: 'ClusterIP',
            clusterIP: o.clusterIP,
            selector: $.selector,
            ports: [
              { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
            ],
          },
        },
      }
    ),
}
