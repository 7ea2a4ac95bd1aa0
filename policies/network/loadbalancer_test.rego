package fleetgen.network_test

import rego.v1

import data.fleetgen.network

test_internal_load_balancer_passes if {
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "namespace": "kube-system", "annotations": {"networking.gke.io/load-balancer-type": "Internal"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_fleetgen_marker_is_not_trusted if {
	network.deny_public_load_balancer == {"Service default/dns-gateway is a public load balancer: annotate it with its provider's internal scheme, or pin it at private addresses with its bare-metal load balancer's annotation"} with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "annotations": {"fleetgen.dev/internal": "true"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_metallb_pinned_at_private_addresses_passes if {
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "annotations": {"metallb.io/loadBalancerIPs": "10.30.255.10, fd10:30::53"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_kube_vip_and_cilium_pinned_in_shared_space_pass if {
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "a", "annotations": {"kube-vip.io/loadbalancerIPs": "100.64.0.10"}}
		with input.spec as {"type": "LoadBalancer"}
	count(network.deny_public_load_balancer) == 0 with input.kind as "Service"
		with input.metadata as {"name": "b", "annotations": {"lbipam.cilium.io/ips": "192.168.1.53,172.31.0.1"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_bare_metal_pin_with_one_public_address_is_denied if {
	network.deny_public_load_balancer == {"Service default/dns-gateway is a public load balancer: annotate it with its provider's internal scheme, or pin it at private addresses with its bare-metal load balancer's annotation"} with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "annotations": {"metallb.io/loadBalancerIPs": "10.30.255.10,34.90.255.10"}}
		with input.spec as {"type": "LoadBalancer"}
}

test_lookalike_addresses_are_not_private if {
	not network.private_address("172.32.0.1")
	not network.private_address("100.128.0.1")
	not network.private_address("fc::1")
	not network.private_address("fe80::1")
	not network.private_address("11.0.0.1")
	not network.private_address("192.169.0.1")
	not network.private_address("10.0.0")
	network.private_address("fd10:30::53")
}

test_public_load_balancer_is_denied if {
	network.deny_public_load_balancer == {"Service kube-system/dns-gateway is a public load balancer: annotate it with its provider's internal scheme, or pin it at private addresses with its bare-metal load balancer's annotation"} with input.kind as "Service"
		with input.metadata as {"name": "dns-gateway", "namespace": "kube-system", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}}
		with input.spec as {"type": "LoadBalancer"}
}
