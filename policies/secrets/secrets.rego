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
	walk(input, [path, value])
	is_string(value)
	value != ""
	credential_key(path[count(path) - 1])
	msg := sprintf(
		"%s %s has a credential at %v: reference a Secret instead",
		[input.kind, object_name(input.metadata), path],
	)
}

deny_credential_field contains msg if {
	walk(input, [path, value])
	is_string(value)
	regex.match(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`, value)
	msg := sprintf(
		"%s %s has a PEM private key at %v: reference a Secret instead",
		[input.kind, object_name(input.metadata), path],
	)
}

credential_key(key) if {
	is_string(key)
	regex.match(`^([A-Za-z]*[Pp]assword|[Pp]asswd|[A-Za-z]*[Tt]oken|client-key-data|caData|certData|keyData|[A-Za-z]*[Pp]rivate[-_]?[Kk]ey)$`, key)
}

# sprintf, not concat: regopy quotes strings made by concat inside a later sprintf.
object_name(metadata) := sprintf("%s/%s", [lib.namespace(metadata), metadata.name])
