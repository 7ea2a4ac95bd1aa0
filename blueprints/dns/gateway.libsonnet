// A small CoreDNS owned by the fleet that answers this cluster's fleet zone,
// for clusters whose own DNS server cannot (GKE kube-dns only serves cluster.local).
local k = import '../lib/k.libsonnet';
local corefile = import 'corefile.libsonnet';

{
  namespace:: 'fleet-dns',
  selector:: { 'app.kubernetes.io/name': 'fleet-dns-gateway' },

  files(fleet, cluster)::
    local labels = k.labels(fleet, 'fleet-dns-gateway', 'dns');
    local ns = $.namespace;
    {
      'dns/gateway/namespace.yaml': k.namespace(ns, labels),
      'dns/gateway/serviceaccount.yaml': k.object('v1', 'ServiceAccount', 'fleet-dns-gateway', ns, labels),
      'dns/gateway/clusterrole.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'fleet-dns-gateway', null, labels) + {
        rules: [
          { apiGroups: [''], resources: ['services', 'namespaces', 'pods'], verbs: ['list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ],
      },
      'dns/gateway/clusterrolebinding.yaml': k.object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'fleet-dns-gateway', null, labels) + {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fleet-dns-gateway' },
        subjects: [{ kind: 'ServiceAccount', name: 'fleet-dns-gateway', namespace: ns }],
      },
      'dns/gateway/configmap.yaml': k.configMap('fleet-dns-gateway', ns, {
        Corefile: corefile.block('.', ['health', 'ready'])
                  + corefile.ownZoneBlock(cluster.dns.zone),
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
                image: fleet.corednsImage,
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
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              }],
              volumes: [{ name: 'config', configMap: { name: 'fleet-dns-gateway' } }],
            },
          },
        },
      },
      'dns/gateway/poddisruptionbudget.yaml': k.object('policy/v1', 'PodDisruptionBudget', 'fleet-dns-gateway', ns, labels) + {
        spec: { minAvailable: 1, selector: { matchLabels: $.selector } },
      },
    },
}
