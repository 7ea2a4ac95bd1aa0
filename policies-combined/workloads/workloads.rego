package fleetgen.workloads

import rego.v1

import data.fleetgen.lib

# Headless Services of the combined input, one entry per rendered file.
headless_services := [service |
	some doc in lib.manifests
	doc.contents.kind == "Service"
	doc.contents.spec.clusterIP == "None"
	service := {
		"path": doc.path,
		"cluster": lib.path_cluster(doc.path),
		"name": doc.contents.metadata.name,
		"namespace": lib.namespace(doc.contents.metadata),
		"ports": port_set(doc.contents.spec),
	}
]

# "<namespace>/<name>" -> that workload's headless Services, grouped in one
# pass (pairwise comparison over all Services would be quadratic).
services_by_workload[key] contains service if {
	some service in headless_services
	key := sprintf("%s/%s", [service.namespace, service.name])
}

port_set(spec) := {{"name": port_name(p), "port": p.port, "protocol": protocol(p)} | some p in spec.ports}

port_set(spec) := set() if not spec.ports

port_name(port) := port.name

port_name(port) := "" if not port.name

protocol(port) := port.protocol

protocol(port) := "TCP" if not port.protocol

# ["cql:9042/TCP", ...], sorted; an array of strings prints the same in OPA and regopy.
describe(ports) := sort([sprintf("%s:%d/%s", [p.name, p.port, p.protocol]) | some p in ports])

# METADATA
# title: Workload ports agree across clusters
# description: >-
#   The headless Services of one workload (same name and namespace) in
#   different clusters must list the same ports (name, port, protocol), or
#   peers dial ports that do not exist. Runs on the combined input.
# custom:
#   id: workload-ports-inconsistent
deny_inconsistent_workload_ports contains result if {
	# the workload's first file (by path) is the reference the others must match
	some services in services_by_workload
	first := min({s.path | some s in services})
	some ref in services
	ref.path == first
	some service in services
	ref.ports != service.ports
	result := {
		"msg": sprintf(
			"headless Service %s/%s in cluster %s has ports %v, but in cluster %s %v",
			[service.namespace, service.name, service.cluster, describe(service.ports), ref.cluster, describe(ref.ports)],
		),
		"path": service.path,
		"clusters": [ref.cluster, service.cluster],
	}
}
