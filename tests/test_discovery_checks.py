"""Discovery checks: for every rule a fleet that passes and one that fails with the exact diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import pipeline

BASE = Path(__file__).parent / "fleets" / "discovery" / "base.yaml"


def diagnostics(tmp_path: Path, *edits: tuple[str, str]) -> list[str]:
    text = BASE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = pipeline.load(path, "fleet.yaml")
    return [f.parsable() for f in loaded.findings]


KUBERNETAI_IMAGE = ("    kubernetai:\n      image: registry.example.com/coredns-kubernetai:v1.12.2\n", "")


def test_base_fleet_passes(tmp_path: Path) -> None:
    assert diagnostics(tmp_path) == []


def test_dns_image_warns_without_a_kubernetai_image(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, KUBERNETAI_IMAGE) == [
        "fleet.yaml:9:16: [warning] dns-image discovery 'kubernetai' without spec.dns.kubernetai.image: "
        "the stock CoreDNS image (registry.k8s.io/coredns/coredns:v1.12.2) lacks the external kubernetai plugin; "
        "build one with 'kubernetai:github.com/coredns/kubernetai/plugin/kubernetai' in plugin.cfg and name it there"
    ]


def test_discovery_ip_missing(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, ("      dns:\n        discoveryIP: 172.21.0.53\n", "")) == [
        "fleet.yaml:20:13: [error] discovery-ip cluster 'b' has no dns.discoveryIP: discovery 'kubernetai' forwards "
        "its zones to a DNS server at a pinned ClusterIP; pick a free address inside the cluster's serviceCIDRs"
    ]


def test_discovery_ip_outside_service_cidrs(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, ("discoveryIP: 172.21.0.53", "discoveryIP: 10.0.0.53")) == [
        "fleet.yaml:26:22: [error] discovery-ip cluster 'b': dns.discoveryIP 10.0.0.53 is outside its serviceCIDRs "
        "(172.21.0.0/16); a Service's clusterIP must come from the service range"
    ]


def test_discovery_ip_not_needed_for_forward(tmp_path: Path) -> None:
    found = diagnostics(
        tmp_path,
        ("discovery: kubernetai", "discovery: forward"),
        ("        discoveryIP: 172.20.0.53\n", "        endpoint: 10.10.255.10\n        loadBalancerSubnets: [subnet-0a1b2c3d4e5f60718]\n"),
        ("        discoveryIP: 172.21.0.53\n", "        endpoint: 10.20.255.10\n"),
        # forward's endpoints live in node ranges, and linked clusters route pod ranges
        ("serviceCIDRs: [172.20.0.0/16]\n", "serviceCIDRs: [172.20.0.0/16]\n        nodeCIDRs: [10.10.0.0/16]\n        podCIDRs: [10.100.0.0/16]\n"),
        ("serviceCIDRs: [172.21.0.0/16]\n", "serviceCIDRs: [172.21.0.0/16]\n        nodeCIDRs: [10.20.0.0/16]\n        podCIDRs: [10.200.0.0/16]\n"),
    )
    assert found == []


def test_forward_still_needs_a_dns_endpoint(tmp_path: Path) -> None:
    found = diagnostics(tmp_path, ("discovery: kubernetai", "discovery: forward"))
    assert [f.split(" [")[1].split(" ")[0] for f in found] == ["error]", "error]"]
    assert all(" dns-endpoint " in f for f in found)


@pytest.mark.parametrize(
    ("server", "shown"),
    [
        ("https://127.0.0.1:6443", "is a loopback address (127.0.0.1)"),
        ("https://kubernetes.default.svc", "names the in-cluster API ('kubernetes.default.svc')"),
    ],
)
def test_discovery_apiserver_must_be_reachable(tmp_path: Path, server: str, shown: str) -> None:
    assert diagnostics(tmp_path, ("apiServer: https://a.example.com", f"apiServer: {server}")) == [
        f"fleet.yaml:15:18: [error] discovery-apiserver cluster 'a': apiServer {shown}; kubernetai in its peers "
        "reads it from another cluster, so use the API server's address reachable over the fleet's links"
    ]


CONSUL = ("    discovery: kubernetai\n", "    discovery: consul\n    consul:\n      datacenterPattern: \"{cluster}\"\n")


def test_consul_datacenters_pass(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, KUBERNETAI_IMAGE, CONSUL) == []


def test_consul_datacenter_must_be_a_dns_label(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, KUBERNETAI_IMAGE, CONSUL, ('"{cluster}"', '"DC_{cluster}"')) == [
        "fleet.yaml:11:26: [error] consul-datacenter cluster 'a': Consul datacenter 'DC_a' (from datacenterPattern) "
        "is not a DNS label; it becomes part of DNS names like <svc>.service.<dc>.consul",
        "fleet.yaml:11:26: [error] consul-datacenter cluster 'b': Consul datacenter 'DC_b' (from datacenterPattern) "
        "is not a DNS label; it becomes part of DNS names like <svc>.service.<dc>.consul",
    ]


def test_consul_datacenter_too_long_for_a_label(tmp_path: Path) -> None:
    long = "c" * 61  # a valid cluster name; with "eu-" 64 characters
    found = diagnostics(tmp_path, KUBERNETAI_IMAGE, CONSUL, ('"{cluster}"', '"eu-{cluster}"'), ("- name: b", f"- name: {long}"), ("[a, b]", f"[a, {long}]"))
    assert found == [
        f"fleet.yaml:11:26: [error] consul-datacenter cluster '{long}': Consul datacenter 'eu-{long}' "
        "(from datacenterPattern) is not a DNS label; it becomes part of DNS names like <svc>.service.<dc>.consul"
    ]


MCS = ("    discovery: kubernetai\n", "    discovery: mcs\n    corednsImage: registry.k8s.io/coredns/coredns:v1.12.2\n")


def test_mcs_with_coredns_1_12_2_passes(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, KUBERNETAI_IMAGE, MCS) == []


def test_mcs_needs_coredns_1_12_2(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, KUBERNETAI_IMAGE, MCS, ("coredns:v1.12.2", "coredns:v1.11.3")) == [
        "fleet.yaml:10:19: [error] coredns-version discovery 'mcs' needs CoreDNS >= 1.12.2 (the kubernetes plugin's "
        "'multicluster' option) but spec.dns.corednsImage is registry.k8s.io/coredns/coredns:v1.11.3"
    ]
