"""The DNS resolution proof for every discovery option (kubernetai, mcs, consul): the shipped
examples resolve, and a hand-broken render gives the exact finding."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator import dnsproof, pipeline
from generator.model import Fleet

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent.name for p in (REPO / "examples").glob("*/fleet.yaml"))


def rendered(tmp_path: Path, example: str) -> tuple[Fleet, dict[str, Any]]:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "examples" / example / "fleet.yaml", path)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None
    # one copy per file: render_output shares one object between byte-identical files, and tests edit one file
    return loaded.fleet, {path: copy.deepcopy(obj) for path, obj in pipeline.render_output(loaded.fleet).files.items()}


def proof(fleet: Fleet, files: dict[str, Any]) -> list[str]:
    return [f.parsable() for f in dnsproof.prove(fleet, files)]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_resolves(tmp_path: Path, example: str) -> None:
    fleet, files = rendered(tmp_path, example)
    assert proof(fleet, files) == []


def test_root_fleet_resolves(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "fleet.yaml", path)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    assert proof(loaded.fleet, pipeline.render_output(loaded.fleet).files) == []


def test_kubernetai_forward_to_another_clusters_cluster_ip(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-kubernetai")
    cm = files["clusters/aws-euwest1/dns/configmap-coredns.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace(
        "gcp-europe-west4-c.local:53 {\n    errors\n    cache 30\n    forward . 172.20.0.53",
        "gcp-europe-west4-c.local:53 {\n    errors\n    cache 30\n    forward . 172.21.0.53")
    assert proof(fleet, files) == [
        "output/clusters/aws-euwest1/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-euwest1, "
        "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local is forwarded to 172.21.0.53, the ClusterIP of Service "
        "fleet-dns/fleet-dns-gateway in gcp-europe-west4-c, which is reachable only inside gcp-europe-west4-c "
        "(in-cluster DNS of aws-euwest1: Service fleet-dns/fleet-dns-gateway at 172.20.0.53) (and 1 more seed names)"
    ]


def test_kubernetai_reading_the_wrong_api_server(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-kubernetai")
    cm = files["clusters/aws-euwest1/dns/gateway/configmap-kubeconfigs.yaml"]
    cm["data"]["gcp-europe-west4-c"] = cm["data"]["gcp-europe-west4-c"].replace("https://b.gke.example.com",
                                                                                "https://c.aks.example.com")
    assert proof(fleet, files) == [
        "output/clusters/aws-euwest1/dns/gateway/configmap-kubeconfigs.yaml:1:1: [error] dns-unresolvable from "
        "aws-euwest1, cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local is answered by kubernetai "
        "gcp-europe-west4-c.local (server block gcp-europe-west4-c.local:53) in "
        "clusters/aws-euwest1/dns/gateway/configmap.yaml, which reads azure-westeurope's API server "
        "https://c.aks.example.com through kubeconfig /etc/coredns/kubeconfigs/gcp-europe-west4-c/kubeconfig from "
        "ConfigMap fleet-dns/fleet-dns-kubeconfigs key gcp-europe-west4-c, not gcp-europe-west4-c's "
        "(https://b.gke.example.com) (and 1 more seed names)"
    ]


def test_kubernetai_explain_names_the_api_server(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-kubernetai")
    ex = dnsproof.tracer(fleet, files).explain("gcp-europe-west4-c", "cassandra-0.cassandra.db.svc.aws-euwest1.local")
    assert ex.resolved
    assert ex.routes[0].hops[1:] == (
        "172.21.0.53 is the ClusterIP of gcp-europe-west4-c's Service fleet-dns/fleet-dns-gateway (in-cluster only)",
        "gcp-europe-west4-c Deployment fleet-dns/fleet-dns-gateway (output/clusters/gcp-europe-west4-c/dns/gateway/"
        "configmap.yaml): server block aws-euwest1.local:53 -> kubernetai aws-euwest1.local answers",
        "kubernetai reads aws-euwest1's API server https://a.eks.example.com through kubeconfig "
        "/etc/coredns/kubeconfigs/aws-euwest1/kubeconfig from ConfigMap fleet-dns/fleet-dns-kubeconfigs key aws-euwest1",
    )


def test_mcs_without_multicluster(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-mcs")
    cm = files["clusters/aws-euwest1/dns/gateway/configmap.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("        multicluster clusterset.local\n", "")
    found = proof(fleet, files)
    assert found == [
        "output/clusters/aws-euwest1/dns/gateway/configmap.yaml:1:1: [error] dns-unresolvable from aws-euwest1, "
        "cassandra-0.aws-euwest1.cassandra.db.svc.clusterset.local is answered by aws-euwest1's own kubernetes plugin "
        "(server block clusterset.local:53) in clusters/aws-euwest1/dns/gateway/configmap.yaml, which has no "
        "'multicluster clusterset.local' and so serves no ServiceImports (and 5 more seed names)"
    ]


def test_mcs_owner_without_service_export(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-mcs")
    del files["clusters/gcp-europe-west4-c/workloads/db/cassandra/serviceexport.yaml"]
    message = (
        "output/clusters/{a}/dns/gateway/configmap.yaml:1:1: [error] dns-unresolvable from {a}, "
        "cassandra-0.gcp-europe-west4-c.cassandra.db.svc.clusterset.local is answered from ServiceImports in "
        "clusters/{a}/dns/gateway/configmap.yaml, but gcp-europe-west4-c renders no ServiceExport db/cassandra "
        "to create them from (and 1 more seed names)"
    )
    assert proof(fleet, files) == [message.format(a=a) for a in ("gcp-europe-west4-c", "aws-euwest1", "azure-westeurope")]


def test_consul_forward_not_at_consul_dns(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-consul")
    release = files["hub/flux/helmrelease-consul-aws-euwest1.yaml"]
    release["spec"]["values"]["dns"]["clusterIP"] = "172.20.0.99"
    assert proof(fleet, files) == [
        "output/clusters/aws-euwest1/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-euwest1, "
        "cassandra-db.service.eu-aws-euwest1.consul is forwarded to 172.20.0.53 which is no cluster's DNS endpoint "
        "(in-cluster DNS of aws-euwest1: Consul DNS at 172.20.0.99) (and 2 more seed names)"
    ]


def test_consul_explain_says_consul_answers_at_runtime(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path, "discovery-consul")
    ex = dnsproof.tracer(fleet, files).explain("azure-westeurope", "cassandra-db.service.eu-aws-euwest1.peer.consul")
    assert ex.resolved and ex.owner == "aws-euwest1"
    assert ex.routes[0].hops[-1] == (
        "172.22.0.53 is azure-westeurope's Consul DNS (Service consul-dns, ClusterIP pinned by dns.clusterIP in "
        "output/hub/flux/helmrelease-consul-azure-westeurope.yaml): Consul answers consul names from its catalog at "
        "runtime (catalog sync, peering and exported services are not proven here)"
    )
