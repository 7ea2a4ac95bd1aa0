// A small CoreDNS owned by the fleet that answers this cluster's fleet zone,
// for clusters whose own DNS server cannot (GKE kube-dns only serves cluster.local).
// Discovery options reuse it through `opts` (see blueprints/discovery/): other
// server blocks, another image, extra volumes and RBAC rules, a pinned ClusterIP.
// It is the one workload fleetgen runs, reachable from other clouds, so it runs
// hardened: the restricted Pod Security profile, a read-only root, a
// NetworkPolicy that admits DNS only from the fleet's own node and pod ranges.
local k = import '../lib/k.libsonnet';
local corefile = import 'corefile.libsonnet';

// The CoreDNS images (upstream and registry.k8s.io) run as distroless `nonroot`
// (65532) with cap_net_bind_service set on the binary: keep that identity, and keep
// NET_BIND_SERVICE in the bounding set (a file capability outside it fails exec).
local uid = 65532;
local healthPort = 8080;
local readyPort = 8181;

{
  namespace:: 'fleet-dns',
  selector:: { 'app.kubernetes.io/name': 'fleet-dns-gateway' },

  // Every node and pod range of this cluster and of its peers (the clusters of its
  // groups), in order, without repeats: who may ask the gateway for names.
  fleetRanges(cluster)::
    local all = cluster.network.nodeCIDRs + cluster.network.podCIDRs
                + std.flattenArrays([p.network.nodeCIDRs + p.network.podCIDRs for p in cluster.peers]);
    std.foldl(function(acc, c) if std.member(acc, c) then acc else acc + [c], all, []),

  networkPolicy(cluster, labels)::
    local dnsPorts = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
    k.object('networking.k8s.io/v1', 'NetworkPolicy', 'fleet-dns-gateway', $.namespace, labels) + {
      spec: {
        podSelector: { matchLabels: $.selector },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ ipBlock: { cidr: c } } for c in $.fleetRanges(cluster)], ports: dnsPorts },
          // kubelet probes come from the node the pod runs on.
          {
            from: [{ ipBlock: { cidr: c } } for c in cluster.network.nodeCIDRs],
            ports: [{ protocol: 'TCP', port: healthPort }, { protocol: 'TCP', port: readyPort }],
          },
        ],
      },
    },

  files(fleet, cluster, opts={})::
    local labels = k.labels(fleet, 'fleet-dns-gateway', 'dns');
    local ns = $.namespace;
    local o = {
      corefile: corefile.gatewayZoneBlock(cluster.dns.zone),
      image: fleet.corednsImage,
      rules: [],
      volumes: [],
      volumeMounts: [],
      clusterIP: null,
    } + opts;
    {
      // The API server enforces the restricted Pod Security profile on everything in it.
      'dns/gateway/namespace.yaml': k.namespace(ns, labels + {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      }),
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
              // Restricted Pod Security profile; the sysctl lets port 53 bind without
              // any capability too (an image built without the file capability).
              securityContext: {
                runAsNonRoot: true,
                runAsUser: uid,
                runAsGroup: uid,
                fsGroup: uid,
                seccompProfile: { type: 'RuntimeDefault' },
                sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' }],
              },
              // Spread over zones (and nodes) where there are several; never refuse to schedule.
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: $.selector } }
                for key in ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']
              ],
              containers: [{
                name: 'coredns',
                image: o.image,
                imagePullPolicy: 'IfNotPresent',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'health', containerPort: healthPort, protocol: 'TCP' },
                  { name: 'ready', containerPort: readyPort, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: readyPort, scheme: 'HTTP' }, periodSeconds: 10 },
                livenessProbe: {
                  httpGet: { path: '/health', port: healthPort, scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  failureThreshold: 5,
                },
                resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { cpu: '1', memory: '170Mi' } },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: uid,
                  runAsGroup: uid,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  seccompProfile: { type: 'RuntimeDefault' },
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
      'dns/gateway/networkpolicy.yaml': $.networkPolicy(cluster, labels),
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
