package fleetgen.fleet

import rego.v1

import data.fleetgen.lib

# METADATA
# title: Workloads replicate across clusters
# description: >-
#   A workload placed in a single cluster has no cross-cluster replica, so
#   the fleet does not protect it against losing that cluster or region.
#   Runs on the facts document (output/fleet.facts.json).
# custom:
#   id: workload-single-cluster
warn_single_cluster_workload contains result if {
	lib.is_facts(input)
	some workload in input.workloads
	placed := {cluster | some cluster; workload.placement[cluster] > 0}
	count(placed) == 1
	some cluster in placed
	result := {
		"msg": sprintf(
			"workload %s/%s runs only in cluster %s: no cross-cluster replica survives losing it",
			[workload.namespace, workload.name, cluster],
		),
		"clusters": [cluster],
	}
}
