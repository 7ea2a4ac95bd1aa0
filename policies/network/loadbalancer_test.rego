package fleetgen.network_test

import rego.v1

import data.fleetgen.network

test_internal_load_balancer_passes if {
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "namespace": "kube-system", "annotations": {"networking.gke.io/load-balancer-type": "Internal"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_metallb_marked_internal_passes if {
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "annotations": {"fleetgen.dev/internal": "true"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_public_load_balancer_is_denied if {
	network.deny_public_load_balancer == {"Service kube-system/dns-gateway is a public load balancer: annotate it with its provider's internal scheme"} with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "namespace": "kube-system", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}}
		with input.spec as {"type": "LoadBalancer"}
}
