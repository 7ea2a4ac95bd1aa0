// Entry point: the render input (see generator/view.py) in, a map of output
// path -> Kubernetes object out. Pure: no imports of data, no native callbacks.
local discovery = import 'discovery/discovery.libsonnet';
local argocd = import 'gitops/argocd.libsonnet';
local flux = import 'gitops/flux.libsonnet';
local stateful = import 'workloads/stateful.libsonnet';

local clusterFiles(fleet, cluster) =
  discovery.files(fleet, cluster)
  + stateful.namespaces(fleet, cluster)
  + std.foldl(function(acc, w) acc + stateful.files(fleet, cluster, w), cluster.workloads, {});

local kustomization(resources) = {
  apiVersion: 'kustomize.config.k8s.io/v1beta1',
  kind: 'Kustomization',
  resources: resources,
};

local withKustomization(files) =
  files + { 'kustomization.yaml': kustomization(std.objectFields(files)) };

local prefixed(prefix, files) = { [prefix + name]: files[name] for name in std.objectFields(files) };

local hubFiles(fleet, hub) =
  local files = (if fleet.gitops.engine == 'flux' then flux.files(fleet, hub) else argocd.files(fleet, hub))
                + discovery.hubFiles(fleet, hub);
  local inner = { [std.substr(n, 4, std.length(n) - 4)]: files[n] for n in std.objectFields(files) };
  prefixed('hub/', withKustomization(inner));

function(input)
  local fleet = input.fleet;
  // An array of per-cluster objects, then one comprehension: folding objects
  // together would cost O(N^2) for N clusters.
  local per = [withKustomization(clusterFiles(fleet, c)) for c in input.clusters];
  {
    ['clusters/' + input.clusters[i].name + '/' + name]: per[i][name]
    for i in std.range(0, std.length(per) - 1)
    for name in std.objectFields(per[i])
  }
  + (if input.hub != null then hubFiles(fleet, input.hub) else {})
