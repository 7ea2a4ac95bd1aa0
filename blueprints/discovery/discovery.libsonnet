// spec.dns.discovery: which component renders a cluster's cross-cluster name
// resolution (and, for consul, the Helm releases on the GitOps hub).
local consulRelease = import 'consul-release.libsonnet';
local consul = import 'consul.libsonnet';
local forward = import 'forward.libsonnet';
local kubernetai = import 'kubernetai.libsonnet';
local mcs = import 'mcs.libsonnet';

local kinds = { forward: forward, kubernetai: kubernetai, consul: consul, mcs: mcs };

{
  files(fleet, cluster)::
    if std.objectHas(kinds, fleet.discovery) then kinds[fleet.discovery].files(fleet, cluster)
    else error ('no blueprint for discovery ' + fleet.discovery),

  hubFiles(fleet, hub)::
    if hub.discovery.kind == 'consul' then consulRelease.files(fleet, hub) else {},
}
