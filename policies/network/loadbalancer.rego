package fleetgen.network

import rego.v1

import data.fleetgen.lib

# Annotations that make a LoadBalancer Service internal, per provider.
# fleetgen.dev/internal marks a load balancer that is internal by construction
# (e.g. MetalLB handing out addresses from a private range on generic clusters).
internal_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
	"networking.gke.io/load-balancer-type": "Internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
	"fleetgen.dev/internal": "true",
}

# METADATA
# title: Load balancers are internal
# description: >-
#   A Service of type LoadBalancer must carry its provider's internal-scheme
#   annotation, so the DNS endpoint (and anything else) is never exposed on a
#   public address.
# custom:
#   id: lb-public
deny_public_load_balancer contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not is_internal(input.metadata)
	msg := sprintf(
		"Service %s/%s is a public load balancer: annotate it with its provider's internal scheme",
		[lib.namespace(input.metadata), input.metadata.name],
	)
}

is_internal(metadata) if {
	some key, value in internal_annotations
	metadata.annotations[key] == value
}
