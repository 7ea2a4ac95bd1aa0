package fleetgen.fleet_test

import rego.v1

import data.fleetgen.fleet

test_workload_in_two_clusters_passes if {
	count(fleet.warn_single_cluster_workload) == 0 with input.fleet as "stateful-eu"
		with input.clusters as []
		with input.workloads as [{"name": "cassandra", "namespace": "db", "placement": {"a": 3, "b": 3}}]
}

test_workload_in_one_cluster_warns if {
	fleet.warn_single_cluster_workload == {{
		"msg": "workload db/etcd runs only in cluster a: no cross-cluster replica survives losing it",
		"clusters": ["a"],
	}} with input.fleet as "stateful-eu"
		with input.clusters as []
		with input.workloads as [{"name": "etcd", "namespace": "db", "placement": {"a": 3, "b": 0}}]
}
