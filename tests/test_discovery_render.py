"""What the discovery options render, asserted on the example fleets' render input and output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.model import Fleet
from generator.render import render

ROOT = Path(__file__).resolve().parent.parent


def fleet(option: str) -> Fleet:
    loaded = pipeline.load(ROOT / "examples" / f"discovery-{option}" / "fleet.yaml", "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None, loaded.findings
    return loaded.fleet


def files(option: str, engine: str | None = None) -> dict[str, dict[str, Any]]:
    return render(fleet(option), engine_name=engine).files


@pytest.mark.parametrize("option", ["forward", "kubernetai", "consul", "mcs"])
def test_no_secret_carries_data(option: str) -> None:
    for path, obj in files(option).items():
        if obj.get("kind") == "Secret":
            assert "data" not in obj and "stringData" not in obj, path


@pytest.mark.parametrize("option", ["kubernetai", "consul", "mcs"])
def test_gojsonnet_renders_the_same_objects(option: str) -> None:
    assert files(option, "gojsonnet") == files(option, "rjsonnet")


def test_kubernetai_one_block_per_peer_zone_and_secret_by_pattern() -> None:
    f = fleet("kubernetai")
    out = files("kubernetai")
    for c in f.clusters:
        corefile = out[f"clusters/{c.name}/dns/gateway/configmap.yaml"]["data"]["Corefile"]
        volumes = out[f"clusters/{c.name}/dns/gateway/deployment.yaml"]["spec"]["template"]["spec"]["volumes"]
        secrets = [s["secret"]["name"] for v in volumes if "projected" in v for s in v["projected"]["sources"] if "secret" in s]
        for peer in f.peers[c.name]:
            zone = f.by_name[peer].zone
            assert corefile.count(f"{zone}:53 {{") == 1
            assert f"kubernetai {zone} {{\n        kubeconfig /etc/coredns/kubeconfigs/{peer}/kubeconfig {peer}\n" in corefile
            assert f"kubernetai-{peer}" in secrets
            # the peer lets this cluster read it
            account = out[f"clusters/{peer}/discovery/kubernetai/serviceaccount-{c.name}.yaml"]
            assert account["metadata"]["name"] == f"fleet-dns-reader-{c.name}"
        # each peer zone, and the own zone (in-cluster: a kubernetai image may lack `kubernetes`)
        assert corefile.count("kubernetai ") == len(f.peers[c.name]) + 1
        assert f"kubernetai {c.zone}\n" in corefile and "kubernetes" not in corefile
        kubeconfigs = out[f"clusters/{c.name}/dns/gateway/configmap-kubeconfigs.yaml"]["data"]
        for peer in f.peers[c.name]:
            assert f'"server": "{f.by_name[peer].api_server}"' in kubeconfigs[peer]


def test_kubernetai_cluster_dns_forwards_fleet_zones_to_the_gateway() -> None:
    out = files("kubernetai")
    stubs = out["clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml"]["data"]["stubDomains"]
    assert '"aws-euwest1.local":["172.21.0.53"]' in stubs
    custom = out["clusters/azure-westeurope/dns/configmap-coredns-custom.yaml"]["data"]
    assert custom["fleet-aws-euwest1.local.server"].endswith("forward . 172.22.0.53\n}\n")
    service = out["clusters/aws-euwest1/dns/gateway/service.yaml"]
    assert service["spec"]["clusterIP"] == "172.20.0.53"
    assert not any(p.endswith("service-dns-endpoint.yaml") for p in out)


def test_consul_each_pair_has_one_acceptor_and_one_dialer_sharing_a_secret_name() -> None:
    out = files("consul")
    acceptors = {(p.split("/")[1], o["metadata"]["name"]): o["spec"]["peer"]["secret"]["name"]
                 for p, o in out.items() if o.get("kind") == "PeeringAcceptor"}
    dialers = {(p.split("/")[1], o["metadata"]["name"]): o["spec"]["peer"]["secret"]["name"]
               for p, o in out.items() if o.get("kind") == "PeeringDialer"}
    assert len(acceptors) == len(dialers) == 3
    for (cluster, peer_dc), secret in acceptors.items():
        dialer = ("eu-" + cluster, peer_dc)
        matches = [s for (c, dc), s in dialers.items() if dc == "eu-" + cluster and "eu-" + c == peer_dc]
        assert matches == [secret], dialer


def test_consul_helm_release_values() -> None:
    out = files("consul")
    release = out["hub/flux/helmrelease-consul-aws-euwest1.yaml"]
    values = release["spec"]["values"]
    assert release["spec"]["chart"]["spec"]["version"] == "1.9.3"
    assert values["global"]["datacenter"] == "eu-aws-euwest1"
    assert values["global"]["tls"]["enabled"] and values["global"]["acls"]["manageSystemACLs"]
    assert values["global"]["peering"]["enabled"] and values["connectInject"]["enabled"]
    assert values["dns"] == {"enabled": True, "clusterIP": "172.20.0.53"}
    assert out["clusters/aws-euwest1/dns/configmap-coredns.yaml"]["data"]["Corefile"].endswith(
        "consul:53 {\n    errors\n    cache 30\n    forward . 172.20.0.53\n}\n"
    )


def test_mcs_exports_every_workload_and_names_seeds_in_clusterset_local() -> None:
    out = files("mcs")
    for cluster in ("aws-euwest1", "gcp-europe-west4-c", "azure-westeurope"):
        export = out[f"clusters/{cluster}/workloads/db/cassandra/serviceexport.yaml"]
        assert (export["kind"], export["metadata"]["name"], export["metadata"]["namespace"]) == ("ServiceExport", "cassandra", "db")
        prop = out[f"clusters/{cluster}/discovery/mcs/clusterproperty-cluster.yaml"]
        assert (prop["metadata"]["name"], prop["spec"]["value"]) == ("cluster.clusterset.k8s.io", cluster)
    seeds = out["clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml"]["data"]["seeds"].split(",")
    assert seeds[:2] == ["cassandra-0.aws-euwest1.cassandra.db.svc.clusterset.local",
                         "cassandra-1.aws-euwest1.cassandra.db.svc.clusterset.local"]
    corefile = out["clusters/gcp-europe-west4-c/dns/gateway/configmap.yaml"]["data"]["Corefile"]
    assert "clusterset.local:53 {\n    errors\n    ready\n    cache 30\n    kubernetes clusterset.local {\n        multicluster clusterset.local\n    }\n}\n" in corefile
    rules = out["clusters/gcp-europe-west4-c/dns/gateway/clusterrole.yaml"]["rules"]
    assert {"apiGroups": ["multicluster.x-k8s.io"], "resources": ["serviceimports"], "verbs": ["list", "watch"]} in rules
