package fleetgen.dns

import rego.v1

import data.fleetgen.lib

# METADATA
# title: Every peer zone is forwarded
# description: >-
#   With discovery "forward", each cluster's rendered DNS config (under
#   output/clusters/<cluster>/dns/) must send every peer's zone to that
#   peer's DNS endpoint: a CoreDNS server block in the coredns ConfigMap,
#   a kube-dns stubDomains entry, or an AKS coredns-custom *.server block.
#   Runs on the combined input (facts document plus manifests).
# custom:
#   id: dns-peer-zone-missing
deny_missing_peer_zone contains result if {
	lib.facts.discovery == "forward"
	some cluster in lib.facts.clusters
	some peer in lib.facts.clusters
	peer.name in cluster.peers
	not forwarded(cluster.name, peer.zone, peer.dnsEndpoint)
	result := {
		"msg": sprintf(
			"cluster %s does not forward peer zone %s to %s, the DNS endpoint of %s",
			[cluster.name, peer.zone, peer.dnsEndpoint, peer.name],
		),
		"path": config_path(cluster.name),
		"clusters": [cluster.name, peer.name],
	}
}

forwarded(cluster, zone, endpoint) if {
	some entry in forwards
	entry.cluster == cluster
	entry.zone == zone
	entry.endpoint in {endpoint, sprintf("%s:53", [endpoint])}
}

# Where a finding for a cluster points: its first DNS config, else the facts.
config_path(cluster) := min(paths) if {
	paths := {doc.path | some doc in dns_configs; lib.path_cluster(doc.path) == cluster}
	count(paths) > 0
} else := lib.facts_path

# kube-system ConfigMaps under output/clusters/<cluster>/dns/.
dns_configs contains doc if {
	some doc in lib.manifests
	regex.match(`(^|/)clusters/[^/]+/dns/`, doc.path)
	doc.contents.kind == "ConfigMap"
	doc.contents.metadata.namespace == "kube-system"
}

# {"cluster", "zone", "endpoint"} for every upstream the DNS configs name.
# CoreDNS: the coredns ConfigMap's Corefile.
forwards contains {"cluster": lib.path_cluster(doc.path), "zone": zone, "endpoint": endpoint} if {
	some doc in dns_configs
	doc.contents.metadata.name == "coredns"
	some block in server_blocks(doc.contents.data.Corefile)
	zone := trim_suffix(block[1], ".")
	some endpoint in upstreams(block[2])
}

# GKE kube-dns: stubDomains, a JSON object of zone -> [endpoint].
forwards contains {"cluster": lib.path_cluster(doc.path), "zone": zone, "endpoint": endpoint} if {
	some doc in dns_configs
	doc.contents.metadata.name == "kube-dns"
	stub := json.unmarshal(doc.contents.data.stubDomains)
	some zone, endpoints in stub
	some endpoint in endpoints
}

# AKS: coredns-custom, one server block per *.server key.
forwards contains {"cluster": lib.path_cluster(doc.path), "zone": zone, "endpoint": endpoint} if {
	some doc in dns_configs
	doc.contents.metadata.name == "coredns-custom"
	some key, text in doc.contents.data
	endswith(key, ".server")
	some block in server_blocks(text)
	zone := trim_suffix(block[1], ".")
	some endpoint in upstreams(block[2])
}

# [[whole, zone, body], ...] for each `<zone>:53 { ... }` block. The zone
# starts the text or follows whitespace; `\\n` also counts, because regopy keeps
# the escapes of string literals (test fixtures) as two characters.
server_blocks(text) := regex.find_all_string_submatch_n(`(?:^|\s|\\n)([A-Za-z0-9.-]+):53\s*\{([^}]*)\}`, text, -1)

# Addresses after `forward .` in a server block body.
upstreams(body) := {address |
	some line in regex.find_all_string_submatch_n(`forward\s+\.\s+([^\n}]+)`, body, -1)
	some address in regex.find_n(`[0-9A-Fa-f:.\[\]]+`, line[1], -1)
}
