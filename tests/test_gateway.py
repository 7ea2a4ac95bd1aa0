"""The fleet DNS gateway (the one workload fleetgen runs): its Corefile, its hardening, its image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import dnsproof, pipeline
from generator.dnsproof import corefile as cf
from generator.model import Fleet
from generator.render import render
from tests.conftest import ROOT

DIGEST = "sha256:" + "ab" * 32
GATEWAY_EXAMPLES = ["fleet.yaml", "examples/discovery-forward/fleet.yaml", "examples/discovery-kubernetai/fleet.yaml",
                    "examples/discovery-mcs/fleet.yaml"]


def load(path: Path) -> Fleet:
    loaded = pipeline.load(path, path.name)
    assert loaded.ok and loaded.fleet is not None, loaded.findings
    return loaded.fleet


def gateways(fleet: Fleet) -> dict[str, dict[str, dict[str, Any]]]:
    """cluster -> {kind: object} of every rendered gateway."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path, obj in render(fleet).files.items():
        parts = path.split("/")
        if parts[0] == "clusters" and parts[2:4] == ["dns", "gateway"]:
            out.setdefault(parts[1], {})[parts[4]] = obj
    return out


def corefile_of(gw: dict[str, dict[str, Any]]) -> cf.Corefile:
    return cf.parse(gw["configmap.yaml"]["data"]["Corefile"])


@pytest.mark.parametrize("example", GATEWAY_EXAMPLES)
def test_ready_in_every_block_that_keeps_an_api_cache(example: str) -> None:
    found = 0
    for cluster, gw in gateways(load(ROOT / example)).items():
        for block in corefile_of(gw).blocks:
            if block.plugins("kubernetes") or block.plugins("kubernetai"):
                found += 1
                assert block.plugins("ready"), f"{cluster}: {block.label} serves from the API without ready"
    assert found >= 1


def test_mcs_block_has_ready_next_to_multicluster() -> None:
    gw = gateways(load(ROOT / "examples/discovery-mcs/fleet.yaml"))["aws-euwest1"]
    text = gw["configmap.yaml"]["data"]["Corefile"]
    assert ("clusterset.local:53 {\n    errors\n    ready\n    cache 30\n    kubernetes clusterset.local {\n"
            "        multicluster clusterset.local\n    }\n}\n") in text


def test_kubernetai_gateway_uses_no_kubernetes_directive_and_reads_its_own_api_in_cluster() -> None:
    fleet = load(ROOT / "examples/discovery-kubernetai/fleet.yaml")
    for cluster, gw in gateways(fleet).items():
        parsed = corefile_of(gw)
        assert not any(b.plugins("kubernetes") for b in parsed.blocks), cluster
        own = next(b for b in parsed.blocks if b.keys[0].zone == fleet.by_name[cluster].zone)
        (plugin,) = own.plugins("kubernetai")
        assert plugin.args == (fleet.by_name[cluster].zone,) and plugin.block == ()


def test_dns_proof_follows_the_own_zone_to_the_kubernetai_stanza() -> None:
    fleet = load(ROOT / "examples/discovery-kubernetai/fleet.yaml")
    files = pipeline.render_output(fleet).files
    assert [f.parsable() for f in dnsproof.prove(fleet, files)] == []
    ex = dnsproof.tracer(fleet, files).explain("aws-euwest1", "cassandra-0.cassandra.db.svc.aws-euwest1.local")
    assert ex.resolved
    assert ex.routes[0].hops == (
        "aws-euwest1 CoreDNS (output/clusters/aws-euwest1/dns/configmap-coredns.yaml): server block "
        "aws-euwest1.local:53 -> forward . 172.20.0.53",
        "172.20.0.53 is the ClusterIP of aws-euwest1's Service fleet-dns/fleet-dns-gateway (in-cluster only)",
        "aws-euwest1 Deployment fleet-dns/fleet-dns-gateway (output/clusters/aws-euwest1/dns/gateway/configmap.yaml): "
        "server block aws-euwest1.local:53 -> kubernetai aws-euwest1.local answers",
    )


def test_forward_gateway_keeps_kubernetes_for_the_stock_image() -> None:
    gw = gateways(load(ROOT / "fleet.yaml"))["gcp-europe-west4-c"]
    assert "gcp-europe-west4-c.local:53 {\n    errors\n    ready\n    cache 30\n    kubernetes gcp-europe-west4-c.local\n}\n" \
        in gw["configmap.yaml"]["data"]["Corefile"]


def test_restricted_pod_and_container_security() -> None:
    gw = gateways(load(ROOT / "fleet.yaml"))["gcp-europe-west4-c"]
    pod = gw["deployment.yaml"]["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "53"}],
    }
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
        "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
    }
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "70Mi"}, "limits": {"cpu": "1", "memory": "170Mi"}}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8181, "scheme": "HTTP"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8080, "scheme": "HTTP"}
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    assert all(c["whenUnsatisfiable"] == "ScheduleAnyway" and c["labelSelector"]["matchLabels"] ==
               {"app.kubernetes.io/name": "fleet-dns-gateway"} for c in pod["topologySpreadConstraints"])
    labels = gw["namespace.yaml"]["metadata"]["labels"]
    assert (labels["pod-security.kubernetes.io/enforce"], labels["pod-security.kubernetes.io/enforce-version"]) == ("restricted", "latest")
    pdb = gw["poddisruptionbudget.yaml"]["spec"]
    assert pdb == {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "fleet-dns-gateway"}}}


def test_network_policy_admits_dns_only_from_the_fleets_own_ranges() -> None:
    fleet = load(ROOT / "examples/discovery-kubernetai/fleet.yaml")
    for name, gw in gateways(fleet).items():
        spec = gw["networkpolicy.yaml"]["spec"]
        assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "fleet-dns-gateway"}}
        assert spec["policyTypes"] == ["Ingress"]
        dns, probes = spec["ingress"]
        members = [fleet.by_name[name]] + [fleet.by_name[p] for p in fleet.peers[name]]
        expected = [r.text for c in members for f in ("nodeCIDRs", "podCIDRs") for r in c.cidrs(f)]
        assert [b["ipBlock"]["cidr"] for b in dns["from"]] == expected
        assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
        assert [b["ipBlock"]["cidr"] for b in probes["from"]] == [r.text for r in fleet.by_name[name].cidrs("nodeCIDRs")]
        assert probes["ports"] == [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 8181}]


def test_network_policy_leaves_out_clusters_of_other_groups(tmp_path: Path) -> None:
    text = (ROOT / "examples/discovery-kubernetai/fleet.yaml").read_text()
    assert "  clusters:\n" in text
    # two groups: aws+gcp, and azure alone
    path = tmp_path / "fleet.yaml"
    path.write_text(text.replace("  clusters:\n", "  groups:\n    - {name: a, clusters: [aws-euwest1, gcp-europe-west4-c]}\n"
                                                  "    - {name: b, clusters: [azure-westeurope]}\n  clusters:\n", 1))
    fleet = load(path)
    azure = [c.text for f in ("nodeCIDRs", "podCIDRs") for c in fleet.by_name["azure-westeurope"].cidrs(f)]
    aws = gateways(fleet)["aws-euwest1"]["networkpolicy.yaml"]["spec"]["ingress"][0]["from"]
    assert azure and not {b["ipBlock"]["cidr"] for b in aws} & set(azure)


def test_default_image_is_pinned_by_digest() -> None:
    gw = gateways(load(ROOT / "fleet.yaml"))["gcp-europe-west4-c"]
    assert gw["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.k8s.io/coredns/coredns:v1.12.2@sha256:af8c8d35a5d184b386c4a6d1a012c8b218d40d1376474c7d071bb6c07201f47d")


def with_dns(tmp_path: Path, extra: str, example: str = "fleet.yaml", after: str = "    discovery: forward\n") -> Path:
    text = (ROOT / example).read_text()
    assert after in text
    path = tmp_path / "fleet.yaml"
    path.write_text(text.replace(after, after + extra, 1))
    return path


def image_of(fleet: Fleet, cluster: str) -> str:
    return str(gateways(fleet)[cluster]["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]["image"])


def test_own_image_has_no_digest_unless_given(tmp_path: Path) -> None:
    fleet = load(with_dns(tmp_path, "    corednsImage: mirror.example.com/coredns:v1.12.2\n"))
    assert image_of(fleet, "gcp-europe-west4-c") == "mirror.example.com/coredns:v1.12.2"
    fleet = load(with_dns(tmp_path, f"    corednsImage: mirror.example.com/coredns:v1.12.2\n    corednsImageDigest: {DIGEST}\n"))
    assert image_of(fleet, "gcp-europe-west4-c") == f"mirror.example.com/coredns:v1.12.2@{DIGEST}"


def test_kubernetai_image_digest(tmp_path: Path) -> None:
    text = (ROOT / "examples/discovery-kubernetai/fleet.yaml").read_text()
    placeholder = "      imageDigest: sha256:" + "0" * 64 + "\n"
    assert placeholder in text
    path = tmp_path / "fleet.yaml"
    path.write_text(text.replace(placeholder, f"      imageDigest: {DIGEST}\n"))
    assert image_of(load(path), "aws-euwest1") == f"registry.example.com/platform/coredns-kubernetai:v1.12.2@{DIGEST}"
    path.write_text(text.replace(placeholder, ""))
    assert image_of(load(path), "aws-euwest1") == "registry.example.com/platform/coredns-kubernetai:v1.12.2"


def test_kubernetai_digest_needs_its_image(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "examples/discovery-kubernetai/fleet.yaml").read_text()
    image = "      image: registry.example.com/platform/coredns-kubernetai:v1.12.2\n"
    path = tmp_path / "fleet.yaml"
    path.write_text(text.replace(image, ""))
    run = fleetgen("check", str(path))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("      imageDigest:"))
    assert run.code == 1
    assert f"{path}:{line}:7: [error] schema spec.dns.kubernetai: 'image' is a dependency of 'imageDigest'" \
        in run.out.splitlines(), run.out


@pytest.mark.parametrize(("extra", "column", "message"), [
    ("    corednsImageDigest: sha256:XYZ\n", 25,
     "schema spec.dns.corednsImageDigest: \"sha256:XYZ\" is not an image digest ('sha256:' and 64 lower-case hex digits)"),
    (f"    corednsImage: registry.k8s.io/coredns/coredns:v1.12.2@{DIGEST}\n    corednsImageDigest: {DIGEST}\n", 19,
     f"schema spec.dns.corednsImage: \"registry.k8s.io/coredns/coredns:v1.12.2@{DIGEST}\" is not an image without a digest "
     "of its own (no '@'): with a separate digest field give the digest once"),
])
def test_bad_digest_is_one_line_with_location(tmp_path: Path, fleetgen, extra: str, column: int, message: str) -> None:  # type: ignore[no-untyped-def]
    path = with_dns(tmp_path, extra)
    run = fleetgen("check", str(path))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text == extra.splitlines()[0])
    assert run.code == 1
    assert f"{path}:{line}:{column}: [error] {message}" in run.out.splitlines(), run.out


@pytest.mark.parametrize("example", GATEWAY_EXAMPLES)
def test_every_gateway_object_passes_the_strict_kubernetes_schemas(example: str) -> None:
    from generator import manifests

    fleet = load(ROOT / example)
    objs = [(f"clusters/{c}/dns/gateway/{name}", obj) for c, gw in gateways(fleet).items() for name, obj in gw.items()]
    report = manifests.validate(objs, fleet.kubernetes_version)
    assert report.findings == () and report.skipped == ()
    assert report.validated == len(objs)
    kinds = {obj["kind"] for _, obj in objs}
    assert {"Deployment", "NetworkPolicy", "PodDisruptionBudget"} <= kinds
