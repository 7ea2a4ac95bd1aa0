"""The mesh kinds: every check fails a fleet with its exact diagnostic, and what each kind renders."""

from __future__ import annotations

import re

import ipaddress
import io
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from generator import commands, pipeline
from generator.mesh.cilium import covering_network, native_routing_cidrs

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "tests" / "fleets" / "mesh").iterdir() if p.is_dir())


def example(kind: str) -> str:
    return (ROOT / "examples" / f"mesh-{kind}" / "fleet.yaml").read_text()


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def render(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None, [f.parsable() for f in loaded.findings]
    return pipeline.render_output(loaded.fleet).files


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_invalid_fleet_gives_the_exact_diagnostics(case: Path, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_bytes((case / "fleet.yaml").read_bytes())
    loaded = pipeline.load(fleet, "fleet.yaml")
    assert [f.parsable() for f in loaded.findings] == (case / "expected.txt").read_text().splitlines()
    assert any(f.is_error for f in loaded.findings)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_render_refuses_an_invalid_fleet_and_writes_nothing(case: Path, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_bytes((case / "fleet.yaml").read_bytes())
    err = io.StringIO()
    code = commands.render(fleet, tmp_path / "out", stdout=io.StringIO(), stderr=err)
    assert code == 1
    assert not (tmp_path / "out").exists()
    assert "render refused" in err.getvalue()


@pytest.mark.parametrize("kind", ["istio", "linkerd", "cilium"])
def test_example_fleet_passes_every_check(kind: str, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(example(kind))
    out = io.StringIO()
    assert commands.check(fleet, out_dir=tmp_path / "output", stdout=out) == 0, out.getvalue()


def test_cilium_warns_that_statefulset_names_must_differ_per_cluster(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(example("cilium"))
    loaded = pipeline.load(fleet, "fleet.yaml")
    assert [f.parsable() for f in loaded.findings] == [
        "fleet.yaml:63:13: [warning] mesh-service workload 'db/cassandra' runs in aws-euwest1, gcp-europe-west4-c, "
        "azure-westeurope behind one global headless Service: Cilium merges their endpoints, so pod hostnames "
        "(cassandra-0, ...) collide unless each cluster's StatefulSet has a distinct name; the seeds name pods per "
        "cluster zone (<pod>.cassandra.db.svc.<zone>) and assume the StatefulSet is named 'cassandra'"
    ]


def test_istio_on_one_network_renders_no_east_west_gateway(tmp_path: Path) -> None:
    text = edit(example("istio"), "network: net-gcp", "network: net-aws")
    files = render(tmp_path, text)
    assert not [p for p in files if "eastwest" in p or "cross-network" in p]
    istiod = files["hub/argocd/mesh/gcp-europe-west4-c-istiod.yaml"]
    assert istiod["spec"]["source"]["helm"]["valuesObject"] == {  # type: ignore[index]
        "global": {"meshID": "mesh1", "multiCluster": {"clusterName": "gcp-europe-west4-c"}, "network": "net-aws"},
        "meshConfig": {"trustDomain": "cluster.local"},
    }


def test_istio_on_two_networks_renders_gateway_and_network_label(tmp_path: Path) -> None:
    files = render(tmp_path, example("istio"))
    ns = files["clusters/gcp-europe-west4-c/mesh/istio/namespace-istio-system.yaml"]
    assert ns["metadata"]["labels"]["topology.istio.io/network"] == "net-gcp"  # type: ignore[index]
    gw = files["hub/argocd/mesh/gcp-europe-west4-c-istio-eastwestgateway.yaml"]["spec"]["source"]  # type: ignore[index]
    values = gw["helm"]["valuesObject"]
    assert values["networkGateway"] == "net-gcp"
    # the chart sets ISTIO_META_REQUESTED_NETWORK_VIEW from networkGateway: a second one in env is a duplicate env name
    assert "env" not in values
    # the deprecated spec.loadBalancerIP is gone; GKE pins the reserved address by name
    assert "loadBalancerIP" not in values["service"]
    assert values["service"]["annotations"] == {
        "networking.gke.io/load-balancer-type": "Internal",
        "networking.gke.io/internal-load-balancer-allow-global-access": "true",
        "networking.gke.io/load-balancer-ip-addresses": "fleet-mesh-gcp-europe-west4-c",
    }
    assert not any("secret" in p and "prerequisites" not in p for p in files)


def test_linkerd_gateway_mode_links_through_each_peer_gateway(tmp_path: Path) -> None:
    text = edit(example("linkerd"), "mode: remote-discovery", "mode: gateway")
    text = edit(text, "        loadBalancerSubnets: [subnet-0a1b2c3d4e5f60718]\n",
                "        loadBalancerSubnets: [subnet-0a1b2c3d4e5f60718]\n      mesh: {endpoint: 10.10.255.30}\n")
    text = edit(text, "        endpoint: 10.20.255.10\n", "        endpoint: 10.20.255.10\n      mesh: {endpoint: 10.20.255.30}\n")
    files = render(tmp_path, text)
    link = files["clusters/aws-euwest1/mesh/linkerd/link-gcp-europe-west4-c.yaml"]["spec"]  # type: ignore[index]
    assert link["gatewayAddress"] == "10.20.255.30"
    assert link["gatewayPort"] == "4143"
    assert link["gatewayIdentity"] == "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local"
    assert link["selector"] == {"matchLabels": {"mirror.linkerd.io/exported": "true"}}
    svc = files["clusters/aws-euwest1/workloads/db/cassandra/service-headless.yaml"]
    assert svc["metadata"]["labels"]["mirror.linkerd.io/exported"] == "true"  # type: ignore[index]
    release = files["hub/flux/mesh/helmrelease-aws-euwest1-linkerd-multicluster.yaml"]["spec"]["values"]  # type: ignore[index]
    assert release["controllers"] == [{"link": {"ref": {"name": "gcp-europe-west4-c"}}}]
    prereq = files["clusters/aws-euwest1/mesh/configmap-mesh-prerequisites.yaml"]["data"]  # type: ignore[index]
    assert "--gateway=false" not in prereq["linkerd-multicluster.cluster-credentials-gcp-europe-west4-c"]


def test_linkerd_flat_mode_exports_for_remote_discovery(tmp_path: Path) -> None:
    files = render(tmp_path, example("linkerd"))
    svc = files["clusters/gcp-europe-west4-c/workloads/db/cassandra/service-headless.yaml"]
    assert svc["metadata"]["labels"]["mirror.linkerd.io/exported"] == "remote-discovery"  # type: ignore[index]
    link = files["clusters/gcp-europe-west4-c/mesh/linkerd/link-aws-euwest1.yaml"]["spec"]  # type: ignore[index]
    assert "gatewayAddress" not in link
    # as `linkerd multicluster link-gen --gateway=false` writes it (edge-25.5.5): no gateway selector
    assert "selector" not in link
    assert link["remoteDiscoverySelector"] == {"matchLabels": {"mirror.linkerd.io/exported": "remote-discovery"}}
    release = files["hub/flux/mesh/helmrelease-gcp-europe-west4-c-linkerd-multicluster.yaml"]["spec"]["values"]  # type: ignore[index]
    # no gateway, so no probe Service per controller
    assert release["controllers"] == [{"link": {"ref": {"name": "aws-euwest1"}}, "gateway": {"enabled": False}}]
    prereq = files["clusters/gcp-europe-west4-c/mesh/configmap-mesh-prerequisites.yaml"]["data"]  # type: ignore[index]
    assert prereq["linkerd-multicluster.cluster-credentials-aws-euwest1"] == (
        "linkerd --context=aws-euwest1 multicluster link-gen --cluster-name=aws-euwest1 --gateway=false"
        " | yq 'select(.kind == \"Secret\")' | kubectl apply --context=gcp-europe-west4-c -f -")


def test_cilium_overlay_connectivity_uses_tunnel_routing(tmp_path: Path) -> None:
    text = edit(example("cilium"), "    mode: native\n", "    mode: overlay\n    calico: {asNumber: 64512}\n")
    for net in ("10.10", "10.20", "10.30"):  # a route reflector per cluster, at cluster level
        text = re.sub(rf"(        nodeCIDRs: \[{net}\.0\.0/16\]\n(?:        .*\n)*)", rf"\1      calico: {{routeReflectors: [{net}.0.5]}}\n", text, count=1)
    files = render(tmp_path, text)
    values = files["hub/argocd/mesh/aws-euwest1-cilium.yaml"]["spec"]["source"]["helm"]["valuesObject"]  # type: ignore[index]
    assert values["routingMode"] == "tunnel"
    assert "ipv4NativeRoutingCIDR" not in values


def test_no_mesh_adds_nothing(tmp_path: Path) -> None:
    files = render(tmp_path, (ROOT / "fleet.yaml").read_text())
    assert not [p for p in files if "/mesh/" in p]
    svc = files["clusters/aws-euwest1/workloads/db/cassandra/service-headless.yaml"]
    assert "annotations" not in svc["metadata"]  # type: ignore[operator]


def test_native_routing_cidr_covers_every_pod_range_of_the_mesh(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(example("cilium"))
    fleet = pipeline.load(path, "fleet.yaml").fleet
    assert fleet is not None
    assert native_routing_cidrs(fleet.clusters) == {"ipv4": "10.0.0.0/8"}
    aws, gcp, _ = fleet.clusters
    assert native_routing_cidrs((aws,)) == {"ipv4": "10.100.0.0/16"}
    assert native_routing_cidrs((aws, gcp)) == {"ipv4": "10.0.0.0/8"}


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 32)), min_size=1, max_size=6))
def test_covering_network_is_the_smallest_supernet(raw: list[tuple[int, int]]) -> None:
    nets = [ipaddress.ip_network((addr, plen), strict=False) for addr, plen in raw]
    cover = covering_network(nets)
    assert cover is not None
    assert all(n.subnet_of(cover) for n in nets)
    if cover.prefixlen < 32:  # brute force: no longer prefix holding the first network covers them all
        tighter = nets[0].supernet(new_prefix=cover.prefixlen + 1) if nets[0].prefixlen > cover.prefixlen else None
        assert tighter is None or not all(n.subnet_of(tighter) for n in nets)


def test_rendered_gateway_and_link_are_schema_validated_strictly(tmp_path: Path) -> None:
    from generator import manifests

    files = render(tmp_path, example("linkerd"))
    link = dict(files["clusters/aws-euwest1/mesh/linkerd/link-gcp-europe-west4-c.yaml"])  # type: ignore[arg-type]
    assert not manifests.validate([("link.yaml", link)], "1.33").findings
    bad = {**link, "spec": {**link["spec"], "gatewayPort": 4143}}  # type: ignore[dict-item]
    report = manifests.validate([("link.yaml", bad)], "1.33")
    assert [f.message for f in report.findings] == ["Link gcp-europe-west4-c: spec.gatewayPort: 4143 is not of type 'string'"]
    gateway = render(tmp_path, example("istio"))["clusters/aws-euwest1/mesh/istio/gateway-cross-network.yaml"]
    assert manifests.validate([("gw.yaml", gateway)], "1.33").validated == 1
