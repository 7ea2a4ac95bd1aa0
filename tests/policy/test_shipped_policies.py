"""The policies/ folder: its Rego tests pass, and its rules fire on real-looking manifests."""

from __future__ import annotations

from pathlib import Path

from generator.policy import Document, evaluate, load_policies, run_tests

POLICIES = Path(__file__).resolve().parents[2] / "policies"
# conftest --combine twins of the built-in cross-cluster checks (generator/crosscheck.py)
COMBINED = Path(__file__).resolve().parents[2] / "policies-combined"


def test_every_rego_test_passes() -> None:
    report = run_tests([POLICIES, COMBINED])
    assert report.failed == ()
    assert len(report.passed) > 0


def test_every_reporting_rule_has_a_metadata_id() -> None:
    policies = load_policies([POLICIES, COMBINED])
    assert {rule.name: rule.rule_id for rule in policies.rules} == {
        "deny_missing_peer_zone": "dns-peer-zone-missing",
        "warn_single_cluster_workload": "workload-single-cluster",
        "deny_public_load_balancer": "lb-public",
        "deny_credential_field": "secret-credential-field",
        "deny_url_credentials": "secret-url-credentials",
        "deny_secret_data": "secret-data",
        "deny_inconsistent_workload_ports": "workload-ports-inconsistent",
    }


def test_public_dns_gateway_is_denied_per_document() -> None:
    policies = load_policies([POLICIES])
    gateway = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "dns-gateway", "namespace": "kube-system", "annotations": {}},
        "spec": {"type": "LoadBalancer", "loadBalancerIP": "10.10.255.10"},
    }
    path = "output/clusters/aws-a/dns/service-dns-gateway.yaml"
    findings = evaluate(policies, [Document(path, gateway, clusters=("aws-a",))])
    assert [f.parsable() for f in findings] == [
        f"{path}:1:1: [error] lb-public Service kube-system/dns-gateway is a public load balancer: "
        "annotate it with its provider's internal scheme, or pin it at private addresses with its bare-metal load "
        "balancer's annotation"
    ]
    assert findings[0].clusters == ("aws-a",)


def test_corefile_missing_a_peer_is_denied_in_combined_mode() -> None:
    policies = load_policies([POLICIES, COMBINED])
    facts = {
        "fleet": "stateful-eu",
        "discovery": "forward",
        "mesh": {"type": "none"},
        "links": [],
        "workloads": [],
        "clusters": [
            {"name": "aws-a", "zone": "aws-a.local", "dnsEndpoint": "10.10.255.10", "peers": ["gcp-b"]},
            {"name": "gcp-b", "zone": "gcp-b.local", "dnsEndpoint": "10.20.255.10", "peers": ["aws-a"]},
        ],
    }
    corefile = ".:53 {\n    kubernetes cluster.local\n}\ngcp-b.local:53 {\n    errors\n    cache 30\n    forward . 10.20.255.10\n}\n"
    coredns = {
        "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": corefile},
    }
    docs = [
        Document("output/fleet.facts.json", facts),
        Document("output/clusters/aws-a/dns/configmap-coredns.yaml", coredns),
    ]
    findings = evaluate(policies, docs, combined=True)
    assert [(f.parsable(), f.clusters) for f in findings] == [
        (
            "output/fleet.facts.json:1:1: [error] dns-peer-zone-missing cluster gcp-b does not forward "
            "peer zone aws-a.local to 10.10.255.10, the DNS endpoint of aws-a",
            ("gcp-b", "aws-a"),
        )
    ]
