package fleetgen.dns_test

import rego.v1

import data.fleetgen.dns

facts := {
	"path": "output/fleet.facts.json",
	"contents": {
		"fleet": "stateful-eu",
		"discovery": "forward",
		"clusters": [
			{"name": "aws-a", "zone": "aws-a.local", "dnsEndpoint": "10.10.255.10", "peers": ["gcp-b", "azure-c"]},
			{"name": "gcp-b", "zone": "gcp-b.local", "dnsEndpoint": "10.20.255.10", "peers": ["aws-a", "azure-c"]},
			{"name": "azure-c", "zone": "azure-c.local", "dnsEndpoint": "10.30.255.10", "peers": ["aws-a", "gcp-b"]},
		],
	},
}

coredns := {
	"path": "output/clusters/aws-a/dns/configmap-coredns.yaml",
	"contents": {
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": {"name": "coredns", "namespace": "kube-system"},
		"data": {"Corefile": ".:53 {\n    kubernetes cluster.local\n}\ngcp-b.local:53 {\n    errors\n    cache 30\n    forward . 10.20.255.10\n}\nazure-c.local:53 {\n    errors\n    cache 30\n    forward . 10.30.255.10\n}\n"},
	},
}

kube_dns := {
	"path": "output/clusters/gcp-b/dns/configmap-kube-dns.yaml",
	"contents": {
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": {"name": "kube-dns", "namespace": "kube-system"},
		"data": {"stubDomains": "{\"aws-a.local\": [\"10.10.255.10\"], \"azure-c.local\": [\"10.30.255.10\"]}"},
	},
}

coredns_custom(endpoint) := {
	"path": "output/clusters/azure-c/dns/configmap-coredns-custom.yaml",
	"contents": {
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": {"name": "coredns-custom", "namespace": "kube-system"},
		"data": {
			"aws-a.server": concat("", ["aws-a.local:53 {\n    errors\n    cache 30\n    forward . ", endpoint, "\n}\n"]),
			"gcp-b.server": "gcp-b.local:53 {\n    errors\n    cache 30\n    forward . 10.20.255.10\n}\n",
		},
	},
}

test_every_peer_zone_forwarded_passes if {
	docs := [facts, coredns, kube_dns, coredns_custom("10.10.255.10")]
	count(dns.deny_missing_peer_zone) == 0 with data.fleetgen.lib.documents as docs
}

test_wrong_peer_endpoint_is_denied if {
	docs := [facts, coredns, kube_dns, coredns_custom("10.99.255.10")]
	dns.deny_missing_peer_zone == {{
		"msg": "cluster azure-c does not forward peer zone aws-a.local to 10.10.255.10, the DNS endpoint of aws-a",
		"path": "output/clusters/azure-c/dns/configmap-coredns-custom.yaml",
		"clusters": ["azure-c", "aws-a"],
	}} with data.fleetgen.lib.documents as docs
}

test_each_dns_config_is_assigned_its_cluster_once if {
	# the rule every cluster's comparison reads (computed once), not a per-cluster rescan
	dns.dns_config_clusters == [{"cluster": "aws-a", "doc": coredns}, {"cluster": "gcp-b", "doc": kube_dns}] with data.fleetgen.lib.documents as [facts, coredns, kube_dns]
}

test_ipv6_upstreams_with_and_without_port_pass if {
	v6facts := {
		"path": "output/fleet.facts.json",
		"contents": {
			"fleet": "v6", "discovery": "forward",
			"clusters": [
				{"name": "a", "zone": "a.local", "dnsEndpoint": "fd10:1::53", "peers": ["b", "c"]},
				{"name": "b", "zone": "b.local", "dnsEndpoint": "fd10:2::53", "peers": []},
				{"name": "c", "zone": "c.local", "dnsEndpoint": "fd10:3::53", "peers": []},
			],
		},
	}
	v6 := {
		"path": "output/clusters/a/dns/configmap-coredns.yaml",
		"contents": {
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": {"name": "coredns", "namespace": "kube-system"},
			"data": {"Corefile": "b.local:53 {\n    forward . fd10:2::53\n}\nc.local:53 {\n    forward . [fd10:3::53]:53\n}\n"},
		},
	}
	count(dns.deny_missing_peer_zone) == 0 with data.fleetgen.lib.documents as [v6facts, v6]
}
