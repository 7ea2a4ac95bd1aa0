package fleetgen.secrets

import rego.v1

# Credentials inside rendered URLs. A rule of its own (not part of
# deny_credential_field): it looks at values, not keys, and has its own cheap filter.

# METADATA
# title: No credentials in rendered URLs
# description: >-
#   Rendered output is committed to git. A URL anywhere in a manifest (an Argo
#   CD destination server, a Git or Helm repository URL, a URL inside a
#   ConfigMap value) must carry no user info with a password, no user info at
#   all over HTTP(S) (Git hosts read it as a token), and no credential query
#   or fragment parameter (token, access_token, private_token, sig, ...).
# custom:
#   id: secret-url-credentials
deny_url_credentials contains msg if {
	is_object(input)
	some [path, value] in url_leaves
	some reason in url_credentials(value)
	msg := sprintf(
		"%s %s has a URL with %s at %v: keep the credential in a Secret created out of band",
		[input.kind, object_name(input.metadata), reason, path],
	)
}

# [path, value] of every string that contains a URL, walked once per document.
url_leaves := [[path, value] | walk(input, [path, value]); is_string(value); contains(value, "://")] if {
	is_object(input)
	may_hold_url_credentials
}

# A cheap filter before the walk: a URL and something that can carry a credential.
may_hold_url_credentials if {
	text := document_text
	contains(text, "://")
	some marker in ["@", "?", "#"]
	contains(text, marker)
}

# Why a string's URLs carry credentials (a set of reasons; empty when they do not).
# The patterns are lower case and match the lower-cased value (regopy's regex
# engine has no inline (?i) flag).
url_credentials(value) := {reason |
	lowered := lower(value)
	some check in url_credential_checks
	regex.match(check[0], lowered)
	reason := check[1]
}

url_credential_checks := [
	[`[a-z][a-z0-9+.-]*://[^/?#@\s"']*:[^/?#@\s"']*@`, "a password in its user info"],
	[`https?://[^/?#@:\s"']+@`, "user info (read as a token over HTTP)"],
	[
		`[?&#]([a-z0-9_.-]*(token|password|passwd|secret|signature|apikey|api_key|api-key)|auth|authorization|key|sig|pwd|jwt|session|sessionid|x-amz-credential|x-goog-credential)=`,
		"a credential parameter",
	],
]
