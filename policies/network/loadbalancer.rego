package fleetgen.network

import rego.v1

import data.fleetgen.lib

# Annotations that make a LoadBalancer Service internal, per cloud provider.
internal_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
	"networking.gke.io/load-balancer-type": "Internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
}

# Annotations bare-metal load balancers (MetalLB, kube-vip, Cilium LB IPAM) take
# the requested addresses from. They have no internal scheme: such a load
# balancer is internal when every address it is pinned at is private.
bare_metal_ip_annotations := [
	"metallb.io/loadBalancerIPs",
	"metallb.universe.tf/loadBalancerIPs",
	"kube-vip.io/loadbalancerIPs",
	"lbipam.cilium.io/ips",
]

# METADATA
# title: Load balancers are internal
# description: >-
#   A Service of type LoadBalancer must carry its provider's internal-scheme
#   annotation, or be pinned by a bare-metal load balancer's annotation at
#   private addresses only (RFC 1918, RFC 6598, IPv6 ULA), so the DNS endpoint
#   (and anything else) is never exposed on a public address.
# custom:
#   id: lb-public
deny_public_load_balancer contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not is_internal(input.metadata)
	msg := sprintf(
		"Service %s/%s is a public load balancer: annotate it with its provider's internal scheme, or pin it at private addresses with its bare-metal load balancer's annotation",
		[lib.namespace(input.metadata), input.metadata.name],
	)
}

is_internal(metadata) if {
	some key, value in internal_annotations
	metadata.annotations[key] == value
}

is_internal(metadata) if {
	pinned := [ip |
		some key in bare_metal_ip_annotations
		some part in split(metadata.annotations[key], ",")
		ip := trim_space(part)
		ip != ""
	]
	count(pinned) > 0
	public := [ip | some ip in pinned; not private_address(ip)]
	count(public) == 0
}

# No net.* builtins in the embedded engine: compare the octets.
private_address(ip) if {
	octets := ipv4_octets(ip)
	octets[0] == 10
}

private_address(ip) if {
	octets := ipv4_octets(ip)
	octets[0] == 172
	octets[1] >= 16
	octets[1] <= 31
}

private_address(ip) if {
	octets := ipv4_octets(ip)
	octets[0] == 192
	octets[1] == 168
}

# RFC 6598 shared address space 100.64.0.0/10.
private_address(ip) if {
	octets := ipv4_octets(ip)
	octets[0] == 100
	octets[1] >= 64
	octets[1] <= 127
}

# IPv6 unique local addresses fc00::/7.
private_address(ip) if {
	contains(ip, ":")
	regex.match(`^[fF][cCdD][0-9a-fA-F]{2}:`, ip)
}

ipv4_octets(ip) := [n |
	some part in parts
	n := to_number(part)
] if {
	regex.match(`^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`, ip)
	parts := split(ip, ".")
}
