// Shared helpers for every fleetgen blueprint: labels, object skeletons.
{
  // The stable label subset used on every rendered object (no versions: selectors use these too).
  labels(fleet, name, component):: {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': fleet.name,
    'app.kubernetes.io/managed-by': 'fleetgen',
  },

  // Annotations for objects whose deletion loses data or breaks a running system
  // (namespaces, provider-owned DNS config): GitOps must never delete them, neither
  // when they disappear from the output (Argo CD Prune=false, Flux prune: disabled)
  // nor when their Application is deleted (Argo CD Delete=false). See docs/decommissioning.md.
  keepOnPrune:: {
    'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false,ServerSideApply=true',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  },

  object(apiVersion, kind, name, namespace=null, labels={}, annotations={}):: {
    apiVersion: apiVersion,
    kind: kind,
    metadata: {
      name: name,
      [if namespace != null then 'namespace']: namespace,
      [if std.length(labels) > 0 then 'labels']: labels,
      [if std.length(annotations) > 0 then 'annotations']: annotations,
    },
  },

  configMap(name, namespace, data, labels={}, annotations={})::
    self.object('v1', 'ConfigMap', name, namespace, labels, annotations) + { data: data },

  // Every Namespace fleetgen renders holds state (or a running system): never pruned, never deleted.
  namespace(name, labels={}, annotations={}):: self.object('v1', 'Namespace', name, null, labels, self.keepOnPrune + annotations),

  required(value, what)::
    if value == null then error ('must provide ' + what) else value,
}
