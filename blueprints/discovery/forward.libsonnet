// discovery: forward (the default). Each cluster's DNS forwards every peer
// zone to that peer's DNS endpoint (an internal load balancer); the rendering
// lives in blueprints/dns/ and is unchanged by the other discovery options.
local endpoint = import '../dns/endpoint.libsonnet';
local extension = import '../dns/extension.libsonnet';

{
  files(fleet, cluster)::
    extension.files(fleet, cluster) + endpoint.files(fleet, cluster),
}
