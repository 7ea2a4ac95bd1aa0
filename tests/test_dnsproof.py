"""The DNS resolution proof over rendered output, and `fleetgen explain dns`."""

from __future__ import annotations

import copy
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator import commands, dnsproof, pipeline
from generator.model import Fleet

FLEETS = Path(__file__).parent / "fleets" / "dnsproof"
REPO = Path(__file__).resolve().parent.parent


def rendered(tmp_path: Path, name: str = "three-providers.yaml") -> tuple[Fleet, dict[str, Any]]:
    path = tmp_path / "fleet.yaml"
    shutil.copy(FLEETS / name, path)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None
    # one copy per file: byte-identical files share one object (pipeline._shared)
    return loaded.fleet, {p: copy.deepcopy(o) for p, o in pipeline.render_output(loaded.fleet).files.items()}


def parsable(fleet: Fleet, files: dict[str, Any]) -> list[str]:
    return [f.parsable() for f in pipeline.check_output(fleet, files, "output")]


def test_every_seed_resolves_from_every_peer(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    assert parsable(fleet, files) == []
    t = dnsproof.tracer(fleet, files)
    assert all(t.explain(a, n).resolved for a in fleet.by_name for n in ("cassandra-0.cassandra.db.svc.gcp-b.local",))


def test_wrong_forward_ip(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.20.255.10", "forward . 10.20.255.11")
    assert parsable(fleet, files) == [
        "output/clusters/aws-a/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-a, "
        "cassandra-0.cassandra.db.svc.gcp-b.local is forwarded to 10.20.255.11 which is no cluster's DNS endpoint "
        "(gcp-b's is 10.20.255.10)"
    ]


def test_one_of_several_upstreams_is_wrong(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.20.255.10", "forward . 10.20.255.10 10.10.255.10")
    assert parsable(fleet, files) == [
        "output/clusters/aws-a/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-a, "
        "cassandra-0.cassandra.db.svc.gcp-b.local loops: it comes back to aws-a CoreDNS "
        "(clusters/aws-a/dns/configmap-coredns.yaml)"
    ]


def test_missing_peer_block(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/azure-c/dns/configmap-coredns-custom.yaml"]
    del cm["data"]["fleet-aws-a.local.server"]
    assert parsable(fleet, files) == [
        "output/clusters/azure-c/dns/configmap-coredns-custom.yaml:1:1: [error] dns-unresolvable from azure-c, "
        "cassandra-0.cassandra.db.svc.aws-a.local matches no server block in "
        "clusters/azure-c/dns/configmap-coredns-custom.yaml and would go to /etc/resolv.conf upstreams"
    ]


def test_missing_stub_domain(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/gcp-b/dns/configmap-kube-dns.yaml"]
    cm["data"]["stubDomains"] = cm["data"]["stubDomains"].replace('"azure-c.local":["10.30.255.10"],', "")
    assert parsable(fleet, files) == [
        "output/clusters/gcp-b/dns/configmap-kube-dns.yaml:1:1: [error] dns-unresolvable from gcp-b, "
        "cassandra-0.cassandra.db.svc.azure-c.local matches no stub domain in clusters/gcp-b/dns/configmap-kube-dns.yaml "
        "and would go to kube-dns's upstream nameservers"
    ]


def test_lb_selecting_nothing(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    files["clusters/gcp-b/dns/service-dns-endpoint.yaml"]["spec"]["selector"] = {"app.kubernetes.io/name": "fleet-dns-gatewy"}
    found = parsable(fleet, files)
    message = (
        "output/clusters/gcp-b/dns/service-dns-endpoint.yaml:1:1: [error] dns-unresolvable from {asker}, "
        "cassandra-0.cassandra.db.svc.gcp-b.local reaches gcp-b's DNS endpoint 10.20.255.10, but Service "
        "fleet-dns/fleet-dns selects no DNS pods (selector app.kubernetes.io/name=fleet-dns-gatewy in namespace fleet-dns)"
    )
    assert found == [message.format(asker=a) for a in ("aws-a", "azure-c", "gcp-b")]


def test_owner_without_kubernetes_block(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/gcp-b/dns/gateway/configmap.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("kubernetes gcp-b.local", "whoami")
    assert parsable(fleet, files)[0] == (
        "output/clusters/gcp-b/dns/gateway/configmap.yaml:1:1: [error] dns-unresolvable from aws-a, "
        "cassandra-0.cassandra.db.svc.gcp-b.local matches server block gcp-b.local:53 in "
        "clusters/gcp-b/dns/gateway/configmap.yaml, which neither answers nor forwards it"
    )


def test_peer_answering_a_zone_it_does_not_own(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.20.255.10", "kubernetes gcp-b.local")
    assert parsable(fleet, files) == [
        "output/clusters/aws-a/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-a, "
        "cassandra-0.cassandra.db.svc.gcp-b.local is answered by aws-a's own kubernetes plugin (server block "
        "gcp-b.local:53) in clusters/aws-a/dns/configmap-coredns.yaml, which knows aws-a's pods, not gcp-b's"
    ]


def test_unparsable_corefile(tmp_path: Path) -> None:
    fleet, files = rendered(tmp_path)
    cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
    cm["data"]["Corefile"] += "broken.local:53 {\n    errors\n"
    found = parsable(fleet, files)
    assert found[0] == (
        "output/clusters/aws-a/dns/configmap-coredns.yaml:1:1: [error] dns-unresolvable from aws-a, "
        "cassandra-0.cassandra.db.svc.aws-a.local reaches aws-a CoreDNS (clusters/aws-a/dns/configmap-coredns.yaml), "
        "which cannot answer: its Corefile does not parse (clusters/aws-a/dns/configmap-coredns.yaml:36:1: "
        "block opened at line 36 is not closed) (and 2 more seed names)"
    )


def test_check_command_reports_the_proof(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "fleet.yaml", path)
    out = io.StringIO()
    assert commands.check(path, fmt="text", out_dir=tmp_path / "output", stdout=out) == 0
    assert out.getvalue() == "0 error(s), 0 warning(s)\n"


def test_explain_resolves(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "fleet.yaml", path)
    out = io.StringIO()
    code = commands.explain_dns("aws-euwest1", "cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local", path, stdout=out)
    assert code == 0
    assert out.getvalue() == (
        "aws-euwest1 asks cassandra-0.cassandra.db.svc.gcp-europe-west4-c.local\n"
        f"  1. aws-euwest1 CoreDNS ({tmp_path}/output/clusters/aws-euwest1/dns/configmap-coredns.yaml): server block "
        "gcp-europe-west4-c.local:53 -> forward . 10.20.255.10\n"
        "  2. 10.20.255.10 is gcp-europe-west4-c's DNS endpoint (Service fleet-dns/fleet-dns, internal LB)\n"
        "  3. gcp-europe-west4-c Deployment fleet-dns/fleet-dns-gateway "
        f"({tmp_path}/output/clusters/gcp-europe-west4-c/dns/gateway/configmap.yaml): server block gcp-europe-west4-c.local:53 "
        "-> kubernetes gcp-europe-west4-c.local answers\n"
        "resolves: yes\n"
    )


def test_explain_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "fleet.yaml", path)
    out, err = io.StringIO(), io.StringIO()
    assert commands.explain_dns("aws-euwest1", "db.example.com", path, stdout=out, stderr=err) == 1
    assert out.getvalue().endswith("resolves: no\n")
    assert commands.explain_dns("nowhere", "x.local", path, stdout=out, stderr=err) == 2
    assert err.getvalue() == "fleetgen: unknown cluster 'nowhere'; the fleet has aws-euwest1, gcp-europe-west4-c\n"


@pytest.mark.parametrize("argv", [["explain", "dns", "aws-euwest1", "cassandra-0.cassandra.db.svc.aws-euwest1.local"]])
def test_explain_cli(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import main

    path = tmp_path / "fleet.yaml"
    shutil.copy(REPO / "fleet.yaml", path)
    assert main([*argv, str(path)]) == 0
    assert capsys.readouterr().out.endswith("kubernetes aws-euwest1.local answers\nresolves: yes\n")
