# Shared predicates for fleetgen policies. No reporting rules live here.
#
# Input is either one document (a Kubernetes object, or the facts document
# output/fleet.facts.json) or, with conftest --combine, a list of
# {"path": ..., "contents": ...} for every file at once.
package fleetgen.lib

import rego.v1

# The combined input. Combined-mode rules read input only through this rule,
# so tests can mock it: `with data.fleetgen.lib.documents as [...]`
# (regopy aborts on `with input as <value>`).
documents := input if is_array(input)

# Kubernetes objects of the combined input, as {"path", "contents"}.
# Arrays, not sets: regopy builds sets of large objects in quadratic time.
manifests := [doc | some doc in documents; is_string(doc.contents.kind)]

# The facts document of the combined input.
facts := doc.contents if {
	some doc in facts_documents
}

facts_path := doc.path if {
	some doc in facts_documents
}

facts_documents := [doc | some doc in documents; is_facts(doc.contents)]

is_facts(value) if {
	is_string(value.fleet)
	is_array(value.clusters)
}

# "output/clusters/<cluster>/dns/x.yaml" -> "<cluster>" (first "clusters" segment).
path_cluster(path) := parts[i + 1] if {
	parts := split(path, "/")
	i := min({j | parts[j] == "clusters"})
	i + 2 < count(parts)
}

# The namespace of an object's metadata; "default" when it names none.
namespace(metadata) := metadata.namespace

namespace(metadata) := "default" if not metadata.namespace
