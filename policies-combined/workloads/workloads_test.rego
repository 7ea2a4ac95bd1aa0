package fleetgen.workloads_test

import rego.v1

import data.fleetgen.workloads

# Paths are spelled out: regopy quotes a function argument formatted by sprintf.
headless(path, ports) := {
	"path": path,
	"contents": {
		"apiVersion": "v1",
		"kind": "Service",
		"metadata": {"name": "cassandra", "namespace": "db"},
		"spec": {"clusterIP": "None", "publishNotReadyAddresses": true, "ports": ports},
	},
}

test_identical_ports_pass if {
	docs := [
		headless("output/clusters/a/workloads/service-cassandra.yaml", [{"name": "cql", "port": 9042}]),
		headless("output/clusters/b/workloads/service-cassandra.yaml", [{"name": "cql", "port": 9042, "protocol": "TCP"}]),
	]
	count(workloads.deny_inconsistent_workload_ports) == 0 with data.fleetgen.lib.documents as docs
}

test_different_ports_are_denied if {
	docs := [
		headless("output/clusters/a/workloads/service-cassandra.yaml", [{"name": "cql", "port": 9042}]),
		headless("output/clusters/b/workloads/service-cassandra.yaml", [{"name": "cql", "port": 9142}]),
	]
	workloads.deny_inconsistent_workload_ports == {{
		"msg": "headless Service db/cassandra in cluster b has ports [\"cql:9142/TCP\"], but in cluster a [\"cql:9042/TCP\"]",
		"path": "output/clusters/b/workloads/service-cassandra.yaml",
		"clusters": ["a", "b"],
	}} with data.fleetgen.lib.documents as docs
}
