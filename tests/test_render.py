"""What the rendered output must mean, asserted on the objects themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.render import render
from tests.conftest import FLEETS, ROOT


def rendered(path: Path) -> dict[str, Any]:
    loaded = pipeline.load(path, path.name)
    assert loaded.ok and loaded.fleet is not None, loaded.findings
    return render(loaded.fleet).files


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return rendered(ROOT / "fleet.yaml")


def blocks(corefile: str) -> dict[str, list[str]]:
    """zone -> the directive lines of its server block (flat, enough for these assertions)."""
    out: dict[str, list[str]] = {}
    current = None
    for raw in corefile.splitlines():
        line = raw.strip()
        if line.endswith("{") and not raw.startswith(" "):
            current = line.split(":")[0].rstrip(" {")
            out[current] = []
        elif current and line not in ("}", ""):
            out[current].append(line)
    return out


def test_a_forwards_b_zone_to_b_endpoint_and_answers_its_own(example: dict[str, Any]) -> None:
    corefile = example["clusters/aws-euwest1/dns/configmap-coredns.yaml"]["data"]["Corefile"]
    zones = blocks(corefile)
    assert zones["gcp-europe-west4-c.local"] == ["errors", "cache 30", "forward . 10.20.255.10"]
    assert zones["aws-euwest1.local"] == ["errors", "cache 30", "kubernetes aws-euwest1.local"]
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in zones["."]


def test_b_kube_dns_stubs_a_zone_and_gateway_answers_b_zone(example: dict[str, Any]) -> None:
    stub = json.loads(example["clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml"]["data"]["stubDomains"])
    assert stub == {"aws-euwest1.local": ["10.10.255.10"], "gcp-europe-west4-c.local": ["10.20.255.10"]}
    gateway = example["clusters/gcp-europe-west4-c/dns/gateway/configmap.yaml"]["data"]["Corefile"]
    assert blocks(gateway)["gcp-europe-west4-c.local"] == ["errors", "cache 30", "kubernetes gcp-europe-west4-c.local"]
    lb = example["clusters/gcp-europe-west4-c/dns/service-dns-endpoint.yaml"]
    deployment = example["clusters/gcp-europe-west4-c/dns/gateway/deployment.yaml"]
    assert lb["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert lb["metadata"]["namespace"] == deployment["metadata"]["namespace"] == "fleet-dns"


@pytest.mark.parametrize(
    ("cluster", "annotations", "ip"),
    [
        (
            "aws-euwest1",
            {
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-enable-tcp-udp-listener": "true",
                "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses": "10.10.255.10",
                "service.beta.kubernetes.io/aws-load-balancer-subnets": "subnet-0a1b2c3d4e5f60718",
            },
            None,
        ),
        (
            "gcp-europe-west4-c",
            {
                "networking.gke.io/load-balancer-type": "Internal",
                "networking.gke.io/internal-load-balancer-allow-global-access": "true",
            },
            "10.20.255.10",
        ),
    ],
)
def test_dns_endpoint_is_an_internal_lb_at_the_declared_ip(
    example: dict[str, Any], cluster: str, annotations: dict[str, str], ip: str | None
) -> None:
    svc = example[f"clusters/{cluster}/dns/service-dns-endpoint.yaml"]
    assert svc["metadata"]["annotations"] == annotations
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"].get("loadBalancerIP") == ip
    assert sorted((p["protocol"], p["port"]) for p in svc["spec"]["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_workload_objects_in_every_placed_cluster(example: dict[str, Any]) -> None:
    seeds = (
        "cassandra-0.cassandra.db.svc.aws-euwest1.local,cassandra-1.cassandra.db.svc.aws-euwest1.local,"
        "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local,cassandra-1.cassandra.db.svc.gcp-europe-west4-c.local"
    )
    for cluster in ("aws-euwest1", "gcp-europe-west4-c"):
        svc = example[f"clusters/{cluster}/workloads/db/cassandra/service-headless.yaml"]
        assert svc["spec"]["clusterIP"] == "None"
        assert svc["spec"]["publishNotReadyAddresses"] is True
        assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [
            ("cql", 9042), ("intra-node", 7000), ("tls-intra-node", 7001), ("jmx", 7199)
        ]
        assert example[f"clusters/{cluster}/workloads/db/cassandra/configmap-seeds.yaml"]["data"]["seeds"] == seeds
        assert example[f"clusters/{cluster}/namespaces/db.yaml"]["kind"] == "Namespace"


def test_every_cluster_dir_is_a_kustomize_root_listing_all_its_files(example: dict[str, Any]) -> None:
    for cluster in ("aws-euwest1", "gcp-europe-west4-c"):
        prefix = f"clusters/{cluster}/"
        own = sorted(p[len(prefix):] for p in example if p.startswith(prefix) and not p.endswith("kustomization.yaml"))
        assert example[prefix + "kustomization.yaml"]["resources"] == own


def test_argocd_applicationset_targets_each_api_server(example: dict[str, Any]) -> None:
    appset = example["hub/argocd/applicationset.yaml"]
    assert appset["spec"]["goTemplate"] is True
    assert appset["spec"]["goTemplateOptions"] == ["missingkey=error"]
    assert appset["spec"]["generators"][0]["list"]["elements"] == [
        {"cluster": "aws-euwest1", "server": "https://a.eks.example.com", "path": "output/clusters/aws-euwest1"},
        {"cluster": "gcp-europe-west4-c", "server": "https://b.gke.example.com", "path": "output/clusters/gcp-europe-west4-c"},
    ]
    assert appset["spec"]["template"]["spec"]["destination"] == {"server": "{{.server}}"}


def test_everything_carries_managed_by_labels(example: dict[str, Any]) -> None:
    for path, obj in example.items():
        if obj["kind"] == "Kustomization" and obj["apiVersion"].startswith("kustomize.config"):
            continue
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "fleetgen", path


def test_flux_fleet_has_repository_and_a_kustomization_per_cluster() -> None:
    files = rendered(FLEETS / "render" / "flux-generic.yaml")
    repo = files["hub/flux/gitrepository.yaml"]
    assert repo["spec"] == {
        "interval": "10m",
        "url": "ssh://git@git.example.com/platform/onprem.git",
        "ref": {"branch": "production"},
        "secretRef": {"name": "onprem-git"},
    }
    for cluster in ("dc1", "dc2"):
        ks = files[f"hub/flux/kustomization-{cluster}.yaml"]
        assert ks["spec"]["path"] == f"./deploy/fleet/clusters/{cluster}"
        assert ks["spec"]["prune"] is True
        assert ks["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "onprem"}
        assert ks["spec"]["kubeConfig"] == {"secretRef": {"name": f"{cluster}-kubeconfig"}}
    # custom zone pattern and cluster domain
    corefile = files["clusters/dc1/dns/configmap-coredns.yaml"]["data"]["Corefile"]
    assert blocks(corefile)["dc2.fleet.internal"] == ["errors", "cache 30", "forward . 192.168.20.53"]
    assert "kubernetes dc1.cluster in-addr.arpa ip6.arpa {" in blocks(corefile)["."]


def test_aks_extends_only_coredns_custom() -> None:
    files = rendered(FLEETS / "render" / "three-providers.yaml")
    aks = [p for p in files if p.startswith("clusters/aks-c/dns/")]
    assert sorted(aks) == ["clusters/aks-c/dns/configmap-coredns-custom.yaml", "clusters/aks-c/dns/service-dns-endpoint.yaml"]
    custom = files["clusters/aks-c/dns/configmap-coredns-custom.yaml"]
    assert custom["metadata"]["name"] == "coredns-custom"
    assert sorted(custom["data"]) == ["fleet-aks-c.local.server", "fleet-eks-a.local.server", "fleet-gke-b.local.server"]
    assert blocks(custom["data"]["fleet-gke-b.local.server"])["gke-b.local"][-1] == "forward . 10.2.255.53"
    svc = files["clusters/aks-c/dns/service-dns-endpoint.yaml"]
    assert svc["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
        "service.beta.kubernetes.io/azure-load-balancer-ipv4": "10.3.255.53",
    }


def test_gke_to_gke_both_sides_answer_their_zone_through_a_gateway() -> None:
    files = rendered(FLEETS / "render" / "gke-gke.yaml")
    for me, peer, peer_ip in (("gke-west", "gke-east", "10.31.15.250"), ("gke-east", "gke-west", "10.30.15.250")):
        stub = json.loads(files[f"clusters/{me}/dns/configmap-kube-dns.yaml"]["data"]["stubDomains"])
        assert stub[f"{peer}.local"] == [peer_ip]
        gateway = files[f"clusters/{me}/dns/gateway/configmap.yaml"]["data"]["Corefile"]
        assert f"kubernetes {me}.local" in blocks(gateway)[f"{me}.local"]


def test_provider_owned_dns_configs_are_never_pruned_by_gitops(example: dict[str, Any]) -> None:
    for path in ("clusters/aws-euwest1/dns/configmap-coredns.yaml", "clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml"):
        annotations = example[path]["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/sync-options"] == "Prune=false,Delete=false,ServerSideApply=true"
        assert annotations["kustomize.toolkit.fluxcd.io/prune"] == "disabled"


def test_engines_agree_byte_for_byte() -> None:
    loaded = pipeline.load(FLEETS / "render" / "three-providers.yaml", "three-providers.yaml")
    assert loaded.fleet is not None
    rust = render(loaded.fleet, engine_name="rjsonnet").files
    go = render(loaded.fleet, engine_name="gojsonnet").files
    assert json.dumps(rust, sort_keys=True) == json.dumps(go, sort_keys=True)


def test_rendering_a_subset_of_clusters_gives_the_same_objects() -> None:
    loaded = pipeline.load(FLEETS / "render" / "three-providers.yaml", "three-providers.yaml")
    assert loaded.fleet is not None
    whole = render(loaded.fleet).files
    part = render(loaded.fleet, clusters=[loaded.fleet.clusters[1]], hub=False).files
    assert part and all(whole[p] == obj for p, obj in part.items())
    assert all(p.startswith("clusters/gke-b/") for p in part)
