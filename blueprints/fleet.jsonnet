// Entry point: the render input (see generator/view.py) in, a map of output
// path -> Kubernetes object out. Pure: no imports of data, no native callbacks.
local discovery = import 'discovery/discovery.libsonnet';
local argocd = import 'gitops/argocd.libsonnet';
local flux = import 'gitops/flux.libsonnet';
local mesh = import 'mesh/mesh.libsonnet';
local stateful = import 'workloads/stateful.libsonnet';
local calico = import 'overlay/calico.libsonnet';
local verify = import 'verify/job.libsonnet';

local clusterFiles(fleet, cluster) =
  discovery.files(fleet, cluster)
  + stateful.namespaces(fleet, cluster)
  + std.foldl(function(acc, w) acc + stateful.files(fleet, cluster, w), cluster.workloads, {})
  + mesh.clusterFiles(fleet, cluster)
  + (if fleet.connectivity.mode == 'overlay' then calico.files(fleet, cluster) else {});

local kustomization(resources) = {
  apiVersion: 'kustomize.config.k8s.io/v1beta1',
  kind: 'Kustomization',
  resources: resources,
};

// extra: kustomize resources fleetgen does not render (the team's own 'local' directory).
local withKustomization(files, extra=[]) =
  files + { 'kustomization.yaml': kustomization(std.objectFields(files) + extra) };

// A team's own kustomize root inside the cluster directory; fleetgen never renders into it.
local teamDir(c) = if std.objectHas(c, 'localManifests') && c.localManifests then ['local'] else [];

local prefixed(prefix, files) = { [prefix + name]: files[name] for name in std.objectFields(files) };

// A cluster's kustomize root. With spec.verify, verify/ is a kustomize root of its
// own: Argo CD syncs it with the cluster (its Job is a PostSync hook); Flux applies
// it through a separate Kustomization that waits for the cluster's (gitops/flux).
local clusterRoot(fleet, cluster) =
  local files = clusterFiles(fleet, cluster);
  local checks = if fleet.verify == null then {} else prefixed('verify/', withKustomization(verify.files(fleet, cluster)));
  local nested = if checks != {} && fleet.gitops.engine == 'argocd' then ['verify'] else [];
  files + checks + { 'kustomization.yaml': kustomization(std.objectFields(files) + teamDir(cluster) + nested) };

local hubFiles(fleet, hub) =
  local files = (if fleet.gitops.engine == 'flux' then flux.files(fleet, hub) else argocd.files(fleet, hub))
                + mesh.hubFiles(fleet, hub)
                + discovery.hubFiles(fleet, hub);
  local inner = { [std.substr(n, 4, std.length(n) - 4)]: files[n] for n in std.objectFields(files) };
  prefixed('hub/', withKustomization(inner));

// Resolve a cluster's references into the objects blueprints use:
// cluster.peers[i] = {name, provider, zone, endpoint, apiServer, dnsServer, network: {nodeCIDRs, podCIDRs}},
// cluster.workloads[i] = {name, namespace, ports, seeds, clusters, replicas}.
local expand(input, c) = c + {
  peers: [input.directory[p] for p in c.peerNames],
  workloads: [
    input.workloads[w.key] + { replicas: w.replicas } + (if std.objectHas(w, 'seeds') then { seeds: w.seeds } else {})
    for w in c.workloadRefs
  ],
};

function(input)
  local fleet = input.fleet;
  // An array of per-cluster objects, then one comprehension: folding objects
  // together would cost O(N^2) for N clusters.
  local per = [clusterRoot(fleet, expand(input, c)) for c in input.clusters];
  {
    ['clusters/' + input.clusters[i].name + '/' + name]: per[i][name]
    for i in std.range(0, std.length(per) - 1)
    for name in std.objectFields(per[i])
  }
  + (if input.hub != null then hubFiles(fleet, input.hub) else {})
