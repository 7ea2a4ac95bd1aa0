// The service mesh (spec.mesh.type): per-cluster objects under mesh/ in each
// cluster directory, and the mesh's Helm releases on the hub, where the GitOps
// engine that reaches every cluster runs. Nothing at all without a mesh.
local k = import '../lib/k.libsonnet';
local cilium = import 'cilium.libsonnet';
local helm = import 'helm.libsonnet';
local istio = import 'istio.libsonnet';
local linkerd = import 'linkerd.libsonnet';

local kinds = { istio: istio, linkerd: linkerd, cilium: cilium };

local enabled(fleet) = std.objectHas(kinds, fleet.mesh.type);

{
  clusterFiles(fleet, cluster)::
    if !enabled(fleet) then {} else
      local kind = kinds[fleet.mesh.type];
      kind.clusterFiles(fleet, cluster) + {
        // What must exist before the mesh works and is never rendered (credentials, CAs):
        // names only, each with the command that creates it. See docs/mesh-<type>.md.
        'mesh/configmap-mesh-prerequisites.yaml': k.configMap(
          'fleet-mesh-prerequisites', 'kube-system', kind.prerequisites(fleet, cluster),
          k.labels(fleet, 'mesh-prerequisites', 'mesh')
        ),
      },

  hubFiles(fleet, hub)::
    if !enabled(fleet) then {} else
      local kind = kinds[fleet.mesh.type];
      helm.files(fleet, [{ cluster: c, releases: kind.releases(fleet, c) } for c in hub.mesh.clusters]),
}
