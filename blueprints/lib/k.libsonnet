// Shared helpers for every fleetgen blueprint: labels, object skeletons.
{
  // The stable label subset used on every rendered object (no versions: selectors use these too).
  labels(fleet, name, component):: {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': fleet.name,
    'app.kubernetes.io/managed-by': 'fleetgen',
  },

  // Annotations for objects a provider or the cluster owns and fleetgen only extends:
  // GitOps must never delete them when they disappear from the output.
  keepOnPrune:: {
    'argocd.argoproj.io/sync-options': 'Prune=false,ServerSideApply=true',
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

  namespace(name, labels={}):: self.object('v1', 'Namespace', name, null, labels),

  required(value, what)::
    if value == null then error ('must provide ' + what) else value,
}
