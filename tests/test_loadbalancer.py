"""Internal load balancers as each provider's controller builds them (issue 11 items 1, 2, 7; issue 10 item 4).

Fleet file in, exact rendered annotations or exact findings (rules ``lb-pin``, ``endpoint-public``) out.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest

from generator import commands, dnsproof, pipeline
from tests.conftest import FLEETS, ROOT

GENERIC = FLEETS / "render" / "flux-generic.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def render(path: Path) -> dict[str, Any]:
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None, [f.parsable() for f in loaded.findings]
    return pipeline.render_output(loaded.fleet).files


def findings(path: Path) -> list[str]:
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    return [f.parsable() for f in loaded.findings]


def lines_of(path: Path, rule: str) -> list[str]:
    return [f for f in findings(path) if f" {rule} " in f]


# --- generic clusters: the bare-metal load balancer's own annotation, never spec.loadBalancerIP ---------

@pytest.mark.parametrize(
    ("controller", "key"),
    [(None, "metallb.io/loadBalancerIPs"), ("metallb", "metallb.io/loadBalancerIPs"),
     ("kube-vip", "kube-vip.io/loadbalancerIPs"), ("cilium-lbipam", "lbipam.cilium.io/ips")],
)
def test_generic_dns_endpoint_uses_the_chosen_bare_metal_annotation(tmp_path: Path, controller: str | None, key: str) -> None:
    text = GENERIC.read_text()
    if controller:
        text = edit(text, "      dns: {endpoint: 192.168.20.53}\n",
                    f"      dns: {{endpoint: 192.168.20.53}}\n      loadBalancer: {{controller: {controller}}}\n")
    files = render(write(tmp_path, text))
    svc = files["clusters/dc2/dns/service-dns-endpoint.yaml"]
    assert svc["metadata"]["annotations"] == {key: "192.168.20.53"}  # no fleetgen-only marker
    assert "loadBalancerIP" not in svc["spec"]
    assert [(p["protocol"], p["port"]) for p in svc["spec"]["ports"]] == [("UDP", 53), ("TCP", 53)]


def test_generic_dns_proof_reads_the_bare_metal_annotation(tmp_path: Path) -> None:
    path = write(tmp_path, GENERIC.read_text())
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    files = pipeline.render_output(loaded.fleet).files
    out = dnsproof.tracer(loaded.fleet, files).explain("dc1", "pg-0.pg.postgres.svc.dc2.fleet.internal")
    assert out.resolved
    assert any("192.168.20.53 is dc2's DNS endpoint (Service kube-system/fleet-dns, internal LB)" in hop
               for route in out.routes for hop in route.hops)


# --- Azure: the address family picks the annotation -------------------------------------------------------

def test_azure_ipv6_endpoint_uses_the_ipv6_annotation(tmp_path: Path) -> None:
    loaded = pipeline.load(FLEETS / "render" / "three-providers.yaml", "fleet.yaml")
    assert loaded.fleet is not None
    # the AKS cluster with an IPv6 endpoint: the blueprint must switch to azure-load-balancer-ipv6
    six = dataclasses.replace(loaded.fleet.by_name["aks-c"], dns_endpoint="fd03::53")
    fleet = dataclasses.replace(loaded.fleet, clusters=tuple(six if c.name == "aks-c" else c for c in loaded.fleet.clusters),
                                by_name={**loaded.fleet.by_name, "aks-c": six}, memo={})
    svc6 = pipeline.render_output(fleet).files["clusters/aks-c/dns/service-dns-endpoint.yaml"]
    assert svc6["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
        "service.beta.kubernetes.io/azure-load-balancer-ipv6": "fd03::53",
    }


# --- AWS: addresses only with pinned subnets, one per subnet (rule lb-pin) ---------------------------------

SEED = ROOT / "fleet.yaml"
SUBNET_LINE = "        loadBalancerSubnets: [subnet-0a1b2c3d4e5f60718]\n"


def test_aws_two_subnets_render_one_address_per_subnet(tmp_path: Path) -> None:
    text = edit(SEED.read_text(), SUBNET_LINE,
                "        loadBalancerSubnets:\n"
                "          - {subnet: subnet-0a1b2c3d4e5f60718, address: 10.10.255.10}\n"
                "          - {subnet: subnet-0f9e8d7c6b5a40302, address: 10.10.127.10}\n")
    path = write(tmp_path, text)
    assert findings(path) == []
    annotations = render(path)["clusters/aws-euwest1/dns/service-dns-endpoint.yaml"]["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-subnets"] == "subnet-0a1b2c3d4e5f60718,subnet-0f9e8d7c6b5a40302"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses"] == "10.10.255.10,10.10.127.10"


def test_aws_endpoint_without_subnets_renders_no_address_and_check_says_what_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, edit(SEED.read_text(), SUBNET_LINE, ""))
    assert lines_of(path, "lb-pin") == [
        "fleet.yaml:38:19: [error] lb-pin cluster 'aws-euwest1': dns.endpoint 10.10.255.10 cannot be pinned on AWS "
        "without the NLB's subnets: the AWS Load Balancer Controller takes private-ipv4-addresses only together "
        "with aws-load-balancer-subnets, one address per subnet; add dns.loadBalancerSubnets ({subnet, address} per "
        "availability zone, one of them 10.10.255.10)"
    ]
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    annotations = pipeline.render_output(loaded.fleet).files["clusters/aws-euwest1/dns/service-dns-endpoint.yaml"]["metadata"]["annotations"]
    assert not any("private-ipv4-addresses" in k or "aws-load-balancer-subnets" in k for k in annotations)


def test_aws_two_subnets_by_name_only_need_an_address_each(tmp_path: Path) -> None:
    path = write(tmp_path, edit(SEED.read_text(), SUBNET_LINE,
                                "        loadBalancerSubnets: [subnet-0a1b2c3d4e5f60718, subnet-0f9e8d7c6b5a40302]\n"))
    assert lines_of(path, "lb-pin") == [
        "fleet.yaml:39:30: [error] lb-pin cluster 'aws-euwest1': dns.endpoint 10.10.255.10: the NLB spans 2 subnets "
        "and the AWS Load Balancer Controller needs one private address per subnet; subnet(s) "
        "subnet-0a1b2c3d4e5f60718, subnet-0f9e8d7c6b5a40302 have none: write dns.loadBalancerSubnets as "
        "{subnet, address}, one per subnet"
    ]
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    annotations = pipeline.render_output(loaded.fleet).files["clusters/aws-euwest1/dns/service-dns-endpoint.yaml"]["metadata"]["annotations"]
    assert "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses" not in annotations


def test_aws_endpoint_must_be_one_of_the_pinned_addresses(tmp_path: Path) -> None:
    path = write(tmp_path, edit(SEED.read_text(), SUBNET_LINE,
                                "        loadBalancerSubnets:\n"
                                "          - {subnet: subnet-0a1b2c3d4e5f60718, address: 10.10.255.11}\n"))
    assert lines_of(path, "lb-pin") == [
        "fleet.yaml:38:19: [error] lb-pin cluster 'aws-euwest1': dns.endpoint 10.10.255.10 is none of the addresses "
        "pinned on its loadBalancerSubnets (10.10.255.11); peers would send traffic to an address the NLB does not hold"
    ]


def test_check_command_reports_lb_pin_at_the_fleet_line(tmp_path: Path) -> None:
    path = write(tmp_path, edit(SEED.read_text(), SUBNET_LINE, ""))
    out = io.StringIO()
    code = commands.check(path, out_dir=tmp_path / "output", stdout=out)
    assert code == 1
    assert [line.split(" cluster ")[0] for line in out.getvalue().splitlines() if " lb-pin " in line] == [
        f"{path}:38:19: [error] lb-pin"]


# --- endpoints are private unless the fleet allows a public one (rule endpoint-public) ----------------------

def test_public_dns_endpoint_on_generic_is_refused_at_the_fleet_line(tmp_path: Path) -> None:
    text = edit(GENERIC.read_text(), "network: {nodeCIDRs: [192.168.20.0/24]", "network: {nodeCIDRs: [34.90.0.0/16]")
    text = edit(text, "dns: {endpoint: 192.168.20.53}", "dns: {endpoint: 34.90.255.10}")
    path = write(tmp_path, text)
    assert lines_of(path, "endpoint-public") == [
        "fleet.yaml:30:23: [error] endpoint-public dns.endpoint 34.90.255.10 of cluster 'dc2' is not a private "
        "address (RFC 1918, RFC 6598 100.64.0.0/10 or IPv6 ULA fc00::/7): its load balancer would expose the "
        "cluster's DNS publicly; pick a private address, or set loadBalancer.allowPublicAddresses: true on the "
        "cluster if that is intended"
    ]


def test_public_endpoint_allowed_explicitly_passes_the_check(tmp_path: Path) -> None:
    text = edit(GENERIC.read_text(), "network: {nodeCIDRs: [192.168.20.0/24]", "network: {nodeCIDRs: [34.90.0.0/16]")
    text = edit(text, "dns: {endpoint: 192.168.20.53}\n", "dns: {endpoint: 34.90.255.10}\n      loadBalancer: {allowPublicAddresses: true}\n")
    path = write(tmp_path, text)
    assert lines_of(path, "endpoint-public") == []


@pytest.mark.parametrize("address", ["10.1.2.3", "172.31.255.1", "192.168.0.9", "100.64.0.1", "100.127.255.254", "fd00::1", "fc12::5"])
def test_private_ranges(address: str) -> None:
    from generator import lb

    assert lb.is_private(address)


@pytest.mark.parametrize("address", ["172.32.0.1", "100.128.0.1", "34.90.255.10", "2001:db8::1", "fe80::1", "not-an-ip"])
def test_not_private(address: str) -> None:
    from generator import lb

    assert not lb.is_private(address)


def test_public_mesh_endpoint_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "mesh-istio" / "fleet.yaml").read_text()
    text = edit(text, "mesh: {network: net-gcp, endpoint: 10.20.255.20}", "mesh: {network: net-gcp, endpoint: 35.20.255.20}")
    found = lines_of(write(tmp_path, text), "endpoint-public")
    assert len(found) == 1
    assert "endpoint-public mesh.endpoint 35.20.255.20 of cluster 'gcp-europe-west4-c' is not a private address" in found[0]
    assert "expose the cluster's mesh entry point publicly" in found[0]


# --- GKE: the DNS proof and `explain dns` follow the UDP/TCP split ------------------------------------------

def test_proof_fails_when_the_gke_tcp_service_is_missing(tmp_path: Path) -> None:
    loaded = pipeline.load(SEED, "fleet.yaml")
    assert loaded.fleet is not None
    files = dict(pipeline.render_output(loaded.fleet).files)
    t = dnsproof.tracer(loaded.fleet, files)
    name = "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local"
    assert t.explain("aws-euwest1", name).resolved
    hops = [hop for route in t.explain("aws-euwest1", name).routes for hop in route.hops]
    assert any("10.20.255.10 is gcp-europe-west4-c's DNS endpoint (Service fleet-dns/fleet-dns, internal LB)" in h for h in hops)
    # the GKE Services name a reserved address the fleet does not declare: the proof finds no endpoint there
    svc = files["clusters/gcp-europe-west4-c/dns/service-dns-endpoint.yaml"]
    broken = {**svc, "metadata": {**svc["metadata"], "annotations": {
        **svc["metadata"]["annotations"], "networking.gke.io/load-balancer-ip-addresses": "some-other-address"}}}
    files["clusters/gcp-europe-west4-c/dns/service-dns-endpoint.yaml"] = broken
    files["clusters/gcp-europe-west4-c/dns/service-dns-endpoint-tcp.yaml"] = broken
    assert not dnsproof.tracer(loaded.fleet, files).explain("aws-euwest1", name).resolved


# --- the lb-public policy: no fleetgen marker; a public endpoint allowed on purpose needs an exception --------

ALLOW_PUBLIC = """package fleetgen.network

import rego.v1

exception contains rules if {
\tinput.kind == "Service"
\tinput.metadata.name == "fleet-dns"
\tinput.metadata.annotations["metallb.io/loadBalancerIPs"] == "34.90.255.53"
\trules := {"public_load_balancer"}
}
"""


def test_allowed_public_endpoint_is_still_flagged_by_lb_public_until_excepted(tmp_path: Path) -> None:
    fleet = FLEETS / "checks" / "valid" / "lb-pinned" / "fleet.yaml"
    out = io.StringIO()
    assert commands.check(fleet, out_dir=tmp_path / "output", stdout=out) == 1
    flagged = [line for line in out.getvalue().splitlines() if "[error]" in line]
    assert flagged == [
        f"{tmp_path}/output/clusters/d/dns/service-dns-endpoint.yaml:1:1: [error] lb-public Service kube-system/fleet-dns "
        "is a public load balancer: annotate it with its provider's internal scheme, or pin it at private addresses "
        "with its bare-metal load balancer's annotation (clusters: d)"
    ]
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "allow.rego").write_text(ALLOW_PUBLIC)
    out = io.StringIO()
    assert commands.check(fleet, out_dir=tmp_path / "output", policy_dirs=(policy,), stdout=out) == 0, out.getvalue()


def test_proof_follows_tcp_to_the_gke_tcp_service_and_reports_it_missing(tmp_path: Path) -> None:
    loaded = pipeline.load(SEED, "fleet.yaml")
    assert loaded.fleet is not None
    files = dict(pipeline.render_output(loaded.fleet).files)
    cm = files["clusters/aws-euwest1/dns/configmap-coredns.yaml"]
    tcp_only = cm["data"]["Corefile"].replace("forward . 10.20.255.10", "forward . 10.20.255.10 {\n        force_tcp\n    }")
    files["clusters/aws-euwest1/dns/configmap-coredns.yaml"] = {**cm, "data": {**cm["data"], "Corefile": tcp_only}}
    name = "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local"
    over_tcp = dnsproof.tracer(loaded.fleet, files).explain("aws-euwest1", name)
    assert over_tcp.resolved
    assert over_tcp.routes[0].hops[1] == (
        "10.20.255.10 is gcp-europe-west4-c's DNS endpoint (Service fleet-dns/fleet-dns-tcp, internal LB)")
    del files["clusters/gcp-europe-west4-c/dns/service-dns-endpoint-tcp.yaml"]
    found = [f.parsable() for f in pipeline.check_output(loaded.fleet, files, "output") if f.rule == "dns-unresolvable"]
    assert found == [
        "output/clusters/gcp-europe-west4-c/dns/service-dns-endpoint.yaml:1:1: [error] dns-unresolvable from "
        "aws-euwest1, cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local is sent to 10.20.255.10 port 53/TCP, "
        "but Service fleet-dns/fleet-dns in gcp-europe-west4-c has no TCP port 53 (and 1 more seed names)"
    ]


def test_aws_mesh_gateway_needs_its_own_addresses_when_the_nlb_spans_several_subnets(tmp_path: Path) -> None:
    text = edit((ROOT / "examples" / "mesh-istio" / "fleet.yaml").read_text(), SUBNET_LINE,
                "        loadBalancerSubnets:\n"
                "          - {subnet: subnet-0a1b2c3d4e5f60718, address: 10.10.255.10}\n"
                "          - {subnet: subnet-0f9e8d7c6b5a40302, address: 10.10.127.10}\n")
    path = write(tmp_path, text)
    assert lines_of(path, "lb-pin") == [
        "fleet.yaml:44:13: [error] lb-pin cluster 'aws-euwest1': mesh.endpoint 10.10.255.20: the NLB spans 2 subnets "
        "and the AWS Load Balancer Controller needs one private address per subnet; subnet(s) "
        "subnet-0a1b2c3d4e5f60718, subnet-0f9e8d7c6b5a40302 have none: write mesh.loadBalancerSubnets as "
        "{subnet, address}, one per subnet"
    ]
    fixed = edit(text, "      mesh: {network: net-aws, endpoint: 10.10.255.20}\n",
                 "      mesh:\n        network: net-aws\n        endpoint: 10.10.255.20\n        loadBalancerSubnets:\n"
                 "          - {subnet: subnet-0a1b2c3d4e5f60718, address: 10.10.255.20}\n"
                 "          - {subnet: subnet-0f9e8d7c6b5a40302, address: 10.10.127.20}\n")
    path = write(tmp_path, fixed)
    assert lines_of(path, "lb-pin") == []
    values = render(path)["hub/argocd/mesh/aws-euwest1-istio-eastwestgateway.yaml"]["spec"]["source"]["helm"]["valuesObject"]
    annotations = values["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses"] == "10.10.255.20,10.10.127.20"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-subnets"] == "subnet-0a1b2c3d4e5f60718,subnet-0f9e8d7c6b5a40302"


def test_gke_default_address_name_must_fit_a_gce_name(tmp_path: Path) -> None:
    long = "gke-" + "x" * 56  # a valid 60-character cluster name; fleet-dns-<name> is 70 characters
    text = SEED.read_text().replace("gcp-europe-west4-c", long)
    path = write(tmp_path, text)
    assert lines_of(path, "lb-pin") == [
        f"fleet.yaml:49:19: [error] lb-pin cluster '{long}': dns.endpoint 10.20.255.10: the default reserved address "
        f"name 'fleet-dns-{long}' is longer than 63 characters (a GCE resource name); set dns.addressName to the "
        "name of the reserved internal address"
    ]
    path = write(tmp_path, edit(text, "        endpoint: 10.20.255.10\n", "        endpoint: 10.20.255.10\n        addressName: dns-b\n"))
    assert lines_of(path, "lb-pin") == []


def test_only_a_plain_address_or_a_valid_name_ever_reaches_an_annotation() -> None:
    # defence in depth behind the fleet schema: the emitter refuses what the grammar does not allow
    from generator import lb
    from generator.model import Cluster, LbPin

    def cluster(provider: str, endpoint: str, **kw: Any) -> Cluster:
        return Cluster(name="c", provider=provider, region="", api_server="https://c", ranges=(), dns_server="coredns",
                       cluster_domain="cluster.local", zone="c.local", zone_explicit=False, dns_endpoint=endpoint,
                       lb_subnets=(), mesh_id=None, mesh_network=None, route_reflectors=(), calico_as=None,
                       pointer="/spec/clusters/0", **kw)

    assert lb.pin(cluster("generic", "fd10:2::53%x\n}\ncom:53 {"), "dns").ip is None
    assert lb.pin(cluster("generic", "10.0.0.53"), "dns").ip == "10.0.0.53"
    assert lb.pin(cluster("gcp", "10.0.0.53", dns_lb=LbPin(address_name="Bad Name\n")), "dns").address_name is None
    aws = lb.pin(cluster("aws", "10.0.0.53", dns_lb=LbPin(("subnet-a,subnet-b",), (None,))), "dns")
    assert (aws.subnets, aws.addresses) == ((), ())
