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
	some missing in missing_forwards
	result := {
		"msg": sprintf(
			"cluster %s does not forward peer zone %s to %s, the DNS endpoint of %s",
			[missing.cluster, missing.zone, missing.endpoint, missing.peer],
		),
		"path": config_path(missing.cluster),
		"clusters": [missing.cluster, missing.peer],
	}
}

# Per cluster: rego-cpp inserts into and looks up in sets and objects in linear
# time, so a fleet-wide index of every forward is quadratic; each cluster's own
# forwards (one per peer) form a small set, built once per cluster.
clusters_by_name := {c.name: c | some c in lib.facts.clusters}

missing_forwards := [{"cluster": cluster.name, "peer": peer.name, "zone": peer.zone, "endpoint": peer.dnsEndpoint} |
	some cluster in lib.facts.clusters
	have := {key(entry.zone, host(entry.endpoint)) |
		some config in dns_config_clusters
		config.cluster == cluster.name
		some entry in doc_forwards(config.doc)
	}
	some peer_name in cluster.peers
	peer := clusters_by_name[peer_name]
	not have[key(peer.zone, peer.dnsEndpoint)]
]

# Each DNS config with its cluster, computed once. A rule, not a function reading
# `dns_configs`: regopy re-evaluates the rules a function reads on every call, so
# `forwards_of(cluster)` rescanned every manifest once per cluster.
dns_config_clusters := [{"cluster": lib.path_cluster(doc.path), "doc": doc} | some doc in dns_configs]

key(zone, endpoint) := concat("|", [zone, endpoint])

# The address of an upstream: `10.0.0.1:53` -> `10.0.0.1`, `[fd10::53]:53` and
# `[fd10::53]` -> `fd10::53`; a bare IPv6 address keeps its last group
# (`fd10:2::53` is not `fd10:2:` on port 53).
host(endpoint) := trim_suffix(trim_suffix(trim_prefix(endpoint, "["), ":53"), "]") if startswith(endpoint, "[")

host(endpoint) := trim_suffix(endpoint, ":53") if {
	not startswith(endpoint, "[")
	count(split(endpoint, ":")) == 2
}

host(endpoint) := endpoint if {
	not startswith(endpoint, "[")
	count(split(endpoint, ":")) != 2
}

config_path(cluster) := min(paths) if {
	paths := {doc.path | some doc in dns_configs; lib.path_cluster(doc.path) == cluster}
	count(paths) > 0
} else := lib.facts_path

# kube-system ConfigMaps under output/clusters/<cluster>/dns/.
dns_configs := [doc |
	some doc in lib.manifests
	regex.match(`(^|/)clusters/[^/]+/dns/`, doc.path)
	doc.contents.kind == "ConfigMap"
	doc.contents.metadata.namespace == "kube-system"
]

# {"zone", "endpoint"} for every upstream one DNS config document names.
doc_forwards(doc) := array.concat(array.concat(corefile_forwards(doc), stub_forwards(doc)), custom_forwards(doc))

# CoreDNS: the coredns ConfigMap's Corefile.
corefile_forwards(doc) := [{"zone": trim_suffix(block[1], "."), "endpoint": endpoint} |
	doc.contents.metadata.name == "coredns"
	some block in server_blocks(doc.contents.data.Corefile)
	some endpoint in upstreams(block[2])
]

# GKE kube-dns: stubDomains, a JSON object of zone -> [endpoint].
stub_forwards(doc) := [{"zone": zone, "endpoint": endpoint} |
	doc.contents.metadata.name == "kube-dns"
	stub := json.unmarshal(doc.contents.data.stubDomains)
	some zone # `some k, v in x` does not parse inside a comprehension in regopy
	some endpoint in stub[zone]
]

# AKS: coredns-custom, one server block per *.server key.
custom_forwards(doc) := [{"zone": trim_suffix(block[1], "."), "endpoint": endpoint} |
	doc.contents.metadata.name == "coredns-custom"
	some name
	text := doc.contents.data[name]
	endswith(name, ".server")
	some block in server_blocks(text)
	some endpoint in upstreams(block[2])
]

# [[whole, zone, body], ...] for each `<zone>:53 { ... }` block. The zone
# starts the text or follows whitespace; `\\n` also counts, because regopy keeps
# the escapes of string literals (test fixtures) as two characters.
server_blocks(text) := regex.find_all_string_submatch_n(`(?:^|\s|\\n)([A-Za-z0-9.-]+):53\s*\{([^}]*)\}`, text, -1)

# Addresses after `forward .` in a server block body.
upstreams(body) := {address |
	some line in regex.find_all_string_submatch_n(`forward\s+\.\s+([^\n}]+)`, body, -1)
	some address in regex.find_n(`[0-9A-Fa-f:.\[\]]+`, line[1], -1)
}
