package fleetgen.secrets

import rego.v1

import data.fleetgen.lib

# METADATA
# title: No Secret data in git
# description: >-
#   Rendered output is committed to git, so a Secret may only be declared
#   without data; its contents are created out of band (sealed, external
#   secrets, or by hand).
# custom:
#   id: secret-data
deny_secret_data contains msg if {
	input.kind == "Secret"
	some field in ["data", "stringData"]
	count(input[field]) > 0
	msg := sprintf(
		"Secret %s/%s carries %s: credentials must not be committed; create the Secret out of band",
		[lib.namespace(input.metadata), input.metadata.name, field],
	)
}

# METADATA
# title: No credential fields
# description: >-
#   No field of a rendered manifest may hold a credential: a password, token,
#   kubeconfig client key, Argo CD cluster TLS data, or PEM private key text.
# custom:
#   id: secret-credential-field
deny_credential_field contains msg if {
	is_object(input)
	some [path, value] in string_leaves
	credential_key(path[count(path) - 1])
	msg := sprintf(
		"%s %s has a credential at %v: reference a Secret instead",
		[input.kind, object_name(input.metadata), path],
	)
}

deny_credential_field contains msg if {
	is_object(input)
	some [path, value] in string_leaves
	contains(value, "PRIVATE KEY-----") # cheap filter before the regex
	regex.match(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`, value)
	msg := sprintf(
		"%s %s has a PEM private key at %v: reference a Secret instead",
		[input.kind, object_name(input.metadata), path],
	)
}

# [path, value] of every non-empty string in the document, walked once.
# Only for Kubernetes objects: the messages name the object (kind, namespace/name),
# so a document without them (the facts document, output/fleet.facts.json, whose
# keys are fixed by its contract) can never be reported and is not walked.
# Per document only: in combined mode (input is the list of all documents) a walk
# would cover the whole output at once, which is slow and reports nothing new.
string_leaves := [[path, value] | walk(input, [path, value]); is_string(value); value != ""] if {
	is_manifest
	may_hold_credentials
}

is_manifest if {
	is_object(input)
	input.kind
	input.metadata.name
}

# A cheap filter before the walk (the walk costs most of a document's evaluation):
# a document whose serialized text names no credential word cannot match. One
# regular expression over the text, not one `contains` per word: regopy's
# `contains` costs as much as a pass over the text each, and this runs on every
# document. The words: every credential key and suffix below (lowered), and the
# PEM marker `private key-----`; `passw` covers passwd and password.
may_hold_credentials if {
	regex.match(`passw|token|private[ _-]?key|key-?data|cadata|certdata`, lower(document_text))
}

# The whole input as text, once per document (a rule is evaluated once per query; both
# pre-filters read it).
document_text := sprintf("%v", [input])

# Keys that hold credentials: exact names (kubeconfig, Argo CD cluster TLS
# config) and, case-insensitively, anything ending in password/token/private key.
# Only non-empty strings count, so `automountServiceAccountToken: false` passes.
credential_keys := {"passwd", "client-key-data", "caData", "certData", "keyData"}

credential_suffixes := ["password", "token", "privatekey", "private_key", "private-key"]

credential_key(key) if {
	is_string(key)
	key in credential_keys
}

credential_key(key) if {
	is_string(key)
	lowered := lower(key)
	some suffix in credential_suffixes
	endswith(lowered, suffix)
}

# sprintf, not concat: regopy quotes strings made by concat inside a later sprintf.
object_name(metadata) := sprintf("%s/%s", [lib.namespace(metadata), metadata.name])
