package fleetgen.secrets_test

import rego.v1

import data.fleetgen.secrets

test_secret_without_data_passes if {
	count(secrets.deny_secret_data) == 0 with input.kind as "Secret"
		with input.metadata as {"name": "remote-a", "namespace": "istio-system"}
		with input.type as "Opaque"
}

test_secret_with_string_data_is_denied if {
	secrets.deny_secret_data == {"Secret argocd/cluster-a carries stringData: credentials must not be committed; create the Secret out of band"} with input.kind as "Secret"
		with input.metadata as {"name": "cluster-a", "namespace": "argocd"}
		with input.stringData as {"config": "{}"}
}

test_manifest_without_credentials_passes if {
	count(secrets.deny_credential_field) == 0 with input.kind as "Deployment"
		with input.metadata as {"name": "coredns", "namespace": "kube-system"}
		with input.spec as {"template": {"spec": {"automountServiceAccountToken": false, "containers": [{"name": "coredns", "env": [{"name": "TOKEN_FILE", "value": "/var/run/token"}]}]}}}
}

test_password_field_is_denied if {
	secrets.deny_credential_field == {"ConfigMap db/settings has a credential at [\"data\", \"adminPassword\"]: reference a Secret instead"} with input.kind as "ConfigMap"
		with input.metadata as {"name": "settings", "namespace": "db"}
		with input.data as {"adminPassword": "hunter2"}
}

test_private_key_text_is_denied if {
	secrets.deny_credential_field == {"ConfigMap db/tls has a PEM private key at [\"data\", \"items\", 0]: reference a Secret instead"} with input.kind as "ConfigMap"
		with input.metadata as {"name": "tls", "namespace": "db"}
		with input.data as {"items": ["-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----"]}
}

test_facts_document_is_not_walked if {
	# the facts document names no object, so no credential finding can name it: never walked
	not secrets.string_leaves with input.fleet as "token-fleet"
		with input.clusters as [{"name": "a", "region": "password-region"}]
}

test_credential_word_in_manifest_is_walked if {
	secrets.string_leaves == [[["kind"], "ConfigMap"], [["metadata", "name"], "x"], [["data", "note"], "see the private-key rotation runbook"]] with input.kind as "ConfigMap"
		with input.metadata as {"name": "x"}
		with input.data as {"note": "see the private-key rotation runbook"}
}

test_manifest_without_credential_words_is_not_walked if {
	not secrets.string_leaves with input.kind as "ConfigMap"
		with input.metadata as {"name": "x", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses": "10.0.0.1"}}
		with input.data as {"Corefile": ".:53 {\\n forward . 10.0.0.2\\n}"}
}

test_url_without_credentials_passes if {
	count(secrets.deny_url_credentials) == 0 with input.kind as "Application"
		with input.metadata as {"name": "cluster-a", "namespace": "argocd"}
		with input.spec as {"destination": {"server": "https://a.eks.example.com:6443"}, "source": {"repoURL": "ssh://git@git.example.com/platform/fleet.git", "targetRevision": "main"}, "info": [{"value": "https://docs.example.com/?ref=tokens&q=a@b"}]}
}

test_url_with_a_password_is_denied if {
	secrets.deny_url_credentials == {"Application argocd/cluster-a has a URL with a password in its user info at [\"spec\", \"destination\", \"server\"]: keep the credential in a Secret created out of band"} with input.kind as "Application"
		with input.metadata as {"name": "cluster-a", "namespace": "argocd"}
		with input.spec as {"destination": {"server": "ssh://admin:S3cret@a.eks.example.com"}}
}

test_https_url_with_a_token_as_user_is_denied if {
	secrets.deny_url_credentials == {"GitRepository flux-system/fleet has a URL with user info (read as a token over HTTP) at [\"spec\", \"url\"]: keep the credential in a Secret created out of band"} with input.kind as "GitRepository"
		with input.metadata as {"name": "fleet", "namespace": "flux-system"}
		with input.spec as {"url": "HTTPS://ghp_0123456789abcdef@github.com/platform/fleet.git"}
}

test_url_with_a_token_parameter_is_denied if {
	secrets.deny_url_credentials == {"ConfigMap db/settings has a URL with a credential parameter at [\"data\", \"backup\"]: keep the credential in a Secret created out of band"} with input.kind as "ConfigMap"
		with input.metadata as {"name": "settings", "namespace": "db"}
		with input.data as {"backup": "upload to https://store.example.com/b?X-Amz-Signature=abc&x=1 nightly"}
}
