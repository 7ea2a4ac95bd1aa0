// Post-sync verification (spec.verify): a Namespace, a ServiceAccount without a
// token, a ConfigMap holding the check script and this cluster's checks, a
// NetworkPolicy, and a Job that runs them after the cluster's resources are synced.
//   Argo CD: the Job is a PostSync hook (recreated before each run; the last one
//            stays for inspection until ttlSecondsAfterFinished).
//   Flux:    the files form their own kustomize root, applied by a Kustomization
//            with wait: true that dependsOn the cluster's (gitops/flux.libsonnet),
//            and force: true to recreate the Job when it changes (Jobs are immutable).
local k = import '../lib/k.libsonnet';

{
  name:: 'fleetgen-verify',
  uid:: 65532,

  hookAnnotations(engine)::
    if engine == 'argocd' then {
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    } else {},

  files(fleet, cluster)::
    local v = fleet.verify;
    local ns = v.namespace;
    local labels = k.labels(fleet, $.name, 'verify');
    local mount = '/etc/fleetgen-verify';
    {
      'namespace.yaml': k.namespace(ns, labels + {
        'pod-security.kubernetes.io/enforce': 'restricted',
      }),
      'serviceaccount.yaml': k.object('v1', 'ServiceAccount', $.name, ns, labels) + {
        automountServiceAccountToken: false,
      },
      'configmap.yaml': k.configMap($.name, ns, {
        'verify.py': v.script,
        'config.json': std.manifestJsonEx(cluster.verify, '  ') + '\n',
      }, labels),
      // Nothing may connect to the Job's pod; it may only ask DNS (any resolver: the
      // cluster's and the peers' endpoints) and reach the peer pods it tests by TCP.
      'networkpolicy.yaml': k.object('networking.k8s.io/v1', 'NetworkPolicy', $.name, ns, labels) + {
        local checks = cluster.verify,
        local peers = std.set([t.peer for t in checks.tcp]),
        local cidrs = std.set(std.flattenArrays([s.podCIDRs for s in checks.seeds if std.member(peers, s.owner)])),
        local ports = std.set([p.port for t in checks.tcp for p in t.ports]),
        spec: {
          podSelector: { matchLabels: { 'app.kubernetes.io/name': $.name } },
          policyTypes: ['Ingress', 'Egress'],
          egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }]
                  + (if ports == [] then [] else [{
                       to: [{ ipBlock: { cidr: c } } for c in cidrs],
                       ports: [{ protocol: 'TCP', port: p } for p in ports],
                     }]),
        },
      },
      'job.yaml': k.object('batch/v1', 'Job', $.name, ns, labels, $.hookAnnotations(fleet.gitops.engine)) + {
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: v.timeoutSeconds,
          ttlSecondsAfterFinished: v.ttlSecondsAfterFinished,
          template: {
            metadata: { labels: labels },
            spec: {
              serviceAccountName: $.name,
              automountServiceAccountToken: false,
              restartPolicy: 'Never',
              securityContext: {
                runAsNonRoot: true,
                runAsUser: $.uid,
                runAsGroup: $.uid,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              containers: [{
                name: 'verify',
                image: v.image,
                imagePullPolicy: 'Always',
                command: ['python3', '-I', '-B', mount + '/verify.py'],
                env: [
                  { name: 'FLEETGEN_VERIFY_CONFIG', value: mount + '/config.json' },
                  { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  runAsUser: $.uid,
                  runAsGroup: $.uid,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                resources: {
                  requests: { cpu: '10m', memory: '32Mi' },
                  limits: { cpu: '200m', memory: '64Mi' },
                },
                volumeMounts: [{ name: 'checks', mountPath: mount, readOnly: true }],
              }],
              volumes: [{ name: 'checks', configMap: { name: $.name, defaultMode: 292 } }],
            },
          },
        },
      },
    },
}
